"""``pantau simulate serve``: run the source simulators over a generated world until stopped."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any

DEFAULT_TOKEN_ENV = "PANTAU_SIM_TOKEN"
# Only ever checked by the local simulator; a real deployment keeps its token in a Connection.
DEFAULT_TOKEN = "pantau-sim-token"

_FAULT_OPTIONS: list[tuple[str, str, str]] = [
    ("--rate-429", "rate_429", "share of API requests answered 429 Too Many Requests with Retry-After"),
    ("--rate-5xx", "rate_5xx", "share of API requests answered 500, 502 or 503"),
    ("--rate-timeout", "rate_timeout", "share of API requests answered only after --timeout-delay seconds"),
    ("--rate-invalid-json", "rate_invalid_json", "share of API requests answered 200 with a truncated body"),
    ("--rate-page-drift", "rate_page_drift",
     "share of API pages that start one record early or late (a record repeated or skipped)"),
]


def register(subparsers: Any) -> None:
    """Add the ``serve`` sub-command to an ``argparse`` sub-parser collection."""
    parser = subparsers.add_parser(
        "serve",
        help="serve a generated world over HTTP (Bawaslu API, recommendation exports)",
        description=(
            "Serve a world written by 'pantau simulate generate' as the agencies would "
            "(docs/SIMULATOR.md): the Bawaslu case API and the recommendation exports, optionally "
            "an SMTP sink and an embedded S3 store. Prints the URLs, runs until Ctrl-C or SIGTERM. "
            "Fault rates are probabilities in [0, 1] per API request, drawn from --fault-seed; at most "
            "--max-consecutive-faults failures in a row are served for one URL."
        ),
    )
    add_arguments(parser)
    parser.set_defaults(func=run_serve)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, metavar="DIR", help="world directory to serve")
    parser.add_argument("--host", default="127.0.0.1", help="address every server binds to (default: %(default)s)")
    parser.add_argument("--bawaslu-port", type=int, default=0, metavar="PORT",
                        help="Bawaslu API port (default: 0, any free port)")
    parser.add_argument("--exports-port", type=int, default=0, metavar="PORT",
                        help="exports server port (default: 0, any free port)")
    # Resolved at run time so --help never prints a token taken from the environment.
    parser.add_argument("--token", default=None,
                        help=f"bearer token the Bawaslu API requires (default: ${DEFAULT_TOKEN_ENV}, "
                             f"else {DEFAULT_TOKEN!r})")
    parser.add_argument("--exports-token", default=None, metavar="TOKEN",
                        help="bearer token the exports require (default: none, open)")
    parser.add_argument("--phase", type=int, default=None, metavar="N",
                        help="phase to serve first (default: the newest present); POST /_sim/phase switches")
    faults = parser.add_argument_group("runtime faults (rates are probabilities in [0, 1], default 0)")
    for flag, dest, text in _FAULT_OPTIONS:
        faults.add_argument(flag, dest=dest, type=float, default=0.0, metavar="RATE", help=text)
    faults.add_argument("--retry-after", dest="retry_after_s", type=int, default=1, metavar="SECONDS",
                        help="seconds announced in Retry-After on 429 answers (default: %(default)s)")
    faults.add_argument("--timeout-delay", dest="timeout_delay_s", type=float, default=3.0, metavar="SECONDS",
                        help="seconds a timeout fault holds the answer back (default: %(default)s)")
    faults.add_argument("--fault-seed", dest="fault_seed", type=int, default=0, metavar="SEED",
                        help="seed of the fault draws; same seed and requests, same faults (default: %(default)s)")
    faults.add_argument("--max-consecutive-faults", type=int, default=3, metavar="N",
                        help="failing faults served in a row for one URL before a clean answer "
                             "(default: %(default)s)")
    extras = parser.add_argument_group("optional extra servers")
    extras.add_argument("--smtp-outbox", type=Path, default=None, metavar="DIR",
                        help="start an SMTP sink writing every message as an .eml file in DIR")
    extras.add_argument("--smtp-port", type=int, default=0, metavar="PORT",
                        help="SMTP sink port (default: 0, any free port)")
    extras.add_argument("--s3-persist", type=Path, default=None, metavar="DIR",
                        help="start an embedded S3 store (moto) restored from and mirrored to DIR/<bucket>/<key>")
    extras.add_argument("--s3-port", type=int, default=0, metavar="PORT",
                        help="embedded S3 port (default: 0, any free port)")
    extras.add_argument("--urls-file", type=Path, default=None, metavar="FILE",
                        help="also write the URLs as JSON to FILE, for scripts")


def run_serve(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; exit code 2 when the options or the world are unusable."""
    try:
        return _serve(args)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        print(f"pantau simulate serve: {exc}", file=sys.stderr)
        return 2


def _serve(args: argparse.Namespace) -> int:
    # Imported here so 'pantau --help' does not load the servers' dependencies.
    from pantau.simulate.servers import BawasluApiServer, EmbeddedObjectStore, ExportsServer, SmtpSink
    from pantau.simulate.servers.faults import FaultConfig

    fault_config = FaultConfig(
        rate_429=args.rate_429, rate_5xx=args.rate_5xx, rate_timeout=args.rate_timeout,
        rate_invalid_json=args.rate_invalid_json, rate_page_drift=args.rate_page_drift,
        retry_after_s=args.retry_after_s, timeout_delay_s=args.timeout_delay_s, seed=args.fault_seed,
        max_consecutive_faults=args.max_consecutive_faults,
    )
    token = args.token or os.environ.get(DEFAULT_TOKEN_ENV) or DEFAULT_TOKEN
    stop = threading.Event()
    with ExitStack() as stack:
        bawaslu = BawasluApiServer(args.data, token, fault_config, args.host, args.bawaslu_port)
        exports = ExportsServer(args.data, fault_config, args.host, args.exports_port, token=args.exports_token)
        for server in (bawaslu, exports):
            if args.phase is not None:
                server.set_phase(args.phase)
            stack.enter_context(server)
        urls = {"bawaslu": bawaslu.url, "exports": exports.url}
        if args.smtp_outbox is not None:
            sink = stack.enter_context(SmtpSink(args.smtp_outbox, args.host, args.smtp_port))
            urls["smtp"] = f"smtp://{args.host}:{sink.port}"
        if args.s3_persist is not None:
            store = stack.enter_context(EmbeddedObjectStore(args.s3_persist, args.host, args.s3_port))
            urls["s3"] = store.url
        _announce(urls, bawaslu.phase, args.urls_file)
        _wait_for_signal(stop)
    print("simulators stopped", flush=True)
    return 0


def _announce(urls: dict[str, str], phase: int, urls_file: Path | None) -> None:
    for name, url in urls.items():
        print(f"{name:8} {url}", flush=True)
    print(f"serving phase {phase}; POST /_sim/phase {{\"phase\": N}} switches, Ctrl-C stops", flush=True)
    if urls_file is not None:
        urls_file.parent.mkdir(parents=True, exist_ok=True)
        urls_file.write_text(json.dumps(urls, indent=2) + "\n", encoding="utf-8")


def _wait_for_signal(stop: threading.Event) -> None:
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point: ``python -m pantau.simulate.cli_serve serve --data DIR``."""
    parser = argparse.ArgumentParser(prog="pantau simulate")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
