"""``pantau demo``: the whole job on embedded defaults, through Airflow, on 127.0.0.1 only.

1. generates a seeded world (unless ``PANTAU_HOME/world`` already holds one for the same options);
2. starts the simulators (Bawaslu API, recommendation exports), an embedded S3 server persisted to
   ``PANTAU_HOME/objectstore`` and an SMTP sink writing ``PANTAU_HOME/outbox/*.eml``;
3. points Airflow Connections/Variables at them (``AIRFLOW_CONN_*``/``AIRFLOW_VAR_*``), migrates an
   SQLite metadata DB in ``PANTAU_HOME/airflow`` and runs every DAG with ``dag.test()`` in order;
4. stops what it started and prints what changed in the release and where the outputs are.

Each run serves the world's next phase (docs/SIMULATOR.md "phases"): the first ``make demo`` in a fresh
``PANTAU_HOME`` serves phase 1, the next one phase 2 (new and updated cases, corrected exports, new
decrees), and once the last phase has been served a run finds nothing new. Which phase was served last is
kept in ``PANTAU_HOME/state/demo-phase.json``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pantau

SIM_TOKEN = "pantau-demo-token"  # only ever checked by the local simulator
S3_BUCKET = "pantau"


def repo_root() -> Path:
    return Path(pantau.__file__).resolve().parents[2]


def dags_folder() -> Path:
    return Path(os.environ.get("PANTAU_DAGS_FOLDER") or repo_root() / "dags")


@dataclass
class LocalStack:
    """The embedded services of one demo or test run, and the environment that points Airflow at them."""

    home: Path
    world: Path
    env: dict[str, str]
    bawaslu: Any
    exports: Any
    store: Any
    smtp: Any


def airflow_env(home: Path) -> dict[str, str]:
    # Absolute paths: Airflow refuses a relative SQLite URL, and a relative PANTAU_HOME would move with the cwd.
    home = Path(home).resolve()
    airflow_home = home / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    return {
        "PANTAU_HOME": str(home),
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder()),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(repo_root() / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(airflow_home / "logs"),
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Jakarta",
        "AIRFLOW__CORE__LAZY_LOAD_PLUGINS": "True",
        "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "120",
        "GX_ANALYTICS_ENABLED": "False",
        "NO_COLOR": "1",
    }


def connection_env(world: Path, bawaslu_url: str, exports_url: str, store: Any, smtp_port: int | None,
                   phase: int | None = None) -> dict[str, str]:
    """Connections and Variables as environment variables, exactly as a deployment would set them.

    ``phase`` 1 points each BKD connection at the database's phase-1 follow-up table (the rows that existed
    then); any other phase, or None, at the current one."""
    from urllib.parse import urlsplit

    def http_conn(url: str, token: str | None) -> str:
        parts = urlsplit(url)
        conn: dict[str, Any] = {"conn_type": "http", "host": parts.hostname, "port": parts.port,
                                "schema": parts.scheme}
        if token:
            conn["password"] = token
        return json.dumps(conn)

    env = {
        "AIRFLOW_CONN_BAWASLU_API": http_conn(bawaslu_url, SIM_TOKEN),
        "AIRFLOW_CONN_RECOMMENDATIONS_FEED": http_conn(exports_url, None),
        "AIRFLOW_VAR_PANTAU_CONTACTS": str(world_contacts(world)),
    }
    if store is not None:
        host, port = store.endpoint.split(":")
        env["AIRFLOW_CONN_PANTAU_OBJECT_STORE"] = json.dumps({
            "conn_type": "generic", "host": host, "port": int(port), "login": store.access_key,
            "password": store.secret_key, "extra": {"bucket": S3_BUCKET, "secure": False}})
    if smtp_port is not None:
        env["AIRFLOW_CONN_SMTP_DEFAULT"] = json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": smtp_port,
            # disable_ssl/disable_tls: the SMTP provider's hook (failure and health e-mails) speaks plain
            # SMTP to the local sink; starttls: the alert mailer's own reading of the same connection.
            "extra": {"from_email": "pantau@pantau.local", "starttls": False, "disable_ssl": True,
                      "disable_tls": True}})
    from pantau.simulate.world import world_bkd_sources

    conn_ids = []
    for source in world_bkd_sources(world, phase1_follow_ups=phase == 1 and len(world_phases(world)) > 1):
        conn_id = f"bkd_{source.code}".lower()
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps({
            "conn_type": "generic", "extra": {"sqlalchemy_url": source.url, "code": source.code,
                                              "pegawai_table": source.pegawai_table,
                                              "tindak_lanjut_table": source.tindak_lanjut_table,
                                              "timezone": source.timezone}})
        conn_ids.append(conn_id)
    env["AIRFLOW_VAR_PANTAU_BKD_CONNECTIONS"] = json.dumps(conn_ids)
    return env


def world_contacts(world: Path) -> Path:
    """The world's alert-contacts directory: JSON in one simulator dialect, CSV in the other."""
    for name in ("contacts.json", "contacts.csv"):
        if (world / name).exists():
            return world / name
    return world / "contacts.json"


def world_faults(world: Path, seed: int = 0) -> Any:
    """The HTTP fault rates recorded in the world's manifest (the realistic defaults of the simulator).

    Timeouts are held 3 s while the demo's client gives up after 2 s, so they are real timeouts."""
    from pantau.simulate.servers.faults import FaultConfig

    rates = json.loads((world / "manifest.json").read_text(encoding="utf-8")).get("noise", {})
    names = ("rate_429", "rate_5xx", "rate_timeout", "rate_invalid_json", "rate_page_drift")
    return FaultConfig(**{n: float(rates.get(n, 0.0)) for n in names}, timeout_delay_s=3.0, seed=seed)


@contextmanager
def local_stack(home: Path, world: Path, faults: Any = "world", phase: int | None = None) -> Iterator[LocalStack]:
    """Start the embedded services; ``faults`` is a FaultConfig, None (a clean server) or "world".

    ``phase`` is the world's phase the sources serve (Bawaslu API, exports, BKD follow-up table) and the
    as-of date the run judges on; None serves the newest phase."""
    from pantau.simulate.servers import BawasluApiServer, EmbeddedObjectStore, ExportsServer, SmtpSink

    if faults == "world":
        faults = world_faults(world)
    with ExitStack() as stack:
        store = stack.enter_context(EmbeddedObjectStore(home / "objectstore"))
        smtp = stack.enter_context(SmtpSink(home / "outbox"))
        bawaslu_server, exports_server = BawasluApiServer(world, SIM_TOKEN, faults), ExportsServer(world, faults)
        if phase is not None:
            bawaslu_server.set_phase(phase)  # before start(): recorded, checked against the data on start
            exports_server.set_phase(phase)
        bawaslu = stack.enter_context(bawaslu_server)
        exports = stack.enter_context(exports_server)
        env = {**airflow_env(home), **connection_env(world, bawaslu.url, exports.url, store, smtp.port, phase),
               "PANTAU_HTTP_TIMEOUT_S": os.environ.get("PANTAU_HTTP_TIMEOUT_S", "2"),
               "PANTAU_BAWASLU_PER_PAGE": os.environ.get("PANTAU_BAWASLU_PER_PAGE", "50"),
               # A failed task in the demo is e-mailed to the sink like any other message.
               "PANTAU_OPS_EMAIL": os.environ.get("PANTAU_OPS_EMAIL", "data-engineers@pantau.local")}
        as_of = _world_as_of(world, phase)
        if as_of:
            env["PANTAU_AS_OF"] = as_of
        yield LocalStack(home, world, env, bawaslu, exports, store, smtp)


def demo_home(dialect: str = "a") -> Path:
    """Where a demo keeps its state: ``PANTAU_HOME``, or ``PANTAU_HOME/dialect-b`` for the second dialect.

    Each dialect is its own simulated world; sharing one object store would mix the two worlds' records
    and watermarks, so each gets its own home.
    """
    from pantau.settings import pantau_home

    return pantau_home() if dialect == "a" else pantau_home() / f"dialect-{dialect}"


@contextmanager
def demo_sources(seed: int, registry_size: int, cases: int, dialect: str = "a"
                 ) -> Iterator[tuple[dict[str, str], str | None]]:
    """The demo's world served without faults, as Connection environment variables (for ``pantau profile``).

    Yields the environment and the world's contacts directory. No object store or mail server is
    started: a profile stages into its own scratch store and sends nothing.
    """
    from pantau.simulate.servers import BawasluApiServer, ExportsServer

    home = demo_home(dialect)
    world = home / "world"
    ensure_world(world, {"seed": seed, "registry_size": registry_size, "cases": cases, "dialect": dialect})
    with BawasluApiServer(world, SIM_TOKEN, None) as bawaslu, ExportsServer(world, None) as exports:
        env = {**airflow_env(home), **connection_env(world, bawaslu.url, exports.url, None, None)}
        as_of = _world_as_of(world)
        if as_of:
            env["PANTAU_AS_OF"] = as_of
        yield env, str(world_contacts(world))


def world_phases(world: Path) -> dict[int, str]:
    """The world's phases and their cut-off times (``manifest.json`` "phases"), in phase order."""
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    return {int(p): str(cut) for p, cut in sorted((manifest.get("phases") or {}).items(), key=lambda i: int(i[0]))}


def _world_as_of(world: Path, phase: int | None = None) -> str | None:
    """The simulated world's "today" at ``phase`` (None: the newest), so deadlines are judged inside its timeline.

    A phase's delivery may fall on a weekend or holiday, when no alert goes out (reminders are
    sent on counted days only, docs/DOMAIN.md §2.4): the demo runs on the first counted day from it on,
    as a deployment's daily run would on the next working day.
    """
    phases = world_phases(world)
    if not phases:
        return None
    from datetime import date, timedelta

    from pantau.followup.calendar import is_counted_day
    from pantau.settings import FollowUpPolicy

    cut_off = phases[max(phases) if phase is None else phase]
    day, policy = date.fromisoformat(cut_off[:10]), FollowUpPolicy.from_env()
    while not is_counted_day(day, policy):
        day += timedelta(days=1)
    return day.isoformat()


def run_airflow(env: dict[str, str], args: list[str], log_path: Path, echo_prefix: str = "==>") -> int:
    """Run an Airflow-side command with ``env``; full output to ``log_path``, progress lines to stdout."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **env}
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"\n$ {' '.join(args)}\n")
        log.flush()
        process = subprocess.Popen(args, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert process.stdout is not None
        last_error: str | None = None
        for line in process.stdout:
            log.write(line)
            if found := _EXCEPTION_LINE.match(line.rstrip()):
                last_error = found.group("message")
            if line.startswith(echo_prefix) or "staged +" in line or line.startswith(("release ", "alerts:",
                                                                                    "validated ")):
                print("   " + line.rstrip()[:300], flush=True)
                if line.startswith(echo_prefix) and ": failed in " in line:
                    # "failed in 341 s" alone tells nobody what to fix: the task's own sentence does.
                    print(f"   why: {last_error or 'no error message was logged'}; full log: {log_path}", flush=True)
        return process.wait()


#: The last line of a Python traceback (``pantau.exceptions.SourceError: <sentence>``), as a task log prints it.
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?\w*(?:Error|Exception|Exit): (?P<message>.+)$")


def migrate(env: dict[str, str], log_path: Path) -> None:
    airflow = str(Path(sys.executable).with_name("airflow"))
    if run_airflow(env, [airflow, "db", "migrate"], log_path) != 0:
        raise SystemExit(f"airflow db migrate failed; see {log_path}")


def run_pipeline(stack: LocalStack, dag_ids: list[str] | None = None) -> int:
    log_path = stack.home / "logs" / "airflow.log"
    migrate(stack.env, log_path)
    args = [sys.executable, "-m", "pantau_airflow.run", "--dags-folder", str(dags_folder()), *(dag_ids or [])]
    return run_airflow(stack.env, args, log_path)


def ensure_world(world: Path, options: dict[str, Any], progress: bool = True) -> dict[str, Any]:
    """Generate the world unless one generated with the same options is already there."""
    from pantau.simulate.generate import GenerateOptions, generate_world

    manifest_path = world / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        # Worlds generated before the second dialect existed are dialect a.
        recorded = {"dialect": manifest.get("dialect", "a"), **manifest.get("options", {}), "seed": manifest.get("seed")}
        if all(recorded.get(k) == v for k, v in options.items()):
            return manifest
    return generate_world(world, GenerateOptions(**options), progress)


#: Which phase of its world a demo home served last (relative to PANTAU_HOME).
DEMO_STATE = Path("state") / "demo-phase.json"


@dataclass(frozen=True)
class DemoDay:
    """The phase one demo run serves: ``fresh`` is False when it was served before (nothing new)."""

    phase: int | None   # None: a world without phases (served as it is)
    phases: tuple[int, ...]
    as_of: str | None
    fresh: bool

    def label(self) -> str:
        if self.phase is None:
            return f"the world's only state (as of {self.as_of or 'today'})"
        day = f"day {self.phases.index(self.phase) + 1} of {len(self.phases)}: {self.as_of}"
        return day if self.fresh else f"{day} (the world's last phase, served before)"


def _world_identity(manifest: dict[str, Any]) -> dict[str, Any]:
    return {"dialect": manifest.get("dialect", "a"), "seed": manifest.get("seed"),
            "options": manifest.get("options", {})}


def next_day(home: Path, world: Path, manifest: dict[str, Any]) -> DemoDay:
    """The phase this run serves: the one after the phase served last, the first in a fresh home, the last
    again once every phase has been served.

    A home whose state records another world starts at the first phase again. A home that already
    holds a release but no state was filled by a demo from before phases were served one by one, which
    served the newest phase: it stays there (serving phase 1 after it would take the sources back in time).
    """
    phases = tuple(world_phases(world))
    if not phases:
        return DemoDay(None, (), _world_as_of(world), True)
    state_path = home / DEMO_STATE
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() else None
    last: int | None = None
    if state is not None and state.get("world") == _world_identity(manifest) and state.get("phase") in phases:
        last = int(state["phase"])
    elif state is None and (home / "objectstore" / S3_BUCKET / "published" / "current.json").is_file():
        last = phases[-1]
    later = [p for p in phases if last is None or p > last]
    phase = later[0] if later else phases[-1]
    return DemoDay(phase, phases, _world_as_of(world, phase), bool(later))


def record_day(home: Path, manifest: dict[str, Any], day: DemoDay) -> None:
    """Remember the phase served (only after a successful run: a failed one is served again)."""
    if day.phase is None:
        return
    path = home / DEMO_STATE
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"world": _world_identity(manifest), "phase": day.phase, "as_of": day.as_of}
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class BucketSnapshot:
    """What the demo's bucket mirror held before a run: the current release and the run/quarantine files."""

    release: str | None
    keys: frozenset[str]

    @classmethod
    def of(cls, bucket: Path) -> BucketSnapshot:
        pointer = bucket / "published" / "current.json"
        release = json.loads(pointer.read_text(encoding="utf-8"))["release"] if pointer.is_file() else None
        return cls(release, frozenset(_run_files(bucket)))


def _run_files(bucket: Path) -> list[str]:
    return [p.relative_to(bucket).as_posix() for sub in ("runs", "quarantine") if (bucket / sub).is_dir()
            for p in (bucket / sub).rglob("*") if p.is_file()]


def release_changes(bucket: Path, before: BucketSnapshot) -> dict[str, Any]:
    """What one run changed, read from the bucket mirror: the release's per-dataset row changes against
    the previous release (its manifest), records quarantined at ingestion by this run per source, the
    records validation holds back now, and the alert digests this run sent."""
    after = BucketSnapshot.of(bucket)
    out: dict[str, Any] = {"release": after.release, "previous": before.release,
                           "published": after.release is not None and after.release != before.release,
                           "datasets": {}, "quarantined": {}, "held_by_validation": 0,
                           "digests": 0, "items_new": 0, "items_repeated": 0}
    if out["published"]:
        pointer = json.loads((bucket / "published" / "current.json").read_text(encoding="utf-8"))
        manifest = json.loads((bucket / pointer["manifest"]).read_text(encoding="utf-8"))
        out["previous"] = manifest.get("previous_release")
        for name, entry in sorted(manifest.get("datasets", {}).items()):
            out["datasets"][name] = {"rows": entry.get("rows", 0), **entry.get("changes", {})}
    import pyarrow.parquet as pq

    for key in sorted(after.keys - before.keys):
        parts = key.split("/")
        if parts[0] == "quarantine" and key.endswith(".parquet"):
            rows = pq.read_metadata(bucket / key).num_rows
            if parts[1] == "validation":
                # Validation re-states what it holds back on every run: the current count, not new records.
                out["held_by_validation"] += rows
            else:
                out["quarantined"][parts[1]] = out["quarantined"].get(parts[1], 0) + rows
        elif parts[:2] == ["runs", "pantau_alerts"] and key.endswith(".json"):
            summary = json.loads((bucket / key).read_text(encoding="utf-8"))
            out["digests"] += len(summary.get("sent", []))
            out["items_new"] += int(summary.get("items_new", 0))
            out["items_repeated"] += int(summary.get("items_repeated", 0))
    return out


def format_changes(day: DemoDay, changes: dict[str, Any]) -> list[str]:
    """The end-of-run account of what changed, as printed lines."""
    lines = [f"What changed ({day.label()}):"]
    if changes["published"]:
        lines.append(f"  release {changes['release']} published (previous: {changes['previous'] or 'none'})")
        lines.append(f"  {'dataset':26} {'rows':>7} {'added':>7} {'removed':>7} {'changed':>7}")
        for name, c in changes["datasets"].items():
            lines.append(f"  {name:26} {c.get('rows', 0):>7,} {c.get('added', 0):>7,} {c.get('removed', 0):>7,} "
                         f"{c.get('changed', 0):>7,}")
    else:
        lines.append(f"  nothing new: release {changes['release'] or '(none)'} unchanged")
    quarantined = changes["quarantined"]
    by_source = ", ".join(f"{source} {n:,}" for source, n in sorted(quarantined.items())) or "no source read"
    lines.append(f"  new quarantine: {sum(quarantined.values()):,} records at ingestion ({by_source}); "
                 f"{changes['held_by_validation']:,} held back by validation")
    lines.append(f"  alert digests sent: {changes['digests']:,} ({changes['items_new']:,} new items, "
                 f"{changes['items_repeated']:,} reminders)")
    if not day.fresh:
        lines.append("  every phase of this world has been served; delete PANTAU_HOME to start the days again")
    return lines


def demo(seed: int, registry_size: int, cases: int, dialect: str = "a") -> int:
    home = demo_home(dialect)
    world = home / "world"
    started = time.monotonic()
    print(f"Pantau demo in {home}")
    print(f"1/3 world (simulator dialect {dialect}): seed {seed}, {registry_size:,} registry persons, {cases:,} cases")
    manifest = ensure_world(world, {"seed": seed, "registry_size": registry_size, "cases": cases, "dialect": dialect})
    day = next_day(home, world, manifest)
    if day.phase is not None:
        news = "" if day.fresh else "; every phase was served before, so expect nothing new"
        print(f"    serving phase {day.phase} of {len(day.phases)} (cut-off {world_phases(world)[day.phase]}), "
              f"judged as of {day.as_of}{news}")
    bucket = home / "objectstore" / S3_BUCKET
    before = BucketSnapshot.of(bucket)
    print("2/3 starting simulators, embedded S3 and SMTP sink on 127.0.0.1")
    with local_stack(home, world, phase=day.phase) as stack:
        print(f"    bawaslu {stack.bawaslu.url}  exports {stack.exports.url}  s3 {stack.store.url}  "
              f"smtp 127.0.0.1:{stack.smtp.port}")
        print("    the source simulators inject the world's HTTP faults (429, 5xx, timeouts, invalid JSON, "
              "page drift)")
        print("3/3 running the DAGs with dag.test() (full log: .pantau/logs/airflow.log)")
        status = run_pipeline(stack)
        served = {name: server.stats() for name, server in (("bawaslu", stack.bawaslu), ("exports", stack.exports))}
    for name, stats in served.items():
        faults = {kind: n for kind, n in stats["faults"].items() if n} or "none drawn this run"
        print(f"    {name}: {stats['requests']} HTTP requests, faults injected and survived: {faults}")
    if status != 0:
        print(f"demo FAILED (exit {status}); see {home / 'logs' / 'airflow.log'}", file=sys.stderr)
        return status
    record_day(home, manifest, day)
    print()
    print("\n".join(format_changes(day, release_changes(bucket, before))))
    _print_outputs(home, time.monotonic() - started)
    return 0


def _print_outputs(home: Path, seconds: float) -> None:
    bucket = home / "objectstore" / S3_BUCKET
    print(f"\nDone in {seconds:.0f} s. Outputs:")
    pointer_file = bucket / "published" / "current.json"
    if pointer_file.is_file():
        pointer = json.loads(pointer_file.read_text(encoding="utf-8"))
        release_dir = bucket / "published" / "releases" / pointer["release"]
        print(f"  current release:      {pointer['release']} (as of {pointer['as_of']}) in {release_dir}")
        print(f"  catalog page:         {bucket / 'published' / 'index.html'}  (open it in a browser)")
    print(f"  object store (bucket '{S3_BUCKET}'): {bucket}")
    for label, sub in (("releases", "published/releases"), ("validation reports", "published/validation"),
                       ("staged tables", "staging"), ("quarantine", "quarantine"), ("raw zone", "raw"),
                       ("run summaries", "runs")):
        if (bucket / sub).exists():
            print(f"    {label:20} {bucket / sub}")
    outbox = home / "outbox"
    print(f"  alert e-mails (.eml): {outbox} ({len(list(outbox.glob('*.eml')))} files)")
    print(f"  simulated sources:    {home / 'world'} (ground truth in world/truth)")
    print(f"  Airflow home:         {home / 'airflow'}; log {home / 'logs' / 'airflow.log'}")
