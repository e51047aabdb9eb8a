"""``pantau bench reconcile`` and ``pantau bench accuracy``: speed and accuracy of the reconcile stage.

``reconcile`` times the whole reconcile stage (agency resolution, person matching in all stages,
case and follow-up linking, review queue) on a generated world, default 50k cases against a
6M-person registry, and reports wall time and peak RSS. With ``--peer`` it then runs Splink
(DuckDB backend) on the fuzzy stage's own queries (records left without a NIP answer) against the
same registry blocks and prints the time ratio and both precision/recall figures.

``accuracy`` prints precision/recall per noise type against the world's ground truth.

The world is generated once into ``--world`` (reused when present) and staged once into
``<world>/prepared`` (the staging is the ingest DAGs' job, not timed here).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

__all__ = ["register", "run_accuracy_bench", "run_reconcile_bench"]

DEFAULT_WORLD = Path(".pantau/bench/reconcile-6m")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in_child(target: Any, *args: Any) -> None:
    """Run a preparation step in a fresh process, so its memory does not count against the stage timed here."""
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(target=target, args=args)
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"{getattr(target, '__name__', target)} failed in its child process "
                         f"(exit code {child.exitcode}); see the error above")


def _world(args: argparse.Namespace) -> Path:
    world = Path(args.world)
    if not (world / "manifest.json").exists():
        from pantau.simulate.generate import GenerateOptions, generate_world

        print(f"generating {args.registry_size:,} persons / {args.cases:,} cases into {world} ...", flush=True)
        started = time.perf_counter()
        _in_child(generate_world, world,
                  GenerateOptions(seed=args.seed, registry_size=args.registry_size, cases=args.cases), False)
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    return world


def _stage(world: Path) -> Any:
    from pantau.matching.world import load_world
    from pantau.pipeline.reconcile import REGISTRY_COLUMNS

    started = time.perf_counter()
    if not (world / "prepared" / "phase2" / "transfers.parquet").exists():
        _in_child(load_world, world)
    staged = load_world(world, registry_columns=REGISTRY_COLUMNS)
    print(f"staged inputs ready in {time.perf_counter() - started:.1f} s (cached in {world / 'prepared'})",
          flush=True)
    return staged


def run_reconcile_bench(args: argparse.Namespace) -> int:
    from pantau.pipeline import reconcile

    world = _world(args)
    staged = _stage(world)
    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    consolidated = reconcile.link_cases(staged.cases, staged.recs, staged.follow_ups, staged.registry,
                                         transfers=staged.transfers)
    queue = reconcile.build_review_queue(consolidated)
    wall = time.perf_counter() - started
    result = {"world": str(world), "registry": len(staged.registry), "cases": len(staged.cases),
              "recommendations": len(staged.recs), "follow_ups": len(staged.follow_ups),
              "consolidated_rows": len(consolidated), "review_items": len(queue), "reconcile_wall_s": round(wall, 2),
              "peak_rss_mb": round(_peak_rss_mb(), 0), "peak_rss_before_mb": round(rss_before, 0)}
    print(json.dumps(result, indent=2))
    if args.peer:
        from pantau.matching.peer import run_peer

        print(json.dumps(run_peer(world, staged, consolidated), indent=2, default=str))
    return 0


def run_accuracy_bench(args: argparse.Namespace) -> int:
    from pantau.matching.evaluate import evaluate
    from pantau.pipeline import reconcile

    world = _world(args)
    staged = _stage(world)
    consolidated = reconcile.link_cases(staged.cases, staged.recs, staged.follow_ups, staged.registry,
                                         transfers=staged.transfers)
    figures = evaluate(consolidated, world)
    by_noise = figures.pop("person_by_noise")
    print(json.dumps(figures, indent=2))
    print("\nperson matching per noise type:")
    print(by_noise.to_string(index=False))
    return 0


def _common(parser: argparse.ArgumentParser, world: Path, registry: int, cases: int) -> None:
    parser.add_argument("--world", default=str(world), help="world directory (generated when missing)")
    parser.add_argument("--registry-size", type=int, default=registry)
    parser.add_argument("--cases", type=int, default=cases)
    parser.add_argument("--seed", type=int, default=20241127)


def register(subparsers: Any) -> None:
    """Add ``reconcile`` and ``accuracy`` to the ``pantau bench`` sub-command group."""
    rec = subparsers.add_parser("reconcile", help="time the reconcile stage: 50k cases x 6M persons (+ peer)")
    _common(rec, DEFAULT_WORLD, 6_000_000, 50_000)
    rec.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                     help="also run Splink (DuckDB) on the fuzzy stage and print the ratio")
    rec.set_defaults(func=run_reconcile_bench)
    acc = subparsers.add_parser("accuracy", help="precision/recall per noise type against the ground truth")
    _common(acc, Path(".pantau/bench/accuracy-200k"), 200_000, 5_000)
    acc.set_defaults(func=run_accuracy_bench)
