"""Load a simulator world (docs/SIMULATOR.md) into the staged frames the reconcile stage reads.

The benchmark and accuracy commands need the same frames the ingest DAGs would stage, without
running Airflow or the HTTP simulators. Rows go through the ingest modules' own per-record
staging functions, so what is measured is what production would feed the matcher. Staging a
6M-person registry takes minutes, so the result is cached next to the world (``prepared/``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from pantau.normalize.spreadsheet import read_table
from pantau.pipeline import bawaslu, bkd, recommendations
from pantau.simulate.world import world_bkd_sources
from pantau.sources.bkd import PEGAWAI_COLUMNS, TINDAK_LANJUT_COLUMNS, read_chunks

__all__ = ["StagedWorld", "load_world"]

_FRAMES = ("cases", "recs", "follow_ups", "registry", "transfers")


@dataclass
class StagedWorld:
    cases: pd.DataFrame
    recs: pd.DataFrame
    follow_ups: pd.DataFrame
    registry: pd.DataFrame
    transfers: pd.DataFrame


def _stage_cases(world: Path, phase: int) -> pd.DataFrame:
    rows = []
    with (world / "bawaslu" / f"cases_phase{phase}.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row, _problem = bawaslu.stage_record(json.loads(line), "world")
            if row is not None:
                rows.append(row)
    return bawaslu.merge_current(None, pd.DataFrame(rows, columns=bawaslu.CASE_COLUMNS))


def _stage_recs(world: Path, phase: int) -> pd.DataFrame:
    folder = world / "exports" / f"phase{phase}"
    rows: list[dict[str, Any]] = []
    for meta in json.loads((folder / "index.json").read_text(encoding="utf-8")):
        sheet = read_table((folder / meta["name"]).read_bytes(), meta["name"])
        for raw in sheet.rows:
            row, _problem = recommendations.stage_row(raw, meta)
            if row is not None:
                rows.append(row)
    return recommendations.merge_current(None, pd.DataFrame(rows, columns=recommendations.REC_COLUMNS))


def _read_table(url: str, table: str, columns: tuple[str, ...]) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        chunks = list(read_chunks(engine, table, columns, None, 500_000))
    finally:
        engine.dispose()
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=list(columns))


def _stage_bkds(world: Path, phase: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    registries, follow_ups = [], []
    for source in world_bkd_sources(world, phase1_follow_ups=phase == 1):
        pegawai = _read_table(source.url, source.pegawai_table, PEGAWAI_COLUMNS)
        registries.append(bkd.stage_registry(pegawai, source.code, "w")[0])
        staged, _ = bkd.stage_follow_ups(_read_table(source.url, source.tindak_lanjut_table, TINDAK_LANJUT_COLUMNS),
                                         source.code, "w")
        follow_ups.append(staged)
    registry, transfers = bkd.resolve_transfers(pd.concat(registries, ignore_index=True))
    return registry, pd.concat(follow_ups, ignore_index=True), transfers


#: Registry text columns with few distinct values (work units, positions, front titles): read as
#: categoricals when only the reconcile columns are wanted, a few hundred MB less at 6M persons.
_LOW_CARDINALITY = ("unit_kerja", "jabatan", "gelar_depan")


def _read_registry(path: Path, columns: list[str] | None) -> pd.DataFrame:
    if columns is None:
        return pd.read_parquet(path)
    return pd.read_parquet(path, columns=columns, read_dictionary=[c for c in _LOW_CARDINALITY if c in columns])


def load_world(world: Path, phase: int = 2, cache: bool = True,
               registry_columns: list[str] | None = None) -> StagedWorld:
    """The staged frames of ``world`` as at ``phase``; cached as Parquet under ``world/prepared``.

    ``registry_columns`` limits what is read of the cached registry (the reconcile stage needs
    :data:`pantau.pipeline.reconcile.REGISTRY_COLUMNS`; at 6M persons that halves the memory).
    """
    cache_dir = world / "prepared" / f"phase{phase}"
    if cache and all((cache_dir / f"{n}.parquet").exists() for n in _FRAMES):
        return StagedWorld(*(_read_registry(cache_dir / f"{n}.parquet", registry_columns) if n == "registry"
                             else pd.read_parquet(cache_dir / f"{n}.parquet") for n in _FRAMES))
    registry, follow_ups, transfers = _stage_bkds(world, phase)
    staged = StagedWorld(_stage_cases(world, phase), _stage_recs(world, phase), follow_ups, registry, transfers)
    if cache:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for name in _FRAMES:
            getattr(staged, name).to_parquet(cache_dir / f"{name}.parquet", index=False)
    return staged
