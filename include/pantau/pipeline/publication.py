"""What goes into a release: the six datasets, the per-PPK extracts and policies, the metadata and pages.

:mod:`pantau.publishing.release` knows how to write a release safely; this module decides what a
reconcile run publishes (docs/DOMAIN.md §5).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pandas as pd

from pantau.pipeline import quality
from pantau.publishing import access, catalog, metadata, release, statistics
from pantau.publishing.changes import changes
from pantau.reasons import REASONS
from pantau.settings import DisclosureSettings, FollowUpPolicy, ReleaseSettings
from pantau.storage import ObjectStore, sha256_hex

SOURCES = ("bawaslu_cases", "recommendations", "registry", "follow_ups")
QUARANTINE_COLUMNS = ["source", "stage", "reason_code", "reason", "records"]


def code_version() -> str:
    """The package version, plus the commit when the deployment says which (``PANTAU_CODE_VERSION``)."""
    try:
        installed = version("pantau")
    except PackageNotFoundError:  # running from a checkout without installing
        installed = "unknown"
    commit = os.environ.get("PANTAU_CODE_VERSION")
    return f"pantau {installed}" + (f" ({commit})" if commit else "")


def quarantine_summary(store: ObjectStore, run_key: str) -> pd.DataFrame:
    """The records quarantined behind this release, per source, stage and reason code (no record content).

    * ``ingest`` (``quarantine/<source>/<run>.parquet``): staging accumulates across runs, so every
      ingestion quarantine counts, each distinct record once (a record rejected again on a later pull
      is the same record: same key, reason and content);
    * ``validation``: the rows the checks removed from the validated version of each table the release
      was built from (its ``validated/<table>/_current.json`` names them);
    * ``publication``: the rows this run's checks removed before publishing.

    A dataset-level rejection (``<run>-rejected.parquet``) never reaches a release: the run stopped.
    Counting state, not runs, keeps a re-run with nothing new from looking like a change.
    """
    seen: dict[tuple[str, str, str], set[str]] = {}

    def count(key: str, source: str, stage: str) -> None:
        # Quarantine files share pantau.pipeline.runs.QUARANTINE_COLUMNS; a record is its key and content.
        frame = pd.read_parquet(io.BytesIO(store.get_bytes(key)), columns=["record_key", "reason_code", "raw"])
        for code, record, raw in zip(frame["reason_code"], frame["record_key"], frame["raw"], strict=True):
            # Missing keys are None or NaN depending on how the file was written: both mean "no key".
            who = f"{record if isinstance(record, str) else ''}\x1f{raw if isinstance(raw, str) else ''}"
            seen.setdefault((source, stage, str(code)), set()).add(sha256_hex(who.encode()))

    for key in store.list("quarantine/"):
        parts = key.split("/")[1:]
        if not key.endswith(".parquet") or key.endswith("-rejected.parquet") or parts[0] in ("validation",
                                                                                              "publication"):
            continue
        count(key, "/".join(parts[:-1]), "ingest")
    for name in SOURCES:
        pointer = store.get_json(f"validated/{name}/_current.json") or {}
        if pointer.get("quarantine_key") and store.exists(pointer["quarantine_key"]):
            count(pointer["quarantine_key"], name, "validation")
    for key in store.list("quarantine/publication/"):
        if key.endswith(f"/{run_key}.parquet"):
            count(key, key.split("/")[2], "publication")
    rows = [{"source": source, "stage": stage, "reason_code": code,
             "reason": REASONS[code].sentence if code in REASONS else None, "records": len(records)}
            for (source, stage, code), records in sorted(seen.items())]
    return pd.DataFrame(rows, columns=QUARANTINE_COLUMNS).astype({"records": "int64"})


def source_versions(store: ObjectStore) -> dict[str, Any]:
    """The staged and validated version of each source the release was built from (the lineage inputs)."""
    sources: dict[str, Any] = {}
    for name in SOURCES:
        staged = store.get_json(f"staging/{name}/_current.json") or {}
        validated = store.get_json(f"validated/{name}/_current.json") or {}
        entry = {"staged": staged.get("run_key"), "validated": validated.get("run_key"),
                 "key": validated.get("key"), "rows": validated.get("rows_valid")}
        if validated.get("key"):
            entry["sha256"] = sha256_hex(store.get_bytes(validated["key"]))
        sources[name] = entry
    return sources


def publish(store: ObjectStore, frames: Mapping[str, pd.DataFrame], *, run_id: str, run_key: str, as_of: date,
            policy: FollowUpPolicy, validation: Mapping[str, Any], settings: ReleaseSettings,
            disclosure: DisclosureSettings) -> release.ReleaseResult:
    """Build the release's datasets from the reconciled ``frames`` and publish them as one release.

    ``frames``: consolidated_cases, overdue_recommendations, review_queue and the public
    compliance_statistics (already checked for publication).
    """
    consolidated = frames["consolidated_cases"]
    overdue = frames["overdue_recommendations"]
    public_statistics = frames["compliance_statistics"]
    datasets = {
        "consolidated_cases": consolidated,
        "overdue_recommendations": overdue,
        "review_queue": frames["review_queue"],
        "blocking_candidates": statistics.blocking_candidates(overdue, as_of),
        "compliance_statistics": public_statistics,
        "quarantine_summary": quarantine_summary(store, run_key),
    }
    restricted = {n: f for n, f in datasets.items() if release.DATASETS[n].access == "restricted"}
    split = access.split_by_ppk(restricted, consolidated=consolidated)
    sources = source_versions(store)
    facts = {
        "run_id": run_id, "run_key": run_key, "code_version": code_version(),
        "policy": dict(policy.__dict__), "disclosure": {"k": disclosure.k},
        "sources": sources,
        "validation": {name: _validation_fact(summary) for name, summary in validation.items()},
        "access": {slug: {"name": split.names.get(slug, slug), "prefix": f"restricted/ppk/{slug}/",
                          "policy": f"access/{slug}.policy.json"} for slug in sorted(split.extracts)},
    }
    ageing = catalog.overdue_ageing(overdue)  # aggregate counts only: what the catalog charts
    dictionary = metadata.field_dictionary()

    def describe(manifest: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, bytes]:
        package = metadata.datapackage(manifest)
        problems = metadata.validate_datapackage(package)
        if problems:  # a defect of ours, not of the data: stop before anything is made current
            raise ValueError("the release's datapackage.json does not follow Data Package v2: " + "; ".join(problems))
        documents = {
            "datapackage.json": _json(package),
            "dcat.jsonld": _json(metadata.dcat_record(manifest, previous)),
            "index.html": catalog.render_catalog(manifest, public_statistics, ageing, {}, dictionary,
                                                 link_base="").encode(),
            "current.html": catalog.render_catalog(manifest, public_statistics, ageing, {}, dictionary,
                                                   link_base=f"releases/{manifest['release']}/").encode(),
        }
        for slug in sorted(split.extracts):
            documents[f"access/{slug}.policy.json"] = _json(access.policy_for(slug, store.bucket))
        return documents

    result = release.publish_release(store, datasets, extracts=split.extracts, unassigned=split.unassigned,
                                     as_of=as_of, facts=facts, describe=describe, compare=changes,
                                     keep=settings.keep, writers=settings.writers)
    if result.deleted_pages:  # retention removed old validation pages: their index must not link to them
        quality.refresh_index(store)
    return result


def _validation_fact(summary: Mapping[str, Any] | None) -> dict[str, Any]:
    summary = summary or {}
    return {k: summary.get(k) for k in ("rows_in", "rows_valid", "rows_quarantined")} | {
        "report": summary.get("docs_index")}


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).encode()
