"""Runtime faults for the HTTP simulators, and the small HTTP server they share.

The real agencies' endpoints rate-limit, fail, hang, send half a body, and shift pages when data
changes while a client is paging (docs/DOMAIN.md §4.1). The simulators reproduce that on purpose so the
pipelines' retry and reconciliation logic is exercised by the demo and the tests.

Determinism: every request to a simulated API endpoint draws the same fixed number of values from
one seeded ``random.Random`` (under a lock), in the order requests arrive. The same seed and the
same request sequence therefore yield the same faults, whatever the outcome of each draw.

Liveness: a failing fault (429, 5xx, timeout, invalid JSON) is never served more than
``max_consecutive_faults`` times in a row for the same URL (path + query string). The next request
for that URL is answered cleanly, so a client that retries at least that many times always gets
through. Page drift does not count: the client receives a valid page.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

FAULT_429 = "429"
FAULT_5XX = "5xx"
FAULT_TIMEOUT = "timeout"
FAULT_INVALID_JSON = "invalid_json"
FAULT_PAGE_DRIFT = "page_drift"
# Faults after which the client did not get a usable answer and has to retry.
FAILING_FAULTS = frozenset({FAULT_429, FAULT_5XX, FAULT_TIMEOUT, FAULT_INVALID_JSON})
_SERVER_ERROR_CODES = (500, 502, 503)


@dataclass(frozen=True)
class FaultConfig:
    """Probability of each runtime fault per API request (each in [0, 1], drawn independently;
    when several fire, the first in field order wins)."""

    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_timeout: float = 0.0
    rate_invalid_json: float = 0.0
    rate_page_drift: float = 0.0
    retry_after_s: int = 1
    timeout_delay_s: float = 3.0
    seed: int = 0
    max_consecutive_faults: int = 3

    def __post_init__(self) -> None:
        for name, rate in self.rates().items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate {name} must be within [0, 1], got {rate}")
        if self.retry_after_s < 0 or self.timeout_delay_s < 0 or self.max_consecutive_faults < 0:
            raise ValueError("retry_after_s, timeout_delay_s and max_consecutive_faults must be >= 0")

    def rates(self) -> dict[str, float]:
        """Rates keyed by fault kind, in the order they are checked."""
        return {
            FAULT_429: self.rate_429,
            FAULT_5XX: self.rate_5xx,
            FAULT_TIMEOUT: self.rate_timeout,
            FAULT_INVALID_JSON: self.rate_invalid_json,
            FAULT_PAGE_DRIFT: self.rate_page_drift,
        }


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request: ``kind`` is None for a clean answer."""

    kind: str | None = None
    status: int = 200
    drift: int = 0

    @property
    def failing(self) -> bool:
        return self.kind in FAILING_FAULTS


class FaultInjector:
    """Draws one ``FaultDecision`` per request, reproducibly, and caps consecutive failures."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self._rng = random.Random(self.config.seed)
        self._lock = threading.Lock()
        self._consecutive: dict[str, int] = {}

    def decide(self, url_key: str) -> FaultDecision:
        with self._lock:
            # Always draw the same values so later decisions do not depend on earlier outcomes.
            draws = [self._rng.random() for _ in range(5)]
            status = self._rng.choice(_SERVER_ERROR_CODES)
            drift = self._rng.choice((-1, 1))
            kind = next(
                (k for (k, rate), u in zip(self.config.rates().items(), draws, strict=True) if u < rate),
                None,
            )
            if kind in FAILING_FAULTS and self._consecutive.get(url_key, 0) >= self.config.max_consecutive_faults:
                kind = None
            if kind in FAILING_FAULTS:
                self._consecutive[url_key] = self._consecutive.get(url_key, 0) + 1
            else:
                self._consecutive.pop(url_key, None)
        if kind == FAULT_429:
            return FaultDecision(kind, 429)
        if kind == FAULT_5XX:
            return FaultDecision(kind, status)
        return FaultDecision(kind, 200, drift if kind == FAULT_PAGE_DRIFT else 0)


@dataclass
class SimRequest:
    """One parsed HTTP request, independent of ``http.server``."""

    method: str
    raw_path: str
    headers: dict[str, str]
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.raw_path).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.raw_path).query, keep_blank_values=True)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class SimResponse:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> SimResponse:
    return SimResponse(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers=headers or {})


def error_response(status: int, error: str, message: str, headers: dict[str, str] | None = None) -> SimResponse:
    return json_response(status, {"error": error, "message": message}, headers)


def discover_phases(paths: list[Path], pattern: str) -> dict[int, Path]:
    """Map phase number to path for names matching ``pattern`` (one group: the phase number)."""
    found: dict[int, Path] = {}
    for path in paths:
        match = re.fullmatch(pattern, path.name)
        if match:
            found[int(match.group(1))] = path
    return found


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive for requests.Session; every answer sets Content-Length.
    protocol_version = "HTTP/1.1"
    sim: ClassVar[SimulatorHttpServer]

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = SimRequest(
            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
        )
        response = self.sim.handle(request)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # Expected after a timeout fault: the client gave up before the answer.
            log.debug("client went away before %s %s was answered", self.command, self.path)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of the base)
        log.debug("%s - %s", self.address_string(), format % args)


class _QuietHTTPServer(ThreadingHTTPServer):
    """A client that gives up (its timeout after a timeout fault, a closed keep-alive connection) resets the
    socket; ``socketserver`` would print that as a full traceback on the console. It is expected here: one line."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            log.info("client %s:%s went away (%s)", *client_address[:2], type(exc).__name__)
            return
        super().handle_error(request, client_address)


class SimulatorHttpServer:
    """A threaded HTTP server with phase switching, request counters and fault injection.

    Subclasses implement ``_discover_phases``, ``_load_phase``, ``_validate`` (answer errors
    that are not faults: auth, parameters, not found) and ``_respond`` (the clean answer,
    given the fault decision so it can apply page drift). ``/_sim/*`` are control endpoints and
    are neither faulted nor counted.
    """

    def __init__(self, faults: FaultConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self._injector = FaultInjector(faults)
        self._host = host
        self._requested_port = port
        self._httpd: _QuietHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._by_status: Counter[str] = Counter()
        self._by_fault: Counter[str] = Counter()
        self._phases: dict[int, Path] = {}
        self._phase = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> SimulatorHttpServer:
        if self._httpd is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        self._phases = self._discover_phases()
        if not self._phases:
            raise FileNotFoundError(f"{type(self).__name__}: no phase data found ({self._describe_data()})")
        self.set_phase(max(self._phases) if not self._phase else self._phase)
        handler = type("BoundHandler", (_Handler,), {"sim": self})
        self._stopping.clear()
        self._httpd = _QuietHTTPServer((self._host, self._requested_port), handler)
        # A short poll interval keeps stop() fast (shutdown waits for the next poll).
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping in a timeout fault
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> SimulatorHttpServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    # -- phases and stats --------------------------------------------------------------------
    @property
    def phase(self) -> int:
        return self._phase

    @property
    def phases(self) -> list[int]:
        return sorted(self._phases)

    def set_phase(self, phase: int) -> None:
        """Serve phase ``phase``; before ``start()`` it only records the wish."""
        if self._phases and phase not in self._phases:
            raise KeyError(f"phase {phase} not available (have {sorted(self._phases)})")
        if self._phases:
            self._load_phase(phase, self._phases[phase])
        self._phase = phase

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "phase": self._phase,
                "requests": sum(self._by_status.values()),
                "by_status": dict(self._by_status),
                "faults": dict(self._by_fault),
            }

    # -- request handling --------------------------------------------------------------------
    def handle(self, request: SimRequest) -> SimResponse:
        if request.path.startswith("/_sim/"):
            return self._handle_control(request)
        early = self._validate(request)
        if early is not None:
            return self._count(early, None)
        decision = self._injector.decide(request.raw_path)
        if decision.kind == FAULT_429:
            return self._count(
                error_response(429, "too_many_requests", "rate limit exceeded, retry later",
                               {"Retry-After": str(self._injector.config.retry_after_s)}),
                decision,
            )
        if decision.kind == FAULT_5XX:
            return self._count(error_response(decision.status, "server_error", "upstream failure"), decision)
        if decision.kind == FAULT_TIMEOUT:
            self._stopping.wait(self._injector.config.timeout_delay_s)
        response = self._respond(request, decision)
        if decision.kind == FAULT_INVALID_JSON:
            # A connection cut mid-body, as a proxy sends it: status 200, half the bytes.
            response.body = response.body[: max(1, len(response.body) // 2)] if response.body else b"{"
        return self._count(response, decision)

    def _count(self, response: SimResponse, decision: FaultDecision | None) -> SimResponse:
        with self._lock:
            self._by_status[str(response.status)] += 1
            if decision is not None and decision.kind is not None:
                self._by_fault[decision.kind] += 1
        return response

    def _handle_control(self, request: SimRequest) -> SimResponse:
        if request.path == "/_sim/stats" and request.method == "GET":
            return json_response(200, self.stats())
        if request.path == "/_sim/phase" and request.method == "GET":
            return json_response(200, {"phase": self._phase, "phases": self.phases})
        if request.path == "/_sim/phase" and request.method == "POST":
            try:
                phase = json.loads(request.body or b"{}")["phase"]
                if not isinstance(phase, int) or isinstance(phase, bool):
                    raise TypeError("phase must be an integer")
                self.set_phase(phase)
            except (ValueError, KeyError, TypeError) as exc:
                return error_response(400, "bad_request", f"expected {{\"phase\": N}} with a known phase: {exc}")
            return json_response(200, {"phase": self._phase, "phases": self.phases})
        return error_response(404, "not_found", f"no control endpoint {request.method} {request.path}")

    # -- subclass hooks ----------------------------------------------------------------------
    def _discover_phases(self) -> dict[int, Path]:
        raise NotImplementedError

    def _describe_data(self) -> str:
        return "see docs/SIMULATOR.md"

    def _load_phase(self, phase: int, path: Path) -> None:
        raise NotImplementedError

    def _validate(self, request: SimRequest) -> SimResponse | None:
        raise NotImplementedError

    def _respond(self, request: SimRequest, decision: FaultDecision) -> SimResponse:
        raise NotImplementedError
