"""The quality gate between staging and publication (Great Expectations suites in ``expectations/``).

* ``validate_sources``: each staged table's current version is validated once; rows that fail a
  row-level expectation are quarantined with that expectation as the reason and the rest flows on
  as ``validated/<table>``. A dataset-level failure (schema drift, volume anomaly, too much
  quarantine) raises ``ValidationFailed`` and nothing downstream is published.
* ``validate_for_publication``: the same for the datasets about to be published; all are checked
  before any pointer moves, so the previous published version stays current on failure.
* Data Docs of every validation are uploaded beside the datasets (``published/data_docs/``) with
  one index that lists every run.
* A dataset-level failure writes the whole rejected batch, each row with the rules it failed, to
  ``quarantine/<validation|publication>/<table>/<run>-rejected.parquet`` (and the failure summary
  beside it as ``.json``), uploads the Data Docs, and only then raises a message naming every
  failing rule with its top offending values, both object keys and what to do next.
"""

from __future__ import annotations

import mimetypes
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from jinja2 import Environment, PackageLoader, select_autoescape

from pantau.exceptions import ValidationFailed
from pantau.settings import ValidationSettings
from pantau.storage import ObjectStore

SOURCE_TABLES = ("bawaslu_cases", "recommendations", "registry", "follow_ups")
DOCS_PREFIX = "published/data_docs"
_env = Environment(loader=PackageLoader("pantau.pipeline", "templates"), autoescape=select_autoescape(["html", "j2"]))


def _pointer(store: ObjectStore, key: str) -> dict[str, Any] | None:
    return store.get_json(key)


def upload_docs(store: ObjectStore, docs_dir: Path, run_key: str, dataset: str) -> str:
    """Copy one validation's Data Docs site into the object store; returns the index key."""
    prefix = f"{DOCS_PREFIX}/runs/{run_key}/{dataset}"
    for path in sorted(p for p in docs_dir.rglob("*") if p.is_file()):
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        store.put_bytes(f"{prefix}/{path.relative_to(docs_dir).as_posix()}", path.read_bytes(), content_type)
    return f"{prefix}/index.html"


def record_in_index(store: ObjectStore, summary: dict[str, Any], index_key: str) -> None:
    """Append a validation to ``published/data_docs/runs.json`` and re-render the index page."""
    runs: list[dict[str, Any]] = store.get_json(f"{DOCS_PREFIX}/runs.json") or []
    entry = {k: summary.get(k) for k in ("run_key", "dataset", "suite", "rows_in", "rows_quarantined",
                                        "expectations_evaluated", "expectations_failed", "success")}
    entry["href"] = index_key.removeprefix(f"{DOCS_PREFIX}/")
    runs = [r for r in runs if (r["run_key"], r["dataset"]) != (entry["run_key"], entry["dataset"])] + [entry]
    store.put_json(f"{DOCS_PREFIX}/runs.json", runs)
    page = _env.get_template("data_docs_index.html.j2").render(runs=list(reversed(runs)))
    store.put_bytes(f"{DOCS_PREFIX}/index.html", page.encode("utf-8"), "text/html; charset=utf-8")


def _put_rejected(store: ObjectStore, key: str, rejected: pd.DataFrame) -> str:
    try:
        return store.put_parquet(key, rejected)
    except (pa.ArrowException, TypeError, ValueError):
        # A drifted column can mix types Parquet cannot store in one column; its text still can.
        mixed = {c: "string" for c in rejected.columns if rejected[c].dtype == object}
        return store.put_parquet(key, rejected.astype(mixed))


def _reject(store: ObjectStore, exc: ValidationFailed, dataset: str, run_key: str, zone: str, version: str,
            docs: Path) -> ValidationFailed:
    """Keep a dataset-level failure readable after the run: the rejected batch goes to quarantine and
    the Data Docs to the object store *before* the message naming both is raised."""
    from pantau.validation.validate import BatchRejected, explain_failure

    summary = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    summary = {**summary, "dataset": dataset, "run_key": run_key, "success": False}
    rejected_key = None
    if isinstance(exc, BatchRejected) and exc.rejected is not None:
        rejected_key = _put_rejected(store, f"quarantine/{zone}/{dataset}/{run_key}-rejected.parquet", exc.rejected)
    # GX writes Data Docs before its result comes back; if it never got there, say so rather than
    # name an object that does not exist.
    index_key = upload_docs(store, docs, run_key, dataset) if (docs / "index.html").exists() else None
    summary.update(docs_index=index_key, rejected_key=rejected_key, version=version)
    if index_key:
        record_in_index(store, summary, index_key)
    docs_url = f"s3://{store.bucket}/{index_key}" if index_key else "not written (validation stopped before GX)"
    if "problems" not in summary:  # not raised by validate_frame: keep its own words
        return ValidationFailed(f"{exc.args[0]} Data Docs: {docs_url}.", summary)
    message = explain_failure(summary, version=version, docs=docs_url,
                              rejected=f"s3://{store.bucket}/{rejected_key}" if rejected_key else None)
    summary["message"] = message
    if rejected_key:
        store.put_json(rejected_key.removesuffix(".parquet") + ".json", summary)
    return ValidationFailed(message, summary)


def _validate(store: ObjectStore, dataset: str, frame: pd.DataFrame, run_key: str, as_of: date,
              previous_rows: int | None, settings: ValidationSettings, references: dict[str, Any] | None = None, *,
              zone: str = "validation", version: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    from pantau.validation import validate_frame

    with tempfile.TemporaryDirectory(prefix=f"pantau-docs-{dataset}-") as tmp:
        docs = Path(tmp)
        try:
            outcome = validate_frame(dataset, frame, run_key=run_key, as_of=as_of, previous_rows=previous_rows,
                                     settings=settings, docs_dir=docs, references=references)
        except ValidationFailed as exc:
            raise _reject(store, exc, dataset, run_key, zone, version or f"run {run_key}", docs) from exc
        index_key = upload_docs(store, docs, run_key, dataset)
    summary = {**outcome.summary, "docs_index": index_key}
    record_in_index(store, summary, index_key)
    quarantine = pd.concat([outcome.quarantine, outcome.flagged], ignore_index=True) if len(outcome.flagged) \
        else outcome.quarantine
    return outcome.valid, quarantine, summary


def validate_sources(store: ObjectStore, run_key: str, as_of: date, settings: ValidationSettings) -> dict[str, Any]:
    """Validate every staged table whose current version has not been validated yet."""
    results: dict[str, Any] = {}
    recommendations = None
    for table in SOURCE_TABLES:
        staged = _pointer(store, f"staging/{table}/_current.json")
        if staged is None:
            raise FileNotFoundError(f"staging/{table} has no current version yet: run its ingest DAG first")
        done = _pointer(store, f"validated/{table}/_current.json")
        if done and done.get("staged_key") == staged["key"]:
            results[table] = {"skipped": "this staged version was already validated", **done}
            continue
        frame = store.get_parquet(staged["key"])
        if table == "recommendations":
            recommendations = frame
        references = None
        if table == "follow_ups":
            recs = recommendations if recommendations is not None else load_validated(store, "recommendations")
            references = {"nomor_rekomendasi": set(recs["nomor_rekomendasi"].dropna())}
        previous_rows = done.get("rows_in") if done else None
        valid, quarantine, summary = _validate(store, table, frame, run_key, as_of, previous_rows, settings,
                                               references, version=f"staged version {staged['key']}")
        key = store.put_parquet(f"validated/{table}/{run_key}.parquet", valid)
        quarantine_key = store.put_parquet(f"quarantine/validation/{table}/{run_key}.parquet", quarantine)
        pointer = {"key": key, "staged_key": staged["key"], "run_key": run_key, "rows_in": len(frame),
                   "rows_valid": len(valid), "rows_quarantined": summary.get("rows_quarantined", 0),
                   "quarantine_key": quarantine_key}
        store.put_json(f"validated/{table}/_current.json", pointer)
        results[table] = {**pointer, "summary": summary}
    return results


def load_validated(store: ObjectStore, table: str) -> pd.DataFrame:
    pointer = _pointer(store, f"validated/{table}/_current.json")
    if pointer is None:
        raise FileNotFoundError(f"validated/{table} has no version yet: the validate_sources task runs first")
    return store.get_parquet(pointer["key"])


def validate_for_publication(store: ObjectStore, frames: dict[str, pd.DataFrame], run_key: str, as_of: date,
                             settings: ValidationSettings) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Validate every dataset about to be published; raise before any of them is published."""
    from pantau.publishing.release import current_manifest

    current = current_manifest(store) or {"datasets": {}}
    valid: dict[str, pd.DataFrame] = {}
    summaries: dict[str, Any] = {}
    for name, frame in frames.items():
        previous = current["datasets"].get(name)
        rows, quarantine, summary = _validate(store, name, frame, run_key, as_of,
                                              previous.get("rows") if previous else None, settings,
                                              zone="publication", version=f"candidate version {run_key}")
        if len(quarantine):
            store.put_parquet(f"quarantine/publication/{name}/{run_key}.parquet", quarantine)
        valid[name] = rows
        summaries[name] = summary
    return valid, summaries
