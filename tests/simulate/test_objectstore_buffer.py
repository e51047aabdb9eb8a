"""The embedded S3 server spills objects above 1 MiB to disk (moto's key buffer), so a national run's large
objects do not sit in its memory (issue 14)."""

from __future__ import annotations

import os

import psutil

from pantau.simulate.servers import EmbeddedObjectStore
from pantau.simulate.servers.objectstore import DEFAULT_KEY_BUFFER_BYTES


def test_the_moto_child_gets_the_small_key_buffer() -> None:
    with EmbeddedObjectStore(None) as store:
        env = psutil.Process(store.pid).environ()
        assert env["MOTO_S3_DEFAULT_KEY_BUFFER_SIZE"] == str(DEFAULT_KEY_BUFFER_BYTES) == str(1 << 20)
    assert "MOTO_S3_DEFAULT_KEY_BUFFER_SIZE" not in EmbeddedObjectStore(None, key_buffer_bytes=None)._child_env() \
        or os.environ.get("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE")  # None: moto's own default (or the caller's setting)
