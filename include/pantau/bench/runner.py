"""Run one source's landing and staging end to end, without Airflow.

The DAG tasks call the same library functions in the same order; these runners exist so the
tests and the benchmark exercise exactly that path over real HTTP, SQL and S3.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from pantau.pipeline import bawaslu, bkd, recommendations
from pantau.pipeline.runs import SourceCount
from pantau.sources.bawaslu import BawasluClient
from pantau.sources.bkd import BkdSource
from pantau.sources.recommendations import RecommendationsClient
from pantau.storage import ObjectStore


def ingest_bawaslu(client: BawasluClient, store: ObjectStore, run_key: str, per_page: int = 100) -> dict[str, Any]:
    manifest = bawaslu.land(client, store, run_key, per_page)
    new, quarantine, count = bawaslu.stage_from_raw(store, run_key)
    written = bawaslu.publish_staging(store, run_key, new, quarantine, count)
    return {"manifest": manifest, "new": new, "quarantine": quarantine, "count": count, **written}


def ingest_recommendations(client: RecommendationsClient, store: ObjectStore, run_key: str) -> dict[str, Any]:
    manifest = recommendations.land(client, store, run_key)
    new, quarantine, count = recommendations.stage_from_raw(store, run_key)
    written = recommendations.publish_staging(store, run_key, manifest["files"], new, quarantine)
    return {"manifest": manifest, "new": new, "quarantine": quarantine, "count": count, **written}


def ingest_bkd(source: BkdSource, store: ObjectStore, run_key: str, chunk_rows: int = 200_000) -> dict[str, Any]:
    engine = sa.create_engine(source.url)
    try:
        manifest = bkd.land(engine, source, store, run_key, chunk_rows)
    finally:
        engine.dispose()
    tables, quarantine, counts = bkd.stage_from_raw(store, source.code, run_key)
    written = bkd.publish_staging(store, source.code, run_key, tables, quarantine, source.timezone)
    return {"manifest": manifest, "quarantine": quarantine, "counts": counts, **written}


def ingest_all_bkds(sources: list[BkdSource], store: ObjectStore, run_key: str,
                    chunk_rows: int = 200_000) -> dict[str, Any]:
    results = [ingest_bkd(source, store, run_key, chunk_rows) for source in sources]
    combined = bkd.combine(store, sorted(s.code for s in sources), run_key)
    counts: list[SourceCount] = [c for r in results for c in r["counts"]]
    return {"results": results, "counts": counts, **combined}


def read_current(store: ObjectStore, table: str) -> pd.DataFrame:
    pointer = store.get_json(f"staging/{table}/_current.json")
    return store.get_parquet(pointer["key"])
