"""``pantau bench chain``: the whole chain at national scale through Airflow, then a day's change.

1. generates a seeded world (default 6M persons over 4 BKDs, 100k cases; reused from ``--world`` when it was
   generated with the same options) in a child process;
2. copies it into a fresh run folder (BKD databases copied, the rest hard-linked) and starts the simulators
   with the world's own HTTP faults, an embedded S3 server with nothing in it, and an SMTP sink;
3. migrates a fresh Airflow home and runs every DAG, one ``python -m pantau_airflow.run DAG`` child per
   DAG, so each stage's wall time and peak RSS are its own (the child's high-water mark, or the child
   with its own children, publication's file writers, sampled together, whichever is higher);
4. applies a day's change to the copy (:func:`pantau.simulate.day_change.apply_day_change`: ``--fraction``
   of every source changed or added), restarts the source simulators on it and runs every DAG again, as of
   the next counted day;
5. prints a table per stage for both runs, the totals, the ratio incremental / full and the goals
   (full chain <= 10 min, peak RSS <= 4 GB, incremental <= 10 % of full), and writes it as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pantau.pipeline import PIPELINE

__all__ = ["GOALS", "StageResult", "format_table", "register", "run_chain_bench", "verdicts"]

DEFAULT_DIR = Path(".pantau/bench/chain")
#: Goals of issue 14 on the 2-core reference machine.
GOALS = {"full_wall_s": 600.0, "peak_rss_mb": 4096.0, "incremental_ratio": 0.10}
_PEAK_LINE = re.compile(r"^==> peak RSS (?P<mib>\d+) MiB")
_IN_LINE = re.compile(r"^(?P<source>[\w/.:-]+?): (?P<n>\d+) in = ")
_TASK_LINE = re.compile(r"^==> task (?P<task>[\w.\[\]-]+): (?P<state>\w+) in (?P<s>[\d.]+) s")
_ALERTS_LINE = re.compile(r"^alerts: (?P<n>\d+)")
_VALIDATED_LINE = re.compile(r"^validated (?P<table>\w+): (?P<n>\d+) in = ")


@dataclass
class StageResult:
    """One stage of one run: a DAG (or one task of it), its wall time, records and peak RSS."""

    stage: str
    wall_s: float
    records: int | None
    peak_rss_mb: float | None
    ok: bool = True
    tasks: dict[str, float] = field(default_factory=dict)

    @property
    def records_per_s(self) -> float | None:
        if self.records is None or self.wall_s <= 0:
            return None
        return self.records / self.wall_s


@dataclass
class ChainRun:
    name: str
    stages: list[StageResult]
    store_peak_rss_mb: float | None = None

    @property
    def wall_s(self) -> float:
        return sum(s.wall_s for s in self.stages)

    @property
    def peak_rss_mb(self) -> float | None:
        values = [s.peak_rss_mb for s in self.stages if s.peak_rss_mb is not None]
        return max(values) if values else None

    @property
    def records(self) -> int:
        return sum(s.records or 0 for s in self.stages)


def verdicts(full: ChainRun, incremental: ChainRun | None) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) per goal; met is None when it could not be measured."""
    out: list[tuple[str, str, bool | None]] = [
        (f"full chain <= {GOALS['full_wall_s'] / 60:.0f} min", f"{full.wall_s / 60:.1f} min",
         full.wall_s <= GOALS["full_wall_s"] and all(s.ok for s in full.stages))]
    peaks = [p for p in (full.peak_rss_mb, full.store_peak_rss_mb,
                         incremental.peak_rss_mb if incremental else None,
                         incremental.store_peak_rss_mb if incremental else None) if p is not None]
    peak = max(peaks) if peaks else None
    out.append((f"peak RSS <= {GOALS['peak_rss_mb'] / 1024:.0f} GB (any stage, or the object store)",
                f"{peak / 1024:.2f} GB" if peak is not None else "n/a",
                None if peak is None else peak <= GOALS["peak_rss_mb"]))
    if incremental is None or full.wall_s <= 0:
        out.append((f"incremental <= {GOALS['incremental_ratio']:.0%} of full", "n/a", None))
    else:
        ratio = incremental.wall_s / full.wall_s
        out.append((f"incremental <= {GOALS['incremental_ratio']:.0%} of full", f"{ratio:.1%}",
                    ratio <= GOALS["incremental_ratio"] and all(s.ok for s in incremental.stages)))
    return out


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def format_table(runs: list[ChainRun]) -> list[str]:
    """The printed table: per run, a row per stage (and per task under it), the totals, the object store."""
    lines = [f"{'run':12} {'stage':40} {'wall s':>8} {'records':>11} {'rec/s':>9} {'peak RSS MB':>12}"]
    for run in runs:
        for s in run.stages:
            flag = "" if s.ok else "  FAILED"
            lines.append(f"{run.name:12} {s.stage:40} {s.wall_s:>8.1f} {_num(s.records, ',d'):>11} "
                         f"{_num(s.records_per_s, ',.0f'):>9} {_num(s.peak_rss_mb, ',.0f'):>12}{flag}")
            for task, seconds in s.tasks.items():
                lines.append(f"{'':12} {'  task ' + task:40} {seconds:>8.1f}")
        lines.append(f"{run.name:12} {'TOTAL':40} {run.wall_s:>8.1f} {run.records:>11,d} "
                     f"{_num(run.records / run.wall_s if run.wall_s else None, ',.0f'):>9} "
                     f"{_num(run.peak_rss_mb, ',.0f'):>12}")
        lines.append(f"{run.name:12} {'object store (moto) peak RSS':40} {'':>8} {'':>11} {'':>9} "
                     f"{_num(run.store_peak_rss_mb, ',.0f'):>12}")
    if len(runs) == 2 and runs[0].wall_s > 0:
        lines.append(f"ratio incremental / full: {runs[1].wall_s / runs[0].wall_s:.1%} "
                     f"({runs[1].wall_s:.1f} s / {runs[0].wall_s:.1f} s)")
    for goal, measured, met in verdicts(runs[0], runs[1] if len(runs) > 1 else None):
        lines.append(f"goal {goal:58} {measured:>12}  {'met' if met else 'not met' if met is False else 'n/a'}")
    return lines


def stage_records(dag_id: str, output: list[str]) -> int | None:
    """The records a DAG run handled, from the lines its tasks print: records in for the ingest DAGs, rows
    validated for reconcile, digests sent for alerts."""
    if dag_id.startswith("pantau_ingest_"):
        found = [int(m.group("n")) for line in output if (m := _IN_LINE.match(line))]
        return sum(found) if found else None
    if dag_id == "pantau_reconcile":
        found = [int(m.group("n")) for line in output if (m := _VALIDATED_LINE.match(line))]
        return sum(found) if found else None
    if dag_id == "pantau_alerts":
        found = [int(m.group("n")) for line in output if (m := _ALERTS_LINE.match(line))]
        return sum(found) if found else None
    return None


# --------------------------------------------------------------------------- running


class _RssSampler:
    """Samples one process's RSS (the moto child) in a thread and keeps the peak; with ``tree``, the
    process's and all its descendants' together (a DAG's task with publication's file writers)."""

    def __init__(self, pid: int | None, interval_s: float = 0.5, tree: bool = False) -> None:
        self.pid, self.interval_s, self.peak_mb, self.tree = pid, interval_s, 0.0, tree
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        try:
            process = psutil.Process(self.pid)
            while not self._stop.is_set():
                rss = process.memory_info().rss
                for child in process.children(recursive=True) if self.tree else ():
                    with contextlib.suppress(psutil.Error):  # gone between the listing and the reading
                        rss += child.memory_info().rss
                self.peak_mb = max(self.peak_mb, rss / 2**20)
                self._stop.wait(self.interval_s)
        except psutil.Error:
            return

    def reset(self) -> None:
        self.peak_mb = 0.0

    def __enter__(self) -> _RssSampler:
        if self.pid is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


def run_dag(env: dict[str, str], dag_id: str, log_path: Path) -> StageResult:
    """One DAG through ``pantau_airflow.run`` in its own process: wall time, and peak RSS as the child
    reports it (its own ``VmHWM``), or ``os.wait4``'s ``ru_maxrss`` (which may include this process's) when
    it does not."""
    from pantau.demo import dags_folder

    args = [sys.executable, "-m", "pantau_airflow.run", "--dags-folder", str(dags_folder()), "--task-times", dag_id]
    started = time.perf_counter()
    output: list[str] = []
    tasks: dict[str, float] = {}
    peak_mb: float | None = None
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"\n$ {' '.join(args)}\n")
        log.flush()
        process = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        assert process.stdout is not None
        with _RssSampler(process.pid, 0.25, tree=True) as together:
            for line in process.stdout:
                log.write(line)
                output.append(line.rstrip("\n"))
                if found := _TASK_LINE.match(line):
                    tasks[found.group("task")] = float(found.group("s"))
                elif found := _PEAK_LINE.match(line):
                    peak_mb = float(found.group("mib"))
            _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    own = peak_mb if peak_mb is not None else round(usage.ru_maxrss / 1024, 0)
    # The DAG process's own high-water mark, or the process with its children (publication's file
    # writers) together as sampled every 0.25 s, whichever is higher.
    return StageResult(dag_id, round(wall, 2), stage_records(dag_id, output), max(own, round(together.peak_mb, 0)),
                       process.returncode == 0, tasks)


def prepare_run(world: Path, run_dir: Path) -> tuple[Path, Path, Path, Any]:
    """A fresh run folder: the world copied to ``run_dir/world``, an empty Airflow home ``run_dir/home``
    with its log folder. Returns the world copy, the home, the Airflow log path and the world's faults."""
    from pantau import demo

    if run_dir.exists():
        shutil.rmtree(run_dir)
    work_world, home = run_dir / "world", run_dir / "home"
    copy_world(world, work_world)
    log_path = home / "logs" / "airflow.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return work_world, home, log_path, demo.world_faults(work_world)


def copy_world(source: Path, target: Path) -> None:
    """A working copy a day change may alter: SQLite databases copied, every other file hard-linked."""
    if target.exists():
        shutil.rmtree(target)

    def link_or_copy(src: str, dst: str) -> None:
        if src.endswith((".sqlite", ".db")):
            shutil.copy2(src, dst)
            return
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link_or_copy, ignore=shutil.ignore_patterns("prepared"))


def _sources_env(world: Path, home: Path, bawaslu: Any, exports: Any, store: Any, smtp: Any,
                 per_page: int | None) -> dict[str, str]:
    from pantau import demo

    env = {**demo.airflow_env(home), **demo.connection_env(world, bawaslu.url, exports.url, store, smtp.port),
           "PANTAU_OPS_EMAIL": "data-engineers@pantau.local"}
    if per_page:
        env["PANTAU_BAWASLU_PER_PAGE"] = str(per_page)
    as_of = demo._world_as_of(world)  # noqa: SLF001 (the demo's own reading of a world's "today")
    if as_of:
        env["PANTAU_AS_OF"] = as_of
    return env


def _run_pass(name: str, env: dict[str, str], log_path: Path, sampler: _RssSampler, progress: bool) -> ChainRun:
    from tqdm import tqdm

    stages: list[StageResult] = []
    sampler.reset()
    with tqdm(total=len(PIPELINE), desc=f"{name} run", unit="DAG", file=sys.stderr, disable=not progress,
              leave=False) as bar:
        for dag_id in PIPELINE:
            bar.set_postfix_str(dag_id)
            result = run_dag(env, dag_id, log_path)
            stages.append(result)
            bar.update(1)
            tqdm.write(f"   {name}: {dag_id} {'done' if result.ok else 'FAILED'} in {result.wall_s:.1f} s "
                       f"({_num(result.records, ',d')} records, peak RSS {_num(result.peak_rss_mb, ',.0f')} MB)",
                       file=sys.stdout)
            if not result.ok:
                break
    return ChainRun(name, stages, round(sampler.peak_mb, 0) or None)


def _generate(world: Path, options: dict[str, Any], progress: bool) -> None:
    from pantau.demo import ensure_world

    ensure_world(world, options, progress)


def run_chain_bench(args: argparse.Namespace) -> int:
    import multiprocessing

    from pantau import demo
    from pantau.simulate.day_change import apply_day_change
    from pantau.simulate.servers import BawasluApiServer, EmbeddedObjectStore, ExportsServer, SmtpSink

    bench_dir = Path(args.dir).resolve()  # the default is relative to the checkout; Airflow needs absolute paths
    world = Path(args.world).resolve() if args.world else bench_dir / f"world-{args.registry_size}-{args.cases}-{args.seed}"
    options = {"seed": args.seed, "registry_size": args.registry_size, "cases": args.cases, "bkds": args.bkds,
               "dialect": "a"}
    print(f"1/4 world: {args.registry_size:,} persons over {args.bkds} BKDs, {args.cases:,} cases, seed {args.seed} "
          f"in {world}", flush=True)
    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(target=_generate, args=(world, options, True))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"generating the world failed (exit code {child.exitcode}); see the error above")
    print(f"    ready in {time.perf_counter() - started:.0f} s (reused when generated before with these options)")
    work_world, home, log_path, faults = prepare_run(world, bench_dir / "run")
    buffer = None if args.moto_buffer_mib is None or args.moto_buffer_mib < 0 else int(args.moto_buffer_mib * 2**20)
    runs: list[ChainRun] = []
    with ExitStack() as stack:
        store = stack.enter_context(EmbeddedObjectStore(None, key_buffer_bytes=buffer))
        smtp = stack.enter_context(SmtpSink(home / "outbox"))
        sampler = stack.enter_context(_RssSampler(store.pid))
        print(f"2/4 full run from an empty store and a fresh Airflow home ({home})", flush=True)
        with BawasluApiServer(work_world, demo.SIM_TOKEN, faults) as bawaslu, \
                ExportsServer(work_world, faults) as exports:
            env = _sources_env(work_world, home, bawaslu, exports, store, smtp, args.per_page)
            demo.migrate(env, log_path)
            runs.append(_run_pass("full", env, log_path, sampler, not args.no_progress))
            served = bawaslu.stats()
        print(f"    bawaslu served {served['requests']:,} requests; faults {served['faults']}")
        _report(runs, world, options, args, bench_dir)  # the full run's table now, in case the rest fails
        if all(s.ok for s in runs[0].stages):
            print(f"3/4 a day's change: {args.fraction:.1%} of every source changed or added", flush=True)
            counts = apply_day_change(work_world, args.fraction, args.seed)
            print("    " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            print(f"4/4 incremental run, as of {demo._world_as_of(work_world)}", flush=True)  # noqa: SLF001
            with BawasluApiServer(work_world, demo.SIM_TOKEN, faults) as bawaslu, \
                    ExportsServer(work_world, faults) as exports:
                env = _sources_env(work_world, home, bawaslu, exports, store, smtp, args.per_page)
                runs.append(_run_pass("incremental", env, log_path, sampler, not args.no_progress))
    print()
    out = _report(runs, world, options, args, bench_dir)
    print(f"\ntable written to {out}; DAG logs in {log_path}")
    return 0 if all(s.ok for r in runs for s in r.stages) and len(runs) == 2 else 1


def _report(runs: list[ChainRun], world: Path, options: dict[str, Any], args: argparse.Namespace,
            bench_dir: Path) -> Path:
    lines = format_table(runs)
    print("\n".join(lines))
    result = {"world": str(world), "options": options, "fraction": args.fraction, "goals": GOALS,
              "runs": [{"name": r.name, "wall_s": round(r.wall_s, 2), "records": r.records,
                        "peak_rss_mb": r.peak_rss_mb, "store_peak_rss_mb": r.store_peak_rss_mb,
                        "stages": [{**asdict(s), "records_per_s": s.records_per_s} for s in r.stages]} for r in runs],
              "verdicts": [{"goal": g, "measured": m, "met": ok}
                           for g, m, ok in verdicts(runs[0], runs[1] if len(runs) > 1 else None)],
              "table": lines}
    out = bench_dir / f"chain-{args.registry_size}-{args.cases}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return out


def register(subparsers: Any) -> None:
    """Add ``chain`` to the ``pantau bench`` sub-command group."""
    chain = subparsers.add_parser(
        "chain", help="the whole chain through Airflow at national scale, then a day's change (6M x 100k)",
        description=(__doc__ or "").split("\n\n", 1)[-1], formatter_class=argparse.RawDescriptionHelpFormatter)
    chain.add_argument("--registry-size", type=int, default=6_000_000, help="registry persons (default 6,000,000)")
    chain.add_argument("--cases", type=int, default=100_000, help="Bawaslu cases (default 100,000)")
    chain.add_argument("--bkds", type=int, default=4, help="BKD databases the registry is spread over")
    chain.add_argument("--seed", type=int, default=20241127, help="seed of the world and of the day's change")
    chain.add_argument("--world", default=None, help="world folder, reused when generated with the same options "
                       "(default DIR/world-<size>-<cases>-<seed>)")
    chain.add_argument("--dir", default=str(DEFAULT_DIR), help=f"bench folder (default {DEFAULT_DIR})")
    chain.add_argument("--fraction", type=float, default=0.01, help="share of every source the day changes")
    chain.add_argument("--per-page", type=int, default=None,
                       help="Bawaslu page size (default: the product's PANTAU_BAWASLU_PER_PAGE default)")
    chain.add_argument("--moto-buffer-mib", type=float, default=1.0,
                       help="objects above this size spill to disk in the embedded S3 server; -1: moto's default")
    chain.add_argument("--no-progress", action="store_true", help="no progress bars")
    chain.set_defaults(func=run_chain_bench)
