"""``pantau bench reconcile`` and ``pantau bench accuracy``: speed and accuracy of the reconcile stage.

``reconcile`` times the whole reconcile stage (agency resolution, person matching in all stages,
case and follow-up linking, review queue) on a generated world, default 50k cases against a
6M-person registry, and reports wall time and peak RSS. With ``--peer`` it then runs Splink
(DuckDB backend) on the fuzzy stage's own queries (records left without a NIP answer) against the
same registry blocks and prints the time ratio and both precision/recall figures.

``accuracy`` prints precision/recall against the world's ground truth, for one dialect's world or
several (``--dialect a b``): persons overall, per noise type and per name group, case and follow-up
links, respondents who are no civil servants but got linked, and the overdue set.

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


def _world(args: argparse.Namespace, dialect: str = "a", world: Path | None = None) -> Path:
    world = Path(world or args.world)
    if not (world / "manifest.json").exists():
        from pantau.simulate.generate import GenerateOptions, generate_world

        registry = args.registry_size or DIALECT_DEFAULTS[dialect][1]
        cases = args.cases or DIALECT_DEFAULTS[dialect][2]
        print(f"generating a dialect-{dialect} world, {registry:,} persons / {cases:,} cases into {world} ...",
              flush=True)
        started = time.perf_counter()
        _in_child(generate_world, world,
                  GenerateOptions(seed=args.seed, registry_size=registry, cases=cases, dialect=dialect), False)
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


# Per dialect: the default world folder, registry size and case count of ``pantau bench accuracy``.
DIALECT_DEFAULTS = {"a": (Path(".pantau/bench/accuracy-200k"), 200_000, 5_000),
                    "b": (Path(".pantau/bench/accuracy-b-50k"), 50_000, 2_000)}


def _accuracy_worlds(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """(dialect, world folder) pairs; an existing world's own dialect must agree with ``--dialect``."""
    from pantau.matching.evaluate import world_dialect

    dialects = list(dict.fromkeys(args.dialect or ["a"]))
    out = []
    for d in dialects:
        if args.world:
            world = Path(str(args.world).replace("{dialect}", d))
            if len(dialects) > 1 and "{dialect}" not in str(args.world):
                raise SystemExit("with several --dialect values, --world must contain {dialect}")
        else:
            world = DIALECT_DEFAULTS[d][0]
        if (world / "manifest.json").exists() and world_dialect(world) != d:
            raise SystemExit(f"{world} holds a dialect-{world_dialect(world)} world, not dialect {d}")
        out.append((d, world))
    return out


def _summary_row(dialect: str, f: dict[str, Any]) -> dict[str, Any]:
    od = f["overdue"]
    return {"dialect": dialect, "cases_published": f["published_share"]["cases"]["share"],
            "recs_published": f["published_share"]["recommendations"]["share"], "person_P": f["person"]["precision"], "person_R": f["person"]["recall"],
            "R_ceiling": f["person_recall_ceiling"], "case_rec_P": f["case_link"]["precision"],
            "case_rec_R": f["case_link"]["recall"], "rec_fu_P": f["follow_up_link"]["precision"],
            "rec_fu_R": f["follow_up_link"]["recall"], "non_asn_linked": f["non_asn_respondents"]["linked"],
            "non_asn_n": f["non_asn_respondents"]["respondents"], "overdue_P": od.get("precision"),
            "overdue_R": od.get("recall"), "category_acc": f["category_accuracy"]}


def run_accuracy_bench(args: argparse.Namespace) -> int:
    import pandas as pd

    from pantau.matching.evaluate import evaluate
    from pantau.pipeline import reconcile

    summary = []
    for dialect, folder in _accuracy_worlds(args):
        world = _world(args, dialect, folder)
        staged = _stage(world)
        consolidated = reconcile.link_cases(staged.cases, staged.recs, staged.follow_ups, staged.registry,
                                             transfers=staged.transfers)
        figures = evaluate(consolidated, world)
        by_noise = figures.pop("person_by_noise")
        by_group = figures.pop("person_by_name_group")
        print(f"\n=== dialect {dialect}: {world}")
        print(json.dumps(figures, indent=2))
        print(f"\nperson matching per noise type (dialect {dialect}):")
        print(by_noise.to_string(index=False))
        print(f"\nperson matching per name group (dialect {dialect}):")
        print(by_group.to_string(index=False))
        summary.append(_summary_row(dialect, figures))
    print("\naccuracy per dialect:")
    print(pd.DataFrame(summary).to_string(index=False))
    return 0


def _common(parser: argparse.ArgumentParser, world: Path | None, registry: int | None, cases: int | None) -> None:
    parser.add_argument("--world", default=str(world) if world else None,
                        help="world directory (generated when missing)")
    parser.add_argument("--registry-size", type=int, default=registry, help="persons when generating")
    parser.add_argument("--cases", type=int, default=cases, help="Bawaslu cases when generating")
    parser.add_argument("--seed", type=int, default=20241127, help="seed when generating")


def register(subparsers: Any) -> None:
    """Add ``reconcile`` and ``accuracy`` to the ``pantau bench`` sub-command group."""
    rec = subparsers.add_parser("reconcile", help="time the reconcile stage: 50k cases x 6M persons (+ peer)")
    _common(rec, DEFAULT_WORLD, 6_000_000, 50_000)
    rec.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                     help="also run Splink (DuckDB) on the fuzzy stage and print the ratio")
    rec.set_defaults(func=run_reconcile_bench)
    acc = subparsers.add_parser(
        "accuracy", help="precision/recall against the ground truth, per dialect, noise type and name group",
        description="Stage a simulated world (generated when missing), reconcile it and compare with its ground "
                    "truth: person matching overall, per noise type and per name group; case <-> recommendation "
                    "and recommendation <-> follow-up links; respondents who are no civil servants but were "
                    "linked (should be 0); the overdue set as of the world's newest phase date under the default "
                    "follow-up policy; a summary table per dialect at the end.",
        epilog="Defaults per dialect (world folder, persons, cases): " + "; ".join(
            f"{d}: {w}, {r:,}, {c:,}" for d, (w, r, c) in DIALECT_DEFAULTS.items())
            + ". Examples: pantau bench accuracy --dialect b;  pantau bench accuracy --dialect a b "
              "--world /tmp/acc-{dialect} --registry-size 30000 --cases 1500")
    acc.add_argument("--dialect", nargs="+", choices=sorted(DIALECT_DEFAULTS), default=None, metavar="{a,b}",
                     help="simulator dialect(s) to measure: a (the first world, default), b (the independent "
                          "second dialect, docs/SIMULATOR.md), or both: --dialect a b")
    _common(acc, None, None, None)
    acc.set_defaults(func=run_accuracy_bench)
