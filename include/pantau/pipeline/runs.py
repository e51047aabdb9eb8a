"""Run keys, quarantine frames and the per-source reconciliation every step must pass."""

from __future__ import annotations

import io
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from pantau.exceptions import ReconciliationError
from pantau.reasons import reason
from pantau.storage import ObjectStore

QUARANTINE_COLUMNS = ["source", "run_key", "record_key", "reason_code", "reason", "action", "detail", "raw"]


def run_key(run_id: str) -> str:
    """An object-key-safe form of an Airflow run id (``manual__2026-11-23T10:00:00+00:00``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)


def quarantine_row(source: str, key: str, record_key: str | None, code: str, detail: str, raw: Any) -> dict[str, Any]:
    why = reason(code)
    raw_text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str, sort_keys=True)
    return {
        "source": source,
        "run_key": key,
        "record_key": record_key,
        "reason_code": code,
        "reason": why.sentence,
        "action": why.action,
        "detail": detail,
        "raw": raw_text,
    }


def quarantine_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=QUARANTINE_COLUMNS).astype("string")


@dataclass
class SourceCount:
    """Records in = staged + quarantined, per source per run (docs/DOMAIN.md §5)."""

    source: str
    records_in: int = 0
    staged: int = 0
    quarantined: int = 0
    duplicates_collapsed: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    #: Rows that are spreadsheet layout, not records (title rows, blank rows, repeated headers,
    #: total rows): counted and kept in the raw file, but neither staged nor quarantined.
    layout_rows: dict[str, int] = field(default_factory=dict)
    #: The watermark this run's landed data justifies (moved only once staging is written).
    watermark: dict[str, Any] | None = None

    def check(self) -> None:
        if self.records_in != self.staged + self.quarantined:
            raise ReconciliationError(
                f"{self.source}: {self.records_in} records in but {self.staged} staged + "
                f"{self.quarantined} quarantined; refusing to continue so nothing is lost silently"
            )


def write_summary(store: ObjectStore, dag_id: str, key: str, summary: dict[str, Any]) -> str:
    return store.put_json(f"runs/{dag_id}/{key}.json", summary)


def counts_dict(counts: list[SourceCount]) -> list[dict[str, Any]]:
    return [asdict(c) for c in counts]


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Parquet bytes of a staged frame. Callers fix dtypes and row order, so the same data always
    gives the same bytes: that is what lets ``pantau replay`` compare runs byte for byte."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()


def put_staged(store: ObjectStore, key: str, frame: pd.DataFrame) -> str:
    return store.put_bytes(key, parquet_bytes(frame), "application/vnd.apache.parquet")


def lineage_key(table: str, key: str) -> str:
    """Which staged file each run's file was merged onto: the chain ``pantau replay`` walks."""
    return f"staging/{table}/_lineage/{key}.json"
