"""``pantau replay``: rebuild the staged tables from the raw zone alone and compare them byte for byte.

Every staged file is the previous staged file merged with what one run landed. Replay follows
that chain from the first run, re-stages each run from its raw payloads (with the watermark
boundary recorded in the raw manifest, never the mutable state), merges onto the *replayed*
previous state, and compares the Parquet bytes with what the run wrote. A match proves the run
can be reproduced and audited from raw; replayed files go under ``replay/`` and nothing under
``staging/`` or ``state/`` is touched.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from pantau.exceptions import ConfigError
from pantau.pipeline import bawaslu, bkd, recommendations
from pantau.pipeline.runs import lineage_key, parquet_bytes
from pantau.storage import ObjectStore


@dataclass(frozen=True)
class ReplayResult:
    """One staged file of one run, rebuilt from raw."""

    table: str
    run_key: str
    key: str
    identical: bool
    rows: int

    def line(self) -> str:
        verdict = "identical" if self.identical else "DIFFERENT"
        return f"{self.table:32} {self.run_key:40} {self.rows:>9,} rows  {verdict}"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _chain(store: ObjectStore, table: str) -> list[dict[str, Any]]:
    """The lineage records of a single-file staged table, oldest run first."""
    pointer = store.get_json(f"staging/{table}/_current.json")
    if pointer is None:
        return []
    chain: list[dict[str, Any]] = []
    key: str | None = pointer["key"]
    visited: set[str] = set()
    while key:
        run = key.rsplit("/", 1)[-1].removesuffix(".parquet")
        _refuse_cycle(f"staging/{table}", run, visited)
        record = store.get_json(lineage_key(table, run))
        if record is None:
            raise ConfigError(f"staging/{table}: no lineage for {key}; it was written before lineage was kept "
                              "and cannot be replayed")
        chain.append({**record, "run_key": run})
        key = record.get("previous")
    return chain[::-1]


def _refuse_cycle(table: str, run: str, visited: set[str]) -> None:
    """Lineage is a chain back to the first run; a run met twice (a lineage record pointing to itself,
    as a retried staging task wrote before this was fixed) would loop forever."""
    if run in visited:
        raise ConfigError(f"{table}: the lineage of run {run} points back to itself (a cycle, left by a retried "
                          "staging task), so its history cannot be replayed; re-run that run's staging task to "
                          "rewrite its lineage, then replay again")
    visited.add(run)


def _compare(store: ObjectStore, table: str, run_key: str, key: str, data: bytes, rows: int) -> ReplayResult:
    store.put_bytes(f"replay/{key}", data, "application/vnd.apache.parquet")
    return ReplayResult(table, run_key, key, _sha(store.get_bytes(key)) == _sha(data), rows)


def _replay_single(store: ObjectStore, table: str, module: Any) -> list[ReplayResult]:
    results: list[ReplayResult] = []
    previous: pd.DataFrame | None = None
    for record in _chain(store, table):
        new, quarantine, _ = module.stage_from_raw(store, record["run_key"])
        current = module.merge_current(previous, new)
        results.append(_compare(store, table, record["run_key"], record["key"], parquet_bytes(current), len(current)))
        results.append(_compare(store, f"quarantine/{module.SOURCE}", record["run_key"], record["quarantine_key"],
                                parquet_bytes(quarantine), len(quarantine)))
        previous = current
    return results


def _bkd_runs(store: ObjectStore, code: str, table: str) -> list[str]:
    runs: list[str] = []
    pointer = store.get_json(bkd.current_key(code, table))
    run = (pointer or {}).get("run_key")
    visited: set[str] = set()
    while run:
        _refuse_cycle(f"staging/bkd/{code}/{table}", run, visited)
        runs.append(run)
        lineage = store.get_json(f"staging/bkd/{code}/{table}/_lineage/{run}.json") or {}
        run = lineage.get("previous_run_key")
    return runs[::-1]


def _replay_bkd(store: ObjectStore, code: str) -> list[ReplayResult]:
    results: list[ReplayResult] = []
    previous: dict[str, dict[str, Any] | None] = {table: None for table in bkd.TABLES}
    for run in _bkd_runs(store, code, "pegawai"):
        tables, _, _ = bkd.stage_from_raw(store, code, run, staging_root="replay/staging")
        for table, staged in tables.items():
            built = bkd.build_current_parts(store, code, run, table, staged["parts"], previous[table])
            parts: dict[str, str] = {}
            for bucket, data in built.items():
                key = bkd.current_part_key(code, table, run, bucket)
                rows = pq.read_metadata(io.BytesIO(data)).num_rows
                results.append(_compare(store, f"bkd/{code}/{table}/part-{bucket:03d}", run, key, data, rows))
                parts[str(bucket)] = f"replay/{key}"
            previous[table] = {"parts": parts}
    return results


def replay_all(store: ObjectStore) -> list[ReplayResult]:
    """Replay every source's staged history found in ``store``."""
    results = _replay_single(store, "bawaslu_cases", bawaslu)
    results += _replay_single(store, "recommendations", recommendations)
    codes = sorted({key.split("/")[2] for key in store.list("staging/bkd/") if key.endswith("_current.json")})
    for code in codes:
        results += _replay_bkd(store, code)
    return results


def replay_command(store: ObjectStore) -> int:
    results = replay_all(store)
    if not results:
        print("nothing staged yet: run the ingest DAGs first")
        return 0
    for result in results:
        print(result.line())
    different = [r for r in results if not r.identical]
    print(f"{len(results) - len(different)} of {len(results)} staged files rebuilt from raw byte for byte")
    return 1 if different else 0
