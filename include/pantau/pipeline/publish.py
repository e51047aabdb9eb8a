"""Immutable dataset versions with a manifest; readers follow one pointer, moved last."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from pantau.publishing.files import csv_bytes, parquet_bytes, tidy, xlsx_bytes
from pantau.storage import ObjectStore, sha256_hex

#: Who may read each dataset. ``restricted`` ones carry names/NIPs and are shared per agency;
#: ``public`` ones are aggregates without personal data (docs/DOMAIN.md §5).
DATASETS: dict[str, dict[str, str]] = {
    "consolidated_cases": {"access": "restricted", "description": "One row per person per case, linking the "
                           "Bawaslu case, the recommendation and the follow-up, with match method and confidence."},
    "overdue_recommendations": {"access": "restricted", "description": "Proven recommendations without a "
                                "follow-up decree, with due and escalation dates under the configured policy."},
    "compliance_summary": {"access": "public", "description": "Reported, forwarded, recommended, proven and "
                           "followed-up counts with follow-up rate and days to follow up, by region, agency and "
                           "election. No personal data."},
    "review_queue": {"access": "restricted", "description": "Uncertain person matches, ambiguous case links and "
                     "conflicts for stewards, with the decisions already taken (format: pantau.matching.review)."},
}


def _schema(frame: pd.DataFrame) -> list[dict[str, str]]:
    return [{"name": str(c), "dtype": str(t)} for c, t in frame.dtypes.items()]


def _for_files(frame: pd.DataFrame) -> pd.DataFrame:
    # Dates and mixed object columns are written as text so Parquet and CSV readers agree.
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float)
                                                                                      and pd.isna(v)) else str(v))
    return out


def publish_dataset(store: ObjectStore, name: str, frame: pd.DataFrame, run_id: str, version: str,
                    extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``published/<access>/<name>/v=<version>/`` (Parquet, CSV, XLSX, manifest), then move the pointer."""
    meta = DATASETS[name]
    prefix = f"published/{meta['access']}/{name}"
    base = f"{prefix}/v={version}"
    data = _for_files(frame)
    # Parquet for analysts, CSV for tools, XLSX for spreadsheet users (text stays text); see
    # pantau.publishing.files for what each writer protects against.
    files = {"data.parquet": parquet_bytes(data), "data.csv": csv_bytes(data), "data.xlsx": xlsx_bytes(data, name)}
    for filename, body in files.items():
        store.put_bytes(f"{base}/{filename}", body)
    manifest = {
        "dataset": name,
        "access": meta["access"],
        "description": meta["description"],
        "version": version,
        "run_id": run_id,
        "created_at": datetime.now(UTC).isoformat(),
        "rows": len(frame),
        "schema": _schema(tidy(data)),
        "files": {f: {"key": f"{base}/{f}", "sha256": sha256_hex(b), "bytes": len(b)} for f, b in files.items()},
        **(extra or {}),
    }
    store.put_json(f"{base}/manifest.json", manifest)
    # The pointer moves only after every file of the version is in place.
    store.put_json(f"{prefix}/_current.json", {"version": version, "manifest": f"{base}/manifest.json"})
    return manifest


def current_version(store: ObjectStore, name: str) -> dict[str, Any] | None:
    meta = DATASETS[name]
    return store.get_json(f"published/{meta['access']}/{name}/_current.json")


def read_current(store: ObjectStore, name: str) -> pd.DataFrame:
    pointer = current_version(store, name)
    if pointer is None:
        raise FileNotFoundError(f"dataset {name} has no published version yet")
    manifest = store.get_json(pointer["manifest"])
    return store.get_parquet(manifest["files"]["data.parquet"]["key"])
