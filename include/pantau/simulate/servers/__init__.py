"""Local servers that stand in for the agencies' systems in the demo and the tests.

Every server binds to 127.0.0.1 and an ephemeral port by default, starts with ``start()``,
stops with ``stop()`` and is a context manager. See docs/SIMULATOR.md for the data they serve.
"""

from pantau.simulate.servers.bawaslu_api import BawasluApiServer
from pantau.simulate.servers.exports import ExportsServer
from pantau.simulate.servers.faults import FaultConfig
from pantau.simulate.servers.objectstore import EmbeddedObjectStore
from pantau.simulate.servers.smtp_sink import SmtpSink

__all__ = ["BawasluApiServer", "EmbeddedObjectStore", "ExportsServer", "FaultConfig", "SmtpSink"]
