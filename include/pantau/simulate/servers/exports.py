"""Simulated recommendation exports (KASN until 2024, BKN after; docs/DOMAIN.md §4.2).

Serves ``DIR/exports/phase<N>/index.json`` and the spreadsheet files next to it, byte for byte.
A name is one path segment inside the phase folder; anything else is a 404, so a crafted name
(``..``, encoded slashes, hidden files) can never reach the rest of the world directory.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from urllib.parse import unquote

from pantau.simulate.servers.faults import (
    FaultConfig,
    FaultDecision,
    SimRequest,
    SimResponse,
    SimulatorHttpServer,
    discover_phases,
    error_response,
)

EXPORTS_PREFIX = "/exports/"
CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".csv": "text/csv",
    ".json": "application/json",
}
_FORBIDDEN_IN_NAME = ("/", "\\", "\x00")


def content_type_for(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def safe_export_path(folder: Path, raw_name: str) -> Path | None:
    """The file ``raw_name`` (URL-encoded) names inside ``folder``, or None when it names none."""
    name = unquote(raw_name)
    if not name or name.startswith(".") or any(c in name for c in _FORBIDDEN_IN_NAME):
        return None
    candidate = (folder / name).resolve()
    if candidate.parent != folder.resolve() or not candidate.is_file():
        return None
    return candidate


class ExportsServer(SimulatorHttpServer):
    """``GET /exports/index.json`` and ``GET /exports/<name>``, with phases and runtime faults.

    ``token``, when given, is required as ``Authorization: Bearer <token>``; the real export
    portal's auth is not specified, so the default is open.
    """

    def __init__(
        self,
        data_dir: Path,
        faults: FaultConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
    ) -> None:
        super().__init__(faults, host, port)
        self.data_dir = Path(data_dir)
        self._token = token
        self._folder: Path | None = None

    def _discover_phases(self) -> dict[int, Path]:
        folder = self.data_dir / "exports"
        candidates = sorted(p for p in folder.glob("phase*") if p.is_dir())
        return discover_phases(candidates, r"phase(\d+)")

    def _describe_data(self) -> str:
        return f"expected {self.data_dir / 'exports' / 'phase<N>'}/"

    def _load_phase(self, phase: int, path: Path) -> None:
        # Files are read per request: a re-published file is visible without a restart.
        self._folder = path

    def _validate(self, request: SimRequest) -> SimResponse | None:
        if request.method != "GET":
            return error_response(405, "method_not_allowed", "only GET is supported", {"Allow": "GET"})
        if self._token is not None and not self._authorised(request.header("Authorization")):
            return error_response(
                401, "unauthorized", "missing or invalid bearer token", {"WWW-Authenticate": "Bearer"}
            )
        if self._resolve(request) is None:
            return error_response(404, "not_found", f"no export at {request.path}")
        return None

    def _authorised(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer ") or self._token is None:
            return False
        return hmac.compare_digest(header[len("Bearer "):].strip().encode(), self._token.encode())

    def _resolve(self, request: SimRequest) -> Path | None:
        if self._folder is None or not request.path.startswith(EXPORTS_PREFIX):
            return None
        return safe_export_path(self._folder, request.path[len(EXPORTS_PREFIX):])

    def _respond(self, request: SimRequest, decision: FaultDecision) -> SimResponse:
        path = self._resolve(request)
        if path is None:  # removed between validation and answer
            return error_response(404, "not_found", f"no export at {request.path}")
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest() + '"'
        return SimResponse(200, body, content_type_for(path.name), {"ETag": etag})
