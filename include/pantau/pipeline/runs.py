"""Run keys, quarantine frames and the per-source reconciliation every step must pass."""

from __future__ import annotations

import gc
import hashlib
import io
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa

from pantau.exceptions import ReconciliationError
from pantau.reasons import reason
from pantau.storage import ObjectStore

log = logging.getLogger(__name__)

#: How many distinct unknown (and fuzzy) values per vocabulary column a run summary lists.
VOCABULARY_TOP = 20

#: How far past the run's start a record's ``updated_at`` may lie before it counts as from the future:
#: room for a source clock running a little fast (``PANTAU_FUTURE_TOLERANCE_S``).
FUTURE_TOLERANCE_S = 300

QUARANTINE_COLUMNS = ["source", "run_key", "record_key", "reason_code", "reason", "action", "detail", "raw"]


def release_unused_memory() -> None:
    """Give memory freed by a finished step back to the system before the next step allocates.

    Arrow's allocator (mimalloc) keeps freed pages for later Arrow allocations only, and the Airflow
    task process is shared by the steps of a task: after validating a 6M-row registry it held 5.5 GB
    of which Arrow still used none (measured; docs/DECISIONS.md, "National scale, end to end").
    """
    gc.collect()
    pa.default_memory_pool().release_unused()


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
    #: Headers, columns or record fields the source sent that Pantau does not read: each
    #: ``{"file": <file, table or record part>, "header": <as sent>, "records": <rows carrying it or None>}``.
    #: Their values stay in the raw zone; listing them here is what keeps them from vanishing unseen.
    unrecognised_headers: list[dict[str, Any]] = field(default_factory=list)
    #: Per staged vocabulary column: how its values mapped (:mod:`pantau.reference.vocabularies`):
    #: ``{"vocabulary", "rows", "methods": {method: rows}, "unknown": {raw: rows},
    #: "fuzzy": {raw: {"code", "confidence", "rows"}}}``; :meth:`summary` keeps the top values.
    vocabulary: dict[str, dict[str, Any]] = field(default_factory=dict)

    def note_unrecognised(self, where: str, header: str, records: int | None = None) -> None:
        """Report a header or field nobody reads (once per place and spelling), with a WARNING."""
        for entry in self.unrecognised_headers:
            if entry["file"] == where and entry["header"] == header:
                if records is not None:
                    entry["records"] = (entry["records"] or 0) + records
                return
        log.warning("%s: %s: unrecognised header or field %r is not read; its values stay in the raw zone and it "
                    "is listed in the run summary (unrecognised_headers)", self.source, where, header)
        self.unrecognised_headers.append({"file": where, "header": header, "records": records})

    def note_vocabulary(self, column: str, vocabulary: str, raw: pd.Series, mapping: pd.Series,
                        code: pd.Series) -> None:
        """Add one batch of mapped values to the per-column tally (batches: BKD chunks)."""
        tally = self.vocabulary.setdefault(column, {"vocabulary": vocabulary, "rows": 0, "methods": {},
                                                    "unknown": {}, "fuzzy": {}})
        tally["rows"] += len(mapping)
        if not len(mapping):
            return
        # Few distinct "method:confidence" texts: count those, then pick the rows of the rare methods.
        texts = mapping.astype(object).value_counts(dropna=False)
        unknown_texts, fuzzy_texts = [], []
        for text, rows in texts.items():
            method = str(text).partition(":")[0]
            tally["methods"][method] = tally["methods"].get(method, 0) + int(rows)
            if method == "unknown":
                unknown_texts.append(text)
            elif method == "fuzzy":
                fuzzy_texts.append(text)
        if unknown_texts:
            unknown = mapping.isin(unknown_texts).to_numpy()
            for value, rows in raw[unknown].astype(object).value_counts().items():
                tally["unknown"][str(value)] = tally["unknown"].get(str(value), 0) + int(rows)
        if fuzzy_texts:
            fuzzy = mapping.isin(fuzzy_texts).to_numpy()
            found = pd.DataFrame({"raw": raw[fuzzy].astype(object).to_numpy(), "code": code[fuzzy].astype(object)
                                  .to_numpy(), "mapping": mapping[fuzzy].astype(object).to_numpy()})
            for (value, mapped, text), rows in found.value_counts().items():
                entry = tally["fuzzy"].setdefault(str(value), {"code": mapped, "confidence":
                                                               float(str(text).partition(":")[2] or 0), "rows": 0})
                entry["rows"] += int(rows)

    def summary(self, top: int = VOCABULARY_TOP) -> dict[str, Any]:
        """JSON-ready counts; per vocabulary column only the ``top`` most frequent unknown and fuzzy
        values (with the closest code as a suggestion for unknown ones), and how many there were."""
        out = asdict(self)
        out["vocabulary"] = {column: _vocabulary_summary(tally, top) for column, tally in self.vocabulary.items()}
        return out

    def check(self) -> None:
        if self.records_in != self.staged + self.quarantined:
            raise ReconciliationError(
                f"{self.source}: {self.records_in} records in but {self.staged} staged + "
                f"{self.quarantined} quarantined; refusing to continue so nothing is lost silently"
            )


def write_summary(store: ObjectStore, dag_id: str, key: str, summary: dict[str, Any]) -> str:
    return store.put_json(f"runs/{dag_id}/{key}.json", summary)


def _vocabulary_summary(tally: dict[str, Any], top: int) -> dict[str, Any]:
    from pantau.reference.vocabularies import map_value

    unknown = sorted(tally["unknown"].items(), key=lambda kv: (-kv[1], kv[0]))
    fuzzy = sorted(tally["fuzzy"].items(), key=lambda kv: (-kv[1]["rows"], kv[0]))
    unknown_top = []
    for value, rows in unknown[:top]:
        match = map_value(tally["vocabulary"], value)
        unknown_top.append({"raw": value, "rows": rows, "suggestion": match.suggestion,
                            "suggestion_score": match.suggestion_score})
    return {"vocabulary": tally["vocabulary"], "rows": tally["rows"], "methods": dict(sorted(tally["methods"].items())),
            "unknown_distinct": len(unknown), "unknown": unknown_top, "fuzzy_distinct": len(fuzzy),
            "fuzzy": [{"raw": value, **entry} for value, entry in fuzzy[:top]]}


def counts_dict(counts: list[SourceCount]) -> list[dict[str, Any]]:
    return [c.summary() for c in counts]


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


def previous_staged_key(store: ObjectStore, table: str, run_key: str) -> str | None:
    """The staged file this run merges onto: the current one, unless the current one is this run's own
    (a retried staging task), in which case the one this run merged onto the first time. A lineage
    record therefore never points to itself, and a retry writes the same bytes as the first attempt."""
    pointer = store.get_json(f"staging/{table}/_current.json")
    if pointer is None:
        return None
    if pointer.get("run_key") == run_key or str(pointer.get("key", "")).endswith(f"/{run_key}.parquet"):
        earlier = store.get_json(lineage_key(table, run_key)) or {}
        return earlier.get("previous")
    return pointer["key"]


# -- run moment and the future ---------------------------------------------------------------------
def run_horizon(run_started: datetime | None, tolerance_s: float = FUTURE_TOLERANCE_S) -> datetime:
    """The newest ``updated_at`` a run accepts: its start (now when not given) plus the tolerance."""
    started = run_started or datetime.now(UTC)
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    return (started + timedelta(seconds=tolerance_s)).astimezone(UTC)


def manifest_horizon(manifest: dict[str, Any]) -> datetime:
    """The horizon a landing recorded; a manifest written before horizons were kept uses its landing
    moment plus the default tolerance (the run started before it landed), one without even that now."""
    if manifest.get("horizon"):
        return datetime.fromisoformat(manifest["horizon"]).astimezone(UTC)
    landed = manifest.get("landed_at")
    return run_horizon(datetime.fromisoformat(landed) if landed else None)


def content_digest(value: Any) -> str:
    """A short stable digest of a record's content (canonical JSON), for telling an exact duplicate
    (same content: collapsed) from a conflicting one (same key and time, other content: quarantined)."""
    text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
