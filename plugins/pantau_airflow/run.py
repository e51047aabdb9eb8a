"""Run Pantau's DAGs with ``dag.test()`` in dependency order (used by ``pantau demo`` and the tests).

Run as ``python -m pantau_airflow.run DAG_ID [DAG_ID ...]`` in an environment whose AIRFLOW_HOME,
dags folder, Connections and Variables are already set; exits non-zero if any run does not succeed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pantau.pipeline import PIPELINE

__all__ = ["PIPELINE", "main", "run_dags"]


def run_dags(dag_ids: list[str], dags_folder: str | None = None, task_times: bool = False) -> dict[str, str]:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=dags_folder) if dags_folder else DagBag()
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    states: dict[str, str] = {}
    for dag_id in dag_ids:
        if dag_id not in bag.dags:
            raise SystemExit(f"unknown DAG {dag_id!r}; known: {sorted(bag.dags)}")
        started = time.monotonic()
        print(f"==> {dag_id}: dag.test()", flush=True)
        dag_run = bag.dags[dag_id].test()
        state = str(getattr(dag_run, "state", "unknown"))
        states[dag_id] = state
        if task_times:
            _print_task_times(dag_run)
            _print_peak_rss()
        print(f"==> {dag_id}: {state} in {time.monotonic() - started:.1f} s", flush=True)
        if state != "success":
            break
    return states


def _print_task_times(dag_run: object) -> None:
    """One ``==> task <id>: <state> in <s> s`` line per task instance of the run (``pantau bench chain``)."""
    try:
        instances = dag_run.get_task_instances()  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 (timings are a nicety; the run's state is what counts)
        print(f"==> task times unavailable: {type(exc).__name__}", flush=True)
        return
    for ti in sorted(instances, key=lambda t: (t.start_date is None, t.start_date or 0)):
        if ti.start_date is not None and ti.end_date is not None:
            seconds = (ti.end_date - ti.start_date).total_seconds()
            label = ti.task_id if getattr(ti, "map_index", -1) in (None, -1) else f"{ti.task_id}[{ti.map_index}]"
            print(f"==> task {label}: {ti.state} in {seconds:.1f} s", flush=True)


def _print_peak_rss() -> None:
    """``==> peak RSS <MiB> MiB``: this process's own peak (``VmHWM``). ``ru_maxrss`` as a parent sees it
    after the exit is not: Linux carries the parent's peak into a child started by vfork, as subprocess does."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            print(f"==> peak RSS {int(line.split()[1]) / 1024:.0f} MiB", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dag_ids", nargs="*", default=list(PIPELINE), help="DAGs to run, in order (default: all)")
    parser.add_argument("--dags-folder", default=None)
    parser.add_argument("--task-times", action="store_true", help="also print each task's wall time")
    args = parser.parse_args(argv)
    states = run_dags(args.dag_ids, args.dags_folder, args.task_times)
    failed = {d: s for d, s in states.items() if s != "success"}
    if failed or len(states) != len(args.dag_ids):
        print(f"FAILED: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
