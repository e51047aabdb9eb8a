"""Where the reconcile DAG's time and memory go at national scale, without Airflow around it.

    python scripts/profile_reconcile.py snapshot --world .pantau/bench/chain/world-6000000-100000-20241127
    python scripts/profile_reconcile.py profile
    python scripts/profile_reconcile.py profile --until link --no-profiler   # memory of the first half only
    python scripts/profile_reconcile.py snapshot --incremental --world ... --snapshot .pantau/profile/incremental

``snapshot`` runs the three ingest DAGs through Airflow (as ``make bench-chain`` does) on a copy of a
generated world, then copies every object of the embedded store to ``--snapshot`` (default
``.pantau/profile/snapshot``). ``profile`` loads that snapshot into a fresh embedded store and runs the
reconcile DAG's two steps in this process (``validate_sources``, ``reconcile_and_publish``), printing
per step its wall time and resident memory (before -> peak -> after, sampled every 50 ms), and writes
a pyinstrument profile next to the snapshot (``profile.txt``). ``--until link`` stops after validation
and linking (``service._link``), before publication; ``--no-profiler`` leaves pyinstrument out (its
sampling slows publication several times over). The process's memory includes the earlier steps'
leftovers; under Airflow the two steps are two task processes, each starting about 0.3 GB higher
(Airflow's imports).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "include"), str(ROOT / "plugins")]

PROCESS = psutil.Process()
_peak = [0.0]


def _rss_mb() -> float:
    return PROCESS.memory_info().rss / 2**20


#: The highest resident memory of this process's children together (publication's file writers).
_children_peak = [0.0]


#: Children not counted by ``_children_mb``: the embedded object store's server (its memory is the S3 server's).
_not_counted: set[int] = set()


def _children_mb() -> float:
    total = 0
    for child in PROCESS.children(recursive=True):
        try:
            if child.pid not in _not_counted and child.ppid() not in _not_counted:
                total += child.memory_info().rss
        except psutil.Error:  # gone between the listing and the reading
            pass
    return total / 2**20


def _sample() -> None:
    while True:
        _peak[0] = max(_peak[0], _rss_mb())
        _children_peak[0] = max(_children_peak[0], _children_mb())
        time.sleep(0.05)


def _measured(owner: Any, name: str) -> None:
    """Replace ``owner.name`` by a wrapper printing its wall time and memory."""
    function: Callable[..., Any] = getattr(owner, name)
    label = f"{getattr(owner, '__name__', owner).split('.')[-1]}.{name}"

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        before, outer_peak = _rss_mb(), _peak[0]
        _peak[0] = before
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            print(f"  {label:42s} {time.perf_counter() - started:7.1f} s   RSS {before:7,.0f} -> peak "
                  f"{_peak[0]:7,.0f} -> {_rss_mb():7,.0f} MB", flush=True)
            _peak[0] = max(outer_peak, _peak[0])

    setattr(owner, name, wrapper)


INGEST = ("pantau_ingest_bawaslu", "pantau_ingest_recommendations", "pantau_ingest_bkd")


_totals: dict[str, list[float]] = {}


def _accumulated(owner: Any, name: str) -> None:
    """Replace ``owner.name`` by a wrapper adding up its calls and wall time (printed by ``_print_totals``)."""
    function: Callable[..., Any] = getattr(owner, name)
    label = f"{getattr(owner, '__name__', type(owner).__name__).split('.')[-1]}.{name}"
    total = _totals.setdefault(label, [0, 0.0])

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            total[0] += 1
            total[1] += time.perf_counter() - started

    setattr(owner, name, wrapper)


def _print_totals() -> None:
    for label, (calls, seconds) in sorted(_totals.items(), key=lambda item: -item[1][1]):
        print(f"  {label:42s} {seconds:7.1f} s in {calls:,} call(s)")


def snapshot(world: Path, target: Path, incremental: bool) -> None:
    from pantau import demo
    from pantau.bench.chain import _sources_env, prepare_run, run_dag
    from pantau.simulate.day_change import apply_day_change
    from pantau.simulate.servers import BawasluApiServer, EmbeddedObjectStore, ExportsServer, SmtpSink
    from pantau.storage import ObjectStore

    work, home, log, faults = prepare_run(world, target.parent / "run")
    with EmbeddedObjectStore(None) as embedded, SmtpSink(home / "outbox") as smtp:
        def run(dag_ids: tuple[str, ...], migrate: bool = False) -> None:
            with BawasluApiServer(work, demo.SIM_TOKEN, faults) as bawaslu, ExportsServer(work, faults) as exports:
                env = _sources_env(work, home, bawaslu, exports, embedded, smtp, None)
                if migrate:
                    demo.migrate(env, log)
                for dag_id in dag_ids:
                    result = run_dag(env, dag_id, log)
                    print(f"{dag_id}: {'done' if result.ok else 'FAILED'} in {result.wall_s:.0f} s", flush=True)
                    if not result.ok:
                        raise SystemExit(f"{dag_id} failed; see {log}")

        if incremental:  # the full chain's reconcile first, so the day's change meets a store with history
            run((*INGEST, "pantau_reconcile"), migrate=True)
            counts = apply_day_change(work, 0.01, 20241127)
            print("day's change: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
            run(INGEST)
        else:
            run(INGEST, migrate=True)
        store = ObjectStore.connect(embedded.endpoint, embedded.access_key, embedded.secret_key, demo.S3_BUCKET)
        if target.exists():
            shutil.rmtree(target)
        for key in store.list(""):
            path = target / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(store.get_bytes(key))
    (target / "_as_of.json").write_text(json.dumps({"as_of": demo._world_as_of(work)}))  # noqa: SLF001
    print(f"snapshot in {target}")


def profile(source: Path, until: str, profiler_on: bool) -> None:
    from pyinstrument import Profiler

    from pantau import demo
    from pantau.matching import incremental, persons
    from pantau.pipeline import publication, quality, reconcile, service
    from pantau.publishing import access, release, statistics
    from pantau.settings import FollowUpPolicy, ValidationSettings
    from pantau.simulate.servers import EmbeddedObjectStore
    from pantau.storage import ObjectStore

    as_of = date.fromisoformat(json.loads((source / "_as_of.json").read_text())["as_of"][:10])
    with EmbeddedObjectStore(None) as embedded:
        store = ObjectStore.connect(embedded.endpoint, embedded.access_key, embedded.secret_key, demo.S3_BUCKET)
        for path in sorted(source.rglob("*")):
            if path.is_file() and path.name != "_as_of.json":
                store.put_bytes(str(path.relative_to(source)), path.read_bytes())
        if embedded.pid is not None:
            _not_counted.add(embedded.pid)
        threading.Thread(target=_sample, daemon=True).start()
        for owner, name in [(quality, "validate_sources"), (quality, "load_validated"), (service, "_link"),
                            (persons.RegistryIndex, "build"), (incremental.IncrementalMatcher, "match"),
                            (incremental.RegistryState, "of"), (reconcile, "link_cases"), (reconcile, "overdue"),
                            (statistics, "compliance_statistics"), (quality, "validate_for_publication"),
                            (publication, "publish")]:
            _measured(owner, name)
        # Inside publication: where a release's time goes (calls added up; nested calls count in both).
        for owner, name in [(release, "xlsx_from_people"), (release, "csv_from_people"), (release, "parquet_bytes"),
                            (release, "tidy"), (release, "for_people"), (release, "_verify"), (release, "_draft"),
                            (release, "_earlier_files"), (release, "apply_retention"), (access, "split_by_ppk"),
                            (store, "put_bytes"), (store, "copy")]:
            _accumulated(owner, name)
        profiler = Profiler(interval=0.01)
        if profiler_on:
            profiler.start()
        started = time.perf_counter()
        quality.validate_sources(store, "profile-1", as_of, ValidationSettings.from_env())
        if until == "link":
            service._link(store)  # noqa: SLF001 - the first half of reconcile_and_publish, on its own
        else:
            outcome = service.reconcile_and_publish(store, "profile-run-1", "profile-1", as_of,
                                                    FollowUpPolicy.from_env())
            shown = {k: outcome.get(k) for k in ("status", "release", "reused_files", "matching")}
            print("release: " + json.dumps(shown, default=str)[:600])
            _print_totals()
        print(f"total {time.perf_counter() - started:.1f} s, peak RSS {_peak[0]:,.0f} MB; child processes "
              f"(publication's file writers and their server) together at most {_children_peak[0]:,.0f} MB")
        if profiler_on:
            profiler.stop()
            out = source.parent / "profile.txt"
            out.write_text(profiler.output_text(unicode=False, color=False))
            print(f"profile in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["snapshot", "profile"])
    parser.add_argument("--world", type=Path, help="a generated world (snapshot)")
    parser.add_argument("--snapshot", type=Path, default=ROOT / ".pantau" / "profile" / "snapshot")
    parser.add_argument("--until", choices=["publish", "link"], default="publish",
                        help="profile: stop after linking (link) or run the whole task (publish)")
    parser.add_argument("--incremental", action="store_true",
                        help="snapshot: run the full chain to reconcile, apply a 1 %% day's change (as make bench-chain "
                             "does), ingest again, and snapshot before the incremental reconcile")
    parser.add_argument("--no-profiler", action="store_true", help="profile: without pyinstrument")
    args = parser.parse_args()
    if args.step == "snapshot":
        if args.world is None or not (args.world / "manifest.json").is_file():
            parser.error("--world must name a generated world (make bench-chain generates one)")
        snapshot(args.world.resolve(), args.snapshot.resolve(), args.incremental)
    else:
        if not args.snapshot.is_dir():
            parser.error(f"no snapshot in {args.snapshot}: run the snapshot step first")
        profile(args.snapshot.resolve(), args.until, not args.no_profiler)


if __name__ == "__main__":
    main()
