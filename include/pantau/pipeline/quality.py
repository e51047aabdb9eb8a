"""The quality gate between staging and publication (Great Expectations suites in ``expectations/``).

* ``validate_sources``: each staged table's current version is validated once; rows that fail a
  row-level expectation are quarantined with that expectation as the reason and the rest flows on
  as ``validated/<table>``. A dataset-level failure (schema drift, volume anomaly, too much
  quarantine) raises ``ValidationFailed`` and nothing downstream is published.
* ``validate_for_publication``: the same for the datasets about to be published; all are checked
  before any pointer moves, so the previous published version stays current on failure.
* Every validation leaves a report page, ``published/validation/<run>/<table>.html`` (counts per
  expectation, never a value from the data; :mod:`pantau.validation.report`), written once, and
  ``published/validation/index.html`` lists the recent ones; the summary names the page as
  ``docs_index``.
* A dataset-level failure writes the whole rejected batch, each row with the rules it failed, to
  ``quarantine/<validation|publication>/<table>/<run>-rejected.parquet`` (and the failure summary
  beside it as ``.json``), writes the report page, and only then raises a message naming every
  failing rule with its top offending values, both object keys and what to do next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from pantau.exceptions import ValidationFailed
from pantau.pipeline.runs import release_unused_memory
from pantau.settings import ValidationSettings
from pantau.storage import ObjectStore, plain_schema, sha256_hex
from pantau.validation.incremental import PriorVerdicts, prior_from
from pantau.validation.report import (
    REPORT_PREFIX,
    index_entry,
    merge_index,
    render_validation_index,
    render_validation_report,
    report_key,
)
from pantau.validation.suites import load_suite

if TYPE_CHECKING:  # for annotations: the validation package is imported where it runs, as before
    from pantau.validation.validate import ValidationOutcome

SOURCE_TABLES = ("bawaslu_cases", "recommendations", "registry", "follow_ups")
#: Staged columns of few distinct values, read dictionary-encoded (pandas categoricals) while their table is
#: validated: a 6M-row registry's 17 such columns take about 1 GB as text and a few MB as codes. The kind
#: checks, the rules, the row hashes and the written version see the values, not the codes
#: (:mod:`pantau.validation.validate`); the validated version is written as plain text, as staged.
FEW_VALUED: dict[str, list[str]] = {
    "registry": ["gelar_depan", "gelar_belakang", "jenis_kelamin", "jenis_asn", "jenis_asn_raw", "jenis_asn_mapping",
                 "kode_instansi", "nama_instansi", "unit_kerja", "jabatan", "golongan", "kode_wilayah", "status",
                 "status_raw", "status_mapping", "nip_reason", "bkd"],
}
#: Prefix of the validation report pages and their index.
DOCS_PREFIX = REPORT_PREFIX
#: The list behind the index page: counts and names of recent validations, oldest first.
INDEX_JSON = f"{REPORT_PREFIX}/runs.json"
HTML = "text/html; charset=utf-8"


def _pointer(store: ObjectStore, key: str) -> dict[str, Any] | None:
    return store.get_json(key)


def quarantine_key(zone: str, dataset: str, run_key: str) -> str:
    """Where a validation's quarantined (and flagged) rows go: ``quarantine/<zone>/<table>/<run>.parquet``."""
    return f"quarantine/{zone}/{dataset}/{run_key}.parquet"


def put_report(store: ObjectStore, page: str, run_key: str, dataset: str) -> str:
    """Write a report page once; returns its key.

    A retry rendering the same bytes leaves the page as it is. A retry of the same run that
    validated a different version (new staged data arrived between attempts) keeps the first page
    and writes its own beside it, named by its digest, so no page is ever replaced.
    """
    data = page.encode("utf-8")
    key = report_key(run_key, dataset)
    try:
        store.put_once(key, data, HTML)
    except FileExistsError:
        key = report_key(run_key, f"{dataset}.{sha256_hex(data)[:12]}")
        store.put_once(key, data, HTML)
    return key


def record_in_index(store: ObjectStore, summary: Mapping[str, Any], key: str, version: str | None = None) -> None:
    """Add a validation to ``published/validation/runs.json`` and re-render ``published/validation/index.html``."""
    refresh_index(store, index_entry(summary, key, version))


def refresh_index(store: ObjectStore, entry: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Re-render the index page from ``runs.json`` (plus ``entry``), listing only pages that still exist.

    Release retention deletes the pages of old runs; call this after it so the index has no dead link.
    """
    entries: list[dict[str, Any]] = store.get_json(INDEX_JSON) or []
    if entry is not None:
        entries = merge_index(entries, entry)
    existing = set(store.list(f"{REPORT_PREFIX}/"))
    entries = [e for e in entries if e.get("key") in existing]
    store.put_json(INDEX_JSON, entries)
    store.put_bytes(f"{REPORT_PREFIX}/index.html", render_validation_index(entries).encode("utf-8"), HTML)
    return entries


def _publish_report(store: ObjectStore, summary: Mapping[str, Any], results: Mapping[str, Any],
                    settings: ValidationSettings, *, version: str, quarantine: str | None,
                    rejected: str | None) -> str:
    dataset, run_key = summary["dataset"], summary["run_key"]
    page = render_validation_report(dataset, run_key, summary, results,
                                    suite=load_suite(settings.expectations_dir, dataset), version=version,
                                    quarantine_key=quarantine, rejected_key=rejected, bucket=store.bucket)
    key = put_report(store, page, run_key, dataset)
    record_in_index(store, summary, key, version)
    return key


def _put_rejected(store: ObjectStore, key: str, rejected: pd.DataFrame) -> str:
    try:
        return store.put_parquet(key, rejected)
    except (pa.ArrowException, TypeError, ValueError):
        # A drifted column can mix types Parquet cannot store in one column; its text still can.
        mixed = {c: "string" for c in rejected.columns if rejected[c].dtype == object}
        return store.put_parquet(key, rejected.astype(mixed))


def _reject(store: ObjectStore, exc: ValidationFailed, dataset: str, run_key: str, zone: str, version: str,
            settings: ValidationSettings) -> ValidationFailed:
    """Keep a dataset-level failure readable after the run: the rejected batch goes to quarantine and
    the report page to ``published/validation/`` *before* the message naming both is raised."""
    from pantau.validation.validate import BatchRejected, explain_failure

    summary = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    summary = {**summary, "dataset": dataset, "run_key": run_key, "success": False}
    rejected_key = None
    if isinstance(exc, BatchRejected) and exc.rejected is not None:
        rejected_key = _put_rejected(store, f"quarantine/{zone}/{dataset}/{run_key}-rejected.parquet", exc.rejected)
    # Only validate_frame's own failure carries GX results; anything raised before GX ran has no page.
    index_key = None
    if isinstance(exc, BatchRejected) and exc.results:
        index_key = _publish_report(store, summary, exc.results, settings, version=version, quarantine=None,
                                    rejected=rejected_key)
    summary.update(docs_index=index_key, rejected_key=rejected_key, version=version)
    docs_url = f"s3://{store.bucket}/{index_key}" if index_key else "not written (validation stopped before GX)"
    if "problems" not in summary:  # not raised by validate_frame: keep its own words
        return ValidationFailed(f"{exc.args[0]} Validation report: {docs_url}.", summary)
    message = explain_failure(summary, version=version, docs=docs_url,
                              rejected=f"s3://{store.bucket}/{rejected_key}" if rejected_key else None)
    summary["message"] = message
    if rejected_key:
        store.put_json(rejected_key.removesuffix(".parquet") + ".json", summary)
    return ValidationFailed(message, summary)


def _validate(store: ObjectStore, dataset: str, frame: pd.DataFrame, run_key: str, as_of: date,
              previous_rows: int | None, settings: ValidationSettings, references: dict[str, Any] | None = None, *,
              zone: str = "validation", version: str | None = None, track_rows: bool = False,
              prior: PriorVerdicts | None = None, prior_problem: str | None = None) -> _Validated:
    from pantau.validation import validate_frame

    version = version or f"run {run_key}"
    try:
        outcome = validate_frame(dataset, frame, run_key=run_key, as_of=as_of, previous_rows=previous_rows,
                                 settings=settings, references=references, track_rows=track_rows, prior=prior)
    except ValidationFailed as exc:
        raise _reject(store, exc, dataset, run_key, zone, version, settings) from exc
    if prior_problem and outcome.summary.get("validation_mode") == "full":
        outcome.summary["full_reason"] = prior_problem
    index_key = _publish_report(store, outcome.summary, outcome.results, settings, version=version,
                                quarantine=quarantine_key(zone, dataset, run_key), rejected=None)
    summary = {**outcome.summary, "docs_index": index_key}
    quarantine = pd.concat([outcome.quarantine, outcome.flagged], ignore_index=True) if len(outcome.flagged) \
        else outcome.quarantine
    return _Validated(outcome, quarantine, summary)


@dataclass
class _Validated:
    outcome: ValidationOutcome
    quarantine: pd.DataFrame  # quarantined and flagged rows
    summary: dict[str, Any]

    @property
    def valid(self) -> pd.DataFrame:
        return self.outcome.valid

    @property
    def rows_valid(self) -> int:
        return len(self.outcome.checked) - len(self.outcome.dropped)

    def put_valid(self, store: ObjectStore, key: str) -> str:
        """Write the valid rows batch by batch: a 6M-row registry is never held twice."""
        return store.put_parquet_batches(key, self.outcome.valid_batches(), plain_schema(self.outcome.checked))


def verdicts_key(table: str, run_key: str) -> str:
    """Where a source validation keeps its per-row verdicts for the next, incremental, validation."""
    return f"validated/{table}/{run_key}.verdicts.parquet"


def _prior(store: ObjectStore, done: Mapping[str, Any] | None) -> tuple[PriorVerdicts | None, str | None]:
    """The previous validation's per-row verdicts, or None and why (then the table is validated whole)."""
    if not done or not done.get("verdicts_key"):
        return None, "no previous validation state"
    try:
        state = store.get_parquet(done["verdicts_key"])
        return prior_from(state, int(done["rows_in"]), str(done["as_of"]), str(done["fingerprint"])), None
    except Exception as exc:  # noqa: BLE001 - missing, unreadable or inconsistent state: validate whole
        return None, f"previous validation state unusable ({type(exc).__name__})"


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
        frame = store.get_parquet(staged["key"], dictionary=FEW_VALUED.get(table))
        release_unused_memory()  # the read's buffers, before validation allocates
        if table == "recommendations":
            recommendations = frame
        references = None
        if table == "follow_ups":
            recs = recommendations if recommendations is not None else load_validated(store, "recommendations")
            references = {"nomor_rekomendasi": set(recs["nomor_rekomendasi"].dropna())}
        previous_rows = done.get("rows_in") if done else None
        prior, prior_problem = _prior(store, done)
        result = _validate(store, table, frame, run_key, as_of, previous_rows, settings, references,
                           version=f"staged version {staged['key']}", track_rows=True, prior=prior,
                           prior_problem=prior_problem)
        summary = result.summary
        key = result.put_valid(store, f"validated/{table}/{run_key}.parquet")
        quarantined = store.put_parquet(quarantine_key("validation", table, run_key), result.quarantine)
        pointer = {"key": key, "staged_key": staged["key"], "run_key": run_key, "rows_in": len(frame),
                   "rows_valid": result.rows_valid, "rows_quarantined": summary.get("rows_quarantined", 0),
                   "quarantine_key": quarantined, "docs_index": summary["docs_index"],
                   "rows_checked": summary.get("rows_checked"), "validation_mode": summary.get("validation_mode")}
        if result.outcome.verdicts is not None:
            pointer.update(verdicts_key=store.put_parquet(verdicts_key(table, run_key), result.outcome.verdicts),
                           fingerprint=result.outcome.fingerprint, as_of=as_of.isoformat())
        store.put_json(f"validated/{table}/_current.json", pointer)
        results[table] = {**pointer, "summary": summary}
        del frame, result
        release_unused_memory()
    return results


def load_validated(store: ObjectStore, table: str, columns: list[str] | None = None,
                   dictionary: list[str] | None = None) -> pd.DataFrame:
    """The current validated version of ``table`` (only ``columns``, those it has, when given; the
    ``dictionary`` columns as categoricals, see :meth:`ObjectStore.get_parquet`)."""
    pointer = _pointer(store, f"validated/{table}/_current.json")
    if pointer is None:
        raise FileNotFoundError(f"validated/{table} has no version yet: the validate_sources task runs first")
    return store.get_parquet(pointer["key"], columns, dictionary)


def validate_for_publication(store: ObjectStore, frames: dict[str, pd.DataFrame], run_key: str, as_of: date,
                             settings: ValidationSettings) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Validate every dataset about to be published; raise before any of them is published."""
    from pantau.publishing.release import current_manifest

    current = current_manifest(store) or {"datasets": {}}
    valid: dict[str, pd.DataFrame] = {}
    summaries: dict[str, Any] = {}
    for name, frame in frames.items():
        previous = current["datasets"].get(name)
        result = _validate(store, name, frame, run_key, as_of, previous.get("rows") if previous else None,
                           settings, zone="publication", version=f"candidate version {run_key}")
        if len(result.quarantine):
            store.put_parquet(quarantine_key("publication", name, run_key), result.quarantine)
        valid[name] = result.valid
        summaries[name] = result.summary
    return valid, summaries
