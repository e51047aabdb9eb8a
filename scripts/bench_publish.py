"""Time writing one release table's XLSX (and the text preparation before it), issue 14.

    PYTHONPATH=include python scripts/bench_publish.py [--rows 100000] [--parquet PATH] [--repeat 3]
        [--before REV]

Builds a frame as wide as the published ``consolidated_cases`` (74 columns: 62 text, 3 float, 3
dates, nullable and plain booleans, two timestamps, two mostly empty object columns; or the rows of
a published ``data.parquet`` given with ``--parquet``, repeated up to ``--rows``), prepares it once
with ``for_people`` and times ``xlsx_from_people`` on it: median of ``--repeat`` runs, with cells/s.
``--before REV`` also times the ``xlsx_from_people`` of ``include/pantau/publishing/files.py`` at
git revision REV (e.g. ``994ca67``, the openpyxl writer) on the same frame. ``tidy`` and
``for_people`` are timed as well (the ``_tables`` part of a release).

Figures: see docs/DECISIONS.md, "XLSX with XlsxWriter".
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from pantau.publishing.files import for_people, parquet_bytes, tidy, xlsx_from_people

ROOT = Path(__file__).resolve().parents[1]


def synthetic(rows: int, seed: int = 14) -> pd.DataFrame:
    """A consolidated_cases-like frame: repeated codes and names, NIPs, long texts, gaps."""
    rng = np.random.default_rng(seed)

    def texts(distinct: int, width: int, missing: float) -> pd.Series:
        pool = np.array([f"{'teks ' * (width // 5)}{i:06d}" for i in range(distinct)], dtype=object)
        values = pool[rng.integers(0, distinct, rows)]
        values[rng.random(rows) < missing] = None
        return pd.Series(values, dtype="str")

    nips = pd.Series([f"19{n:016d}" for n in rng.integers(0, 10**16, rows)], dtype="str")
    columns: dict[str, pd.Series] = {}
    for i in range(62):
        if i % 10 == 0:
            columns[f"nip_{i}"] = nips.where(rng.random(rows) > 0.3)
        elif i % 10 in (1, 2):
            columns[f"code_{i}"] = texts(500, 5, 0.2)  # region and agency codes, categories
        elif i % 10 == 3:
            columns[f"uraian_{i}"] = texts(rows // 2 + 1, 90, 0.1)  # free text, mostly distinct
        else:
            columns[f"text_{i}"] = texts(5000, 25, 0.5)  # names, explanations, mappings
    for i in range(3):
        columns[f"confidence_{i}"] = pd.Series(rng.random(rows)).where(rng.random(rows) > 0.3)
        days = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000, rows), unit="D")
        columns[f"tanggal_{i}"] = pd.Series(days.date, dtype="date32[pyarrow]")
    columns["terbukti"] = pd.Series(rng.random(rows) > 0.5, dtype="boolean").where(rng.random(rows) > 0.4)
    columns["tanggal_sk"] = pd.Series(pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**8, rows),
                                                                                      unit="s"))
    columns["registry_updated_at"] = columns["tanggal_sk"].dt.tz_localize("UTC")
    columns["review"] = pd.Series(rng.random(rows) > 0.9)
    for i in range(2):
        columns[f"decision_applied_{i}"] = pd.Series([None] * rows, dtype=object)
    return pd.DataFrame(columns)


def _from_parquet(path: str, rows: int) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    return pd.concat([frame] * (rows // len(frame) + 1), ignore_index=True).iloc[:rows]


def _files_at(rev: str) -> types.ModuleType:
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:include/pantau/publishing/files.py"],
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType(f"files_{rev}")
    sys.modules[module.__name__] = module  # dataclasses and annotations look their module up
    exec(compile(source, f"files.py@{rev}", "exec"), module.__dict__)  # noqa: S102 (our own file at REV)
    return module


def _median(function: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--parquet", default=None, help="a published data.parquet to take the rows from")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", default=None, help="git revision whose xlsx_from_people to time as well")
    args = parser.parse_args()
    frame = _from_parquet(args.parquet, args.rows) if args.parquet else synthetic(args.rows)
    cells = frame.shape[0] * frame.shape[1]
    print(f"frame {frame.shape[0]} rows x {frame.shape[1]} columns = {cells} cells", flush=True)
    before = _files_at(args.before) if args.before else None
    seconds, tidied = _median(lambda: tidy(frame), args.repeat)
    print(f"tidy        {seconds:7.2f} s", flush=True)
    seconds, people = _median(lambda: for_people(tidied), args.repeat)  # type: ignore[arg-type]
    print(f"for_people  {seconds:7.2f} s", flush=True)
    writers = {"now": xlsx_from_people}
    if before is not None:
        seconds, _ = _median(lambda: before.for_people(before.tidy(frame)), args.repeat)
        print(f"tidy + for_people at {args.before}: {seconds:.2f} s", flush=True)
        # The release id is a digest of the Parquet bytes: a faster text preparation must not change them.
        same = parquet_bytes(tidied, tidied=True) == before.parquet_bytes(before.tidy(frame), tidied=True)  # type: ignore[arg-type]
        print(f"Parquet bytes identical to {args.before}: {same}", flush=True)
        writers[args.before] = before.xlsx_from_people
    for name, writer in writers.items():
        seconds, data = _median(lambda w=writer: w(people, "consolidated_cases"), args.repeat)  # type: ignore[misc]
        print(f"xlsx {name:>6} {seconds:7.2f} s  {cells / seconds:12,.0f} cells/s  {len(data) / 1e6:.1f} MB",  # type: ignore[arg-type]
              flush=True)


if __name__ == "__main__":
    main()
