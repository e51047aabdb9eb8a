"""The ``pantau`` command: the operations people run by hand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pantau.alerts.ledger import Ledger


def _demo(args: argparse.Namespace) -> int:
    from pantau.demo import demo

    return demo(args.seed, args.registry_size, args.cases, args.dialect)


def _replay(args: argparse.Namespace) -> int:
    from pantau.replay import replay_command
    from pantau.storage import ObjectStore

    _check_bucket_name(args.bucket)
    if not args.local:
        with _object_store_errors(args.endpoint, args.bucket):
            store = ObjectStore.connect(args.endpoint, args.access_key, args.secret_key, args.bucket)
            return replay_command(store)
    from pantau.settings import pantau_home
    from pantau.simulate.servers import EmbeddedObjectStore

    folder = pantau_home() / "objectstore"
    if not (folder / args.bucket).is_dir():
        print(f"pantau: error: no local object store at {folder / args.bucket}; run `make demo` first",
              file=sys.stderr)
        return 2
    # Serve the demo's mirrored bucket over S3 again; replay/ results are mirrored back beside it.
    with EmbeddedObjectStore(folder) as server:
        return replay_command(ObjectStore.connect(server.endpoint, server.access_key, server.secret_key,
                                                  args.bucket))


def _check_bucket_name(bucket: str) -> None:
    from minio.helpers import check_bucket_name

    from pantau.exceptions import ConfigError

    try:
        check_bucket_name(bucket, strict=True)
    except ValueError as exc:
        raise ConfigError(f"{bucket!r} is not a valid bucket name ({exc}); pass --bucket or set PANTAU_BUCKET "
                          "to the deployment's bucket") from None


@contextmanager
def _object_store_errors(endpoint: str, bucket: str) -> Iterator[None]:
    """An unreachable or refusing S3 endpoint is the user's to fix: one sentence, not urllib3's stack."""
    from minio.error import MinioException, S3Error
    from urllib3.exceptions import HTTPError

    from pantau.exceptions import SourceError

    try:
        yield
    except S3Error as exc:
        raise SourceError(f"the object store at {endpoint} refused the request for bucket {bucket!r} ({exc.code}: "
                          f"{exc.message}); check --bucket and the credentials in PANTAU_S3_ACCESS_KEY / "
                          "PANTAU_S3_SECRET_KEY") from None
    except (HTTPError, MinioException, ConnectionError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise SourceError(f"cannot reach the object store at {endpoint} ({_one_line(reason)}); start it, point "
                          "--endpoint or PANTAU_S3_ENDPOINT at it, or replay the demo's store with --local") from None


def _one_line(value: object, limit: int = 200) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _user_error(exc: BaseException) -> str | None:
    """The sentence for an error the user can fix (a PantauError, a path or a connection); None for a bug."""
    from pantau.exceptions import PantauError

    if isinstance(exc, PantauError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename is not None:
        target = f"{exc.filename} -> {exc.filename2}" if exc.filename2 is not None else str(exc.filename)
        return (f"cannot use {target}: {exc.strerror or _one_line(exc)}; check that the path exists, is of the "
                "right kind (file or folder) and is writable by you")
    if isinstance(exc, OSError):
        return f"{_one_line(exc)}; check the address or path given and that the service is running"
    return None


def _bench(args: argparse.Namespace) -> int:
    from pantau.bench.ingest import bench_ingest

    results = bench_ingest(args.world, tuple(args.stages), repeat=args.repeat, sink=args.sink)
    print("stage      records        seconds  records/s   peak RSS")
    for r in results:
        print(f"{r['stage']:10} {r['records']:>12,} {r['seconds']:>9} {r['records_per_s']:>10,} "
              f"{r['peak_rss_mib']:>7,} MiB")
    return 0


def _profile(args: argparse.Namespace) -> int:
    import json
    import os
    from contextlib import ExitStack

    from pantau.pipeline.profile import render_text

    with ExitStack() as stack:
        contacts = args.contacts
        if args.demo:
            from pantau.demo import demo_sources

            env, world_contacts = stack.enter_context(demo_sources(args.seed, args.registry_size, args.cases,
                                                                   args.dialect))
            os.environ.update(env)
            contacts = contacts or world_contacts
        # Airflow is imported only here: the profile reads the deployment's Connections through its hooks.
        import airflow.sdk  # noqa: F401  (configures Airflow's logging, which _logs_to_stderr then re-points)

        from pantau_airflow.profile import profile

        _logs_to_stderr()
        report = profile(set(args.sources), args.bkd_connections, contacts, args.as_of)
    print(render_text(report))
    for line in report.get("skipped_sources", []):
        print(f"not profiled: {line}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        print(f"JSON report: {args.json}")
    return 0


def _logs_to_stderr() -> None:
    """Keep stdout for the report: Airflow's logging writes to stdout, and GX logs hundreds of INFO lines."""
    import logging

    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and getattr(handler, "stream", None) is sys.stdout:
            handler.setStream(sys.stderr)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def _add_profile(commands: argparse._SubParsersAction) -> None:
    from pathlib import Path

    profile = commands.add_parser(
        "profile", help="onboard a source: what Pantau would stage, quarantine, map and match (publishes nothing)",
        description="Reads the sources behind the deployment's Airflow Connections (bawaslu_api, "
                    "recommendations_feed, the BKD connections listed in the Variable pantau_bkd_connections, "
                    "all through the DAGs' own hooks), stages, validates and matches them in a scratch S3 "
                    "server on 127.0.0.1 that disappears afterwards, and prints: records per source, what would "
                    "be quarantined and why, values and headers the reference data does not know (with the "
                    "closest known value), validation, match rate per method, and agency, region and PPK "
                    "texts that resolve to nothing. Nothing is published, nothing is e-mailed, the "
                    "deployment's object store is not touched. --demo profiles the demo's simulated world.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    profile.add_argument("--sources", nargs="+", choices=("bawaslu", "recommendations", "bkd"),
                         default=["bawaslu", "recommendations", "bkd"], help="which sources to read")
    profile.add_argument("--bkd-connections", nargs="+", default=None, metavar="CONN_ID",
                         help="BKD connection ids (default: the Variable pantau_bkd_connections)")
    profile.add_argument("--contacts", default=None, help="alert-contacts directory to check (path or object key)")
    profile.add_argument("--as-of", default=None, help="judge deadlines as of this date (default PANTAU_AS_OF or today)")
    profile.add_argument("--json", type=Path, default=None, help="also write the whole report as JSON here")
    profile.add_argument("--demo", action="store_true",
                         help="profile the demo's world (PANTAU_HOME/world, generated if missing) served on 127.0.0.1")
    profile.add_argument("--seed", type=int, default=20241127, help="with --demo: world seed")
    profile.add_argument("--registry-size", type=int, default=20_000, help="with --demo: registry persons")
    profile.add_argument("--cases", type=int, default=500, help="with --demo: Bawaslu cases")
    profile.add_argument("--dialect", choices=("a", "b"), default="a", help="with --demo: simulator dialect")
    profile.set_defaults(func=_profile)


def _add_run(commands: argparse._SubParsersAction) -> None:
    from pathlib import Path

    run = commands.add_parser(
        "run", help="run the pipelines on your own sources on this machine (airflow standalone, .env)",
        description="Reads the Connections (AIRFLOW_CONN_*), Variables (AIRFLOW_VAR_*) and settings (PANTAU_*) "
                    "from a .env file, says in one sentence each what is missing, then starts airflow standalone "
                    "(scheduler, dag-processor, triggerer, api-server; LocalExecutor) bound to 127.0.0.1 with "
                    "this repository's dags/ and plugins/, and prints where the UI is. Ctrl-C stops it. "
                    'README "Run on your own sources" says what goes in the .env.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    run.add_argument("--env-file", type=Path, default=Path(".env"), help="the configuration file")
    run.add_argument("--check", action="store_true", help="only check the configuration; start nothing")
    run.add_argument("--port", type=int, default=None,
                     help="the UI/API port on 127.0.0.1 (default AIRFLOW__API__PORT, else 8080)")
    run.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from pantau.production import run

    return run(args.env_file, check_only=args.check, port=args.port)


def _add_replay(commands: argparse._SubParsersAction) -> None:
    import os

    replay = commands.add_parser(
        "replay", help="rebuild every staged table from the raw zone and compare it byte for byte",
        description="Re-stages each ingest run from its raw payloads alone (the raw zone keeps every API page, "
                    "export file and DB extract chunk) and checks that the staged Parquet files are identical. "
                    "Replayed files are written under replay/; staging and watermarks are not touched. "
                    "Credentials default to PANTAU_S3_ACCESS_KEY / PANTAU_S3_SECRET_KEY.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    replay.add_argument("--endpoint", default=os.environ.get("PANTAU_S3_ENDPOINT", "127.0.0.1:9000"),
                        help="S3 endpoint host:port")
    replay.add_argument("--bucket", default=os.environ.get("PANTAU_BUCKET", "pantau"))
    replay.add_argument("--local", action="store_true",
                        help="replay the demo's object store folder (PANTAU_HOME/objectstore) instead of a server")
    replay.add_argument("--access-key", default=os.environ.get("PANTAU_S3_ACCESS_KEY", ""), help=argparse.SUPPRESS)
    replay.add_argument("--secret-key", default=os.environ.get("PANTAU_S3_SECRET_KEY", ""), help=argparse.SUPPRESS)
    replay.set_defaults(func=_replay)


def _add_bench(commands: argparse._SubParsersAction) -> None:
    from pathlib import Path

    from pantau.bench.ingest import EXTRA_STAGES, SINKS, STAGES

    bench = commands.add_parser("bench", help="benchmarks: ingest (100k cases, 6M registry), reconcile (50k × 6M, with a peer), accuracy")
    kinds = bench.add_subparsers(dest="bench_command", required=True, metavar="BENCHMARK")
    ingest = kinds.add_parser(
        "ingest", help="Bawaslu landing+staging over HTTP and BKD landing+staging over SQL: records/s, peak RSS",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ingest.add_argument("--world", type=Path, default=None,
                        help="world folder to reuse or generate (default PANTAU_HOME/bench/world)")
    ingest.add_argument("--stages", nargs="+", choices=STAGES + EXTRA_STAGES, default=list(STAGES),
                        help="bkd-extract: BKD extraction alone (SQL to raw chunks), any world size")
    ingest.add_argument("--repeat", type=int, default=1, help="bkd-extract runs; the median is reported")
    ingest.add_argument("--sink", choices=SINKS, default="s3",
                        help="bkd-extract: chunks to the embedded S3 server, or encoded and dropped (null)")
    ingest.set_defaults(func=_bench)
    from pantau.bench import reconcile as reconcile_bench

    reconcile_bench.register(kinds)
    from pantau.bench import chain as chain_bench

    chain_bench.register(kinds)


def _open_ledger(url: str | None) -> Ledger:
    """The ledger at ``url`` (default: the setting); refuses to create one where none was written."""
    import sqlalchemy as sa

    from pantau.alerts.ledger import Ledger
    from pantau.exceptions import ConfigError
    from pantau.settings import alert_ledger_url

    text = url or alert_ledger_url()
    try:
        parsed = sa.make_url(text) if "://" in text else None
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"--ledger {text!r} is not a SQLAlchemy URL ({exc})") from exc
    # Listing or re-opening must not create an empty ledger where none was written.
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        from pathlib import Path

        if not parsed.database or not Path(parsed.database).is_file():
            raise ConfigError(f"there is no alert ledger at {parsed.database or text}: no alert run has used it yet; "
                              "give its URL with --ledger or PANTAU_ALERT_LEDGER_URL (in Airflow: the connection "
                              "pantau_alert_ledger).")
    return Ledger.open(parsed if parsed is not None else text)


def _alerts_ledger(args: argparse.Namespace) -> int:
    from pantau.alerts.ledger import DELIVERY_STATES

    ledger = _open_ledger(args.ledger)
    try:
        deliveries = ledger.deliveries(args.state)
        print(f"alert ledger {ledger.location}: {len(deliveries)} deliveries")
        for state in DELIVERY_STATES:
            rows = [d for d in deliveries if d.state == state]
            if not rows:
                continue
            print(f"\n{state} ({len(rows)})")
            print(f"  {'as of':10}  {'office':32}  {'items':>5}  {'tries':>5}  Message-ID")
            for d in rows:
                print(f"  {d.as_of.isoformat():10}  {d.digest_key[:32]:32}  {d.item_count:>5}  {d.attempts:>5}  "
                      f"{d.message_id}")
    finally:
        ledger.close()
    return 0


def _alerts_resend(args: argparse.Namespace) -> int:
    ledger = _open_ledger(args.ledger)
    try:
        delivery = ledger.reopen(args.message_id)
    finally:
        ledger.close()
    print(f"re-opened {delivery.message_id} (office {delivery.digest_key}, as of {delivery.as_of}, "
          f"{delivery.item_count} items) as {delivery.state}: the next alert run sends its items again to the same "
          "recipients, in that day's digest.")
    return 0


def _add_alerts(commands: argparse._SubParsersAction) -> None:
    from pantau.alerts.ledger import DELIVERY_STATES

    alerts = commands.add_parser(
        "alerts", help="the alert ledger: list deliveries, re-open an uncertain one",
        description="The alert ledger records every digest delivery (docs/DECISIONS.md, 'Alert ledger'). "
                    "The ledger is PANTAU_ALERT_LEDGER_URL, else PANTAU_HOME/state/alert-ledger.sqlite; "
                    "in an Airflow deployment with the connection pantau_alert_ledger, pass its URL with --ledger.")
    kinds = alerts.add_subparsers(dest="alerts_command", required=True, metavar="COMMAND")
    listing = kinds.add_parser("ledger", help="list deliveries by state (office, as-of, Message-ID, items; "
                                              "no addresses)")
    listing.add_argument("--state", choices=DELIVERY_STATES, default=None, help="only deliveries in this state")
    listing.add_argument("--ledger", default=None, metavar="URL", help="SQLAlchemy URL of the ledger")
    listing.set_defaults(func=_alerts_ledger)
    resend = kinds.add_parser(
        "resend", help="re-open an uncertain delivery as pending, so the next alert run sends its items again",
        description="Use it when the mail server's log shows that an 'uncertain' delivery (connection lost after "
                    "the end of DATA) never arrived. A delivered message must not be re-opened: it would be "
                    "sent twice.")
    resend.add_argument("message_id", help="the delivery's Message-ID, as `pantau alerts ledger` lists it")
    resend.add_argument("--ledger", default=None, metavar="URL", help="SQLAlchemy URL of the ledger")
    resend.set_defaults(func=_alerts_resend)


def _simulate_epilog() -> str:
    from pantau.simulate.generate import DEFAULT_SEED, GenerateOptions
    from pantau.simulate.noise import NOISE_SWITCHES

    defaults = GenerateOptions()
    lines = [
        "sizes and seed (pantau simulate generate):",
        f"  --seed N             world seed (default {DEFAULT_SEED}); same seed and options give the same bytes",
        f"  --registry-size N    registry persons, 1k to 6M (national scale 5.58M; default {defaults.registry_size:,})",
        f"  --cases N            Bawaslu cases, 10 to 100k (default {defaults.cases:,})",
        f"  --bkds N             BKD databases (default {defaults.bkds})",
        f"  --transfer-rate R    share of persons transferred between BKDs (default {defaults.transfer_rate})",
        "",
        "noise switches (generate: --noise-<name> RATE, --no-noise turns all off; serve: --rate-* for http):",
    ]
    for switch in NOISE_SWITCHES:
        flag = switch.name.replace("_", "-")
        lines.append(f"  {flag:24} {switch.default:<6g} [{switch.source}] {switch.description}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    from pantau.simulate import cli_generate, cli_serve

    parser = argparse.ArgumentParser(prog="pantau", description="Pantau: ASN neutrality case pipelines.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    simulate = commands.add_parser(
        "simulate", help="generate and serve simulated agency sources (docs/SIMULATOR.md)",
        description="Simulators of the Bawaslu case API, the KASN/BKN recommendation exports, the BKD "
                    "databases and the alert-contacts directory, with seeded noise and ground truth.",
        epilog=_simulate_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    sim_commands = simulate.add_subparsers(dest="sim_command", required=True, metavar="COMMAND")
    cli_generate.register(sim_commands)
    cli_serve.register(sim_commands)

    demo = commands.add_parser("demo", help="run the whole job end to end on embedded services",
                               formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    demo.add_argument("--seed", type=int, default=20241127, help="world seed")
    demo.add_argument("--registry-size", type=int, default=20_000, help="registry persons")
    demo.add_argument("--cases", type=int, default=500, help="Bawaslu cases")
    demo.add_argument("--dialect", choices=("a", "b"), default="a",
                      help="simulator dialect: a, or b (independently written data; state in PANTAU_HOME/dialect-b)")
    demo.set_defaults(func=_demo)
    _add_run(commands)
    _add_replay(commands)
    _add_profile(commands)
    _add_bench(commands)
    _add_alerts(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the CLI's last line of defence: a clear message, not a stack trace
        message = _user_error(exc)
        if message is None:
            raise  # not something the user caused: a bug, whose traceback is wanted
        print(f"pantau: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
