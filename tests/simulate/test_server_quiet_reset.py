"""A client resetting its connection is one log line from a simulator, not a traceback on the console (issue 14)."""

from __future__ import annotations

import logging
import socket
import struct
import time
from pathlib import Path

from pantau.simulate.generate import GenerateOptions, generate_world
from pantau.simulate.servers import BawasluApiServer


def test_a_reset_connection_is_logged_in_one_line(tmp_path: Path, capfd, caplog) -> None:
    world = tmp_path / "world"
    generate_world(world, GenerateOptions(seed=2, registry_size=300, cases=20), progress=False)
    caplog.set_level(logging.INFO, logger="pantau.simulate.servers.faults")
    with BawasluApiServer(world, "t") as api:
        for _ in range(3):
            client = socket.create_connection(("127.0.0.1", api.port))
            client.sendall(b"GET /api/v1/netralitas/kasus HTTP/1.1\r\nHost: x")  # cut before the request ends
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
            client.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and sum("went away" in r.getMessage() for r in caplog.records) < 3:
            time.sleep(0.05)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "ConnectionResetError" not in err
    notes = [r.getMessage() for r in caplog.records if "went away" in r.getMessage()]
    assert len(notes) == 3 and all(n.endswith("(ConnectionResetError)") and "\n" not in n for n in notes)
