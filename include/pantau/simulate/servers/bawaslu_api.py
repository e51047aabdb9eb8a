"""Simulated Bawaslu case API (docs/DOMAIN.md §4.1), served from a generated world.

Records come from ``DIR/bawaslu/cases_phase<N>.jsonl`` and are sent byte for byte as the
generator wrote them: the simulator never re-serialises a record, so a malformed record (missing
keys, wrong types, impossible dates, unknown fields) reaches the client exactly as written.
A line that is not JSON at all is skipped with a warning, because it would make every page that
holds it unparseable forever; broken bodies are the job of the ``invalid_json`` fault instead.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pantau.simulate.servers.faults import (
    FaultConfig,
    FaultDecision,
    SimRequest,
    SimResponse,
    SimulatorHttpServer,
    discover_phases,
    error_response,
)

log = logging.getLogger(__name__)

API_PATH = "/api/v1/netralitas/kasus"
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
# Bawaslu works in WIB; a timestamp without an offset is read as WIB (docs/DOMAIN.md §2).
WIB = timezone(timedelta(hours=7))
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class CaseLine:
    """One record as stored: the raw bytes plus the keys the API filters and sorts on."""

    raw: bytes
    updated_at: datetime | None
    register: str
    line_no: int

    def sort_key(self) -> tuple[int, datetime, str, int]:
        # Records with an unreadable updated_at go last so the readable ones page stably.
        if self.updated_at is None:
            return (1, _FAR_FUTURE, self.register, self.line_no)
        return (0, self.updated_at, self.register, self.line_no)


def parse_instant(value: Any) -> datetime | None:
    """An aware datetime from ISO-8601 text, or None when it cannot be read."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=WIB)


def load_case_lines(path: Path) -> list[CaseLine]:
    """Read a phase file into records sorted by (updated_at instant, nomor_register)."""
    lines: list[CaseLine] = []
    for line_no, raw_line in enumerate(path.read_bytes().splitlines(), start=1):
        raw = raw_line.strip()
        if not raw:
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            log.warning("%s:%d is not JSON; not served", path, line_no)
            continue
        fields = record if isinstance(record, dict) else {}
        register = fields.get("nomor_register")
        lines.append(
            CaseLine(
                raw=raw,
                updated_at=parse_instant(fields.get("updated_at")),
                register=register if isinstance(register, str) else json.dumps(register),
                line_no=line_no,
            )
        )
    lines.sort(key=CaseLine.sort_key)
    return lines


@dataclass(frozen=True)
class PageQuery:
    updated_since: datetime | None
    page: int
    per_page: int


def parse_page_query(query: dict[str, list[str]]) -> PageQuery:
    """Validate the query string; raises ValueError with a message for the client."""
    since_text = _single(query, "updated_since")
    since = None
    if since_text:
        since = parse_instant(since_text)
        if since is None and " " in since_text:
            # An unencoded "+07:00" arrives as " 07:00"; accept it rather than punish the client.
            since = parse_instant(since_text.replace(" ", "+"))
        if since is None:
            raise ValueError(f"updated_since is not an ISO-8601 timestamp: {since_text!r}")
    page = _int_param(query, "page", 1)
    per_page = _int_param(query, "per_page", DEFAULT_PER_PAGE)
    if page < 1:
        raise ValueError("page must be >= 1")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")
    return PageQuery(since, page, per_page)


def _single(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise ValueError(f"{name} given more than once")
    return values[0]


def _int_param(query: dict[str, list[str]], name: str, default: int) -> int:
    text = _single(query, name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {text!r}") from None


class BawasluApiServer(SimulatorHttpServer):
    """``GET /api/v1/netralitas/kasus`` with bearer auth, paging, phases and runtime faults."""

    def __init__(
        self,
        data_dir: Path,
        token: str,
        faults: FaultConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(faults, host, port)
        self.data_dir = Path(data_dir)
        self._token = token
        self._records: list[CaseLine] = []

    def _discover_phases(self) -> dict[int, Path]:
        folder = self.data_dir / "bawaslu"
        return discover_phases(sorted(folder.glob("cases_phase*.jsonl")), r"cases_phase(\d+)\.jsonl")

    def _describe_data(self) -> str:
        return f"expected {self.data_dir / 'bawaslu' / 'cases_phase<N>.jsonl'}"

    def _load_phase(self, phase: int, path: Path) -> None:
        self._records = load_case_lines(path)

    def _validate(self, request: SimRequest) -> SimResponse | None:
        if request.path.rstrip("/") != API_PATH:
            return error_response(404, "not_found", f"no resource at {request.path}")
        if request.method != "GET":
            return error_response(405, "method_not_allowed", "only GET is supported", {"Allow": "GET"})
        if not self._authorised(request.header("Authorization")):
            return error_response(
                401, "unauthorized", "missing or invalid bearer token", {"WWW-Authenticate": "Bearer"}
            )
        try:
            parse_page_query(request.query)
        except ValueError as exc:
            return error_response(400, "bad_request", str(exc))
        return None

    def _authorised(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header[len("Bearer "):].strip().encode(), self._token.encode())

    def _respond(self, request: SimRequest, decision: FaultDecision) -> SimResponse:
        query = parse_page_query(request.query)
        records = self._records  # one phase snapshot for the whole answer
        if query.updated_since is not None:
            since = query.updated_since
            records = [r for r in records if r.updated_at is None or r.updated_at >= since]
        total = len(records)
        # Page drift: the window starts one record early or late, meta stays as computed.
        start = (query.page - 1) * query.per_page + decision.drift
        if decision.drift and start < 0:
            start = 1
        window = records[start : start + query.per_page]
        meta = {
            "page": query.page,
            "per_page": query.per_page,
            "total": total,
            "total_pages": math.ceil(total / query.per_page),
        }
        body = b'{"data": [' + b", ".join(r.raw for r in window) + b'], "meta": ' + json.dumps(meta).encode() + b"}"
        return SimResponse(200, body)
