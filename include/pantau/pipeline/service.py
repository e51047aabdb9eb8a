"""The steps the reconcile and alert DAGs run, as functions over an ObjectStore."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from pantau.alerts.contacts import ESCALATION_SUFFIXES, ContactsDirectory, read_directory
from pantau.alerts.digest import build_digests, send_digests
from pantau.alerts.mailer import SmtpSettings
from pantau.exceptions import ConfigError
from pantau.matching.review import check_decisions, decisions_report, load_decisions
from pantau.pipeline import publication, quality, reconcile
from pantau.pipeline.runs import write_summary
from pantau.publishing import release, statistics
from pantau.settings import (
    DisclosureSettings,
    FollowUpPolicy,
    ReleaseSettings,
    SenderSettings,
    ValidationSettings,
)
from pantau.storage import ObjectStore


def reconcile_and_publish(store: ObjectStore, run_id: str, key: str, as_of: date,
                          policy: FollowUpPolicy, validation: ValidationSettings | None = None,
                          releases: ReleaseSettings | None = None,
                          disclosure: DisclosureSettings | None = None) -> dict[str, Any]:
    """Link the *validated* sources, check every dataset, and only then publish them as one release."""
    cases = quality.load_validated(store, "bawaslu_cases")
    recs = quality.load_validated(store, "recommendations")
    registry = quality.load_validated(store, "registry")
    follow_ups = quality.load_validated(store, "follow_ups")
    decisions = _load_review_decisions(store, registry)
    consolidated = reconcile.link_cases(cases, recs, follow_ups, registry, decisions, _load_transfers(store))
    queue = reconcile.build_review_queue(consolidated, decisions)
    overdue = reconcile.overdue(consolidated, as_of, policy)
    disclosure = disclosure or DisclosureSettings.from_env()
    # Every dataset is checked before anything is written: a failure leaves the current release current.
    checked, validation_summaries = quality.validate_for_publication(
        store, {"consolidated_cases": consolidated, "overdue_recommendations": overdue,
                "compliance_statistics": statistics.compliance_statistics(consolidated, k=disclosure.k)},
        key, as_of, validation or ValidationSettings.from_env())
    frames = {**checked, "review_queue": queue}
    staged_validation = {name: (store.get_json(f"validated/{name}/_current.json") or {})
                         for name in publication.SOURCES}
    outcome = publication.publish(store, frames, run_id=run_id, run_key=key, as_of=as_of, policy=policy,
                                  validation={**staged_validation, **validation_summaries},
                                  settings=releases or ReleaseSettings.from_env(), disclosure=disclosure)
    summary = reconcile.summary_figures(frames["consolidated_cases"], frames["overdue_recommendations"])
    result = {"run_key": key, "as_of": str(as_of), "figures": summary, **outcome.as_dict(),
              "review_decisions": decisions_report(decisions, _known_records(consolidated))}
    write_summary(store, "pantau_reconcile", key, result)
    return result


#: Stewards' decisions on review items (format: pantau.matching.review). Only ever read by the
#: pipeline, so no run can lose a decision; stewards upload a new version of this object.
REVIEW_DECISIONS_KEY = "review/decisions.csv"


def _load_transfers(store: ObjectStore) -> pd.DataFrame | None:
    """Persons seen in two BKD registries, from the BKD ingest's national combination (None before it ran)."""
    pointer = store.get_json("staging/transfers/_current.json")
    return store.get_parquet(pointer["key"]) if pointer else None


def _load_review_decisions(store: ObjectStore, registry: pd.DataFrame | None = None) -> pd.DataFrame:
    """The stewards' decisions, checked against ``registry`` (pantau.matching.review.check_decisions).

    Raises:
        ConfigError: the file cannot be read as the decisions CSV; one sentence naming the object,
            the line when the parser knows it, and what to do. No decision is guessed at.
    """
    if not store.exists(REVIEW_DECISIONS_KEY):  # no decisions yet is the normal first-run state
        return check_decisions(load_decisions(None), ())
    raw = store.get_bytes(REVIEW_DECISIONS_KEY)
    try:
        frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        decisions = load_decisions(frame)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        # pandas says "Error tokenizing data. C error: Expected 6 fields in line 4, saw 8"
        line = re.search(r"\bline (\d+)", str(exc))
        where = f" at line {line.group(1)}" if line else ""
        raise ConfigError(
            f"the review decisions file s3://{store.bucket}/{REVIEW_DECISIONS_KEY} cannot be read{where} "
            f"({_first_line(exc)}); correct it so every line has the columns item_id,decision,value,decided_by,"
            "decided_at,note (quote values holding commas) and upload it again, or remove it to run without "
            "decisions.") from exc
    nips: Any = registry["nip"].dropna().astype(str).unique() if registry is not None and "nip" in registry \
        else ()
    return check_decisions(decisions, set(nips))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _known_records(consolidated: pd.DataFrame) -> set[str]:
    """Every record key a review item can name (pantau.matching.review.decisions_report)."""
    columns = [c for c in ("nomor_register", "nomor_rekomendasi", "follow_up_key") if c in consolidated]
    return {str(v) for c in columns for v in consolidated[c].dropna().unique()}


def _read_location(store: ObjectStore, location: str, local: bool) -> bytes | None:
    """Bytes of a local file or an object key; None when it does not exist."""
    if local:
        path = Path(location)
        return path.read_bytes() if path.is_file() else None
    return store.get_bytes(location) if store.exists(location) else None


def load_contacts(store: ObjectStore, location: str) -> ContactsDirectory:
    """The contacts directory from a local path or an object key (``s3://<bucket>/<key>`` or a bare key).

    CSV or JSON (README, "Alert-contacts directory"); a ``<name>_escalation.csv`` (or ``_eskalasi``,
    or ``.json``) beside it adds escalation contacts. Rows that cannot be used are logged and listed
    in ``ContactsDirectory.problems``; only a directory with no usable agency raises ``ConfigError``.
    """
    if location.startswith("s3://"):
        location = location.split("/", 3)[3]
    local = Path(location).is_file()
    try:
        data = _read_location(store, location, local)
    except Exception as exc:
        raise ConfigError(f"cannot read the alert-contacts directory at {location!r}: {exc}. Set the Variable "
                          "pantau_contacts to a CSV or JSON file path or object key (format in README).") from exc
    if data is None:
        raise ConfigError(f"the alert-contacts directory {location!r} is neither a local file nor an object in the "
                          "bucket; set the Variable pantau_contacts to a CSV or JSON file path or object key "
                          "(format in README).")
    stem = str(PurePosixPath(location).with_suffix(""))
    siblings: dict[str, bytes] = {}
    for suffix in ESCALATION_SUFFIXES:
        for extension in (".csv", ".json"):
            candidate = f"{stem}{suffix}{extension}"
            if candidate != location and (found := _read_location(store, candidate, local)) is not None:
                siblings[candidate] = found
    return read_directory(location, data, siblings)


def send_alerts(store: ObjectStore, smtp: SmtpSettings, contacts_location: str, key: str, as_of: date,
                policy: FollowUpPolicy, sender: SenderSettings | None = None) -> dict[str, Any]:
    manifest = release.current_manifest(store)
    overdue = release.read_dataset(store, "overdue_recommendations", manifest)
    contacts = load_contacts(store, contacts_location)
    # The escalation digest attaches the release's own national list, so BKN reads what was published.
    blocking_csv = None
    if manifest and "blocking_candidates" in manifest.get("datasets", {}):
        blocking_csv = store.get_bytes(release.dataset_key(manifest, "blocking_candidates", "data.csv"))
    digests, unroutable = build_digests(overdue, contacts, as_of, policy.reminder_days_before, manifest=manifest,
                                        bucket=store.bucket, sender=sender or SenderSettings.from_env(),
                                        blocking_csv=blocking_csv)
    outcome = send_digests(store, smtp, digests, as_of)
    # Rows of the directory that could not be used are part of the run's record, not only of its log.
    escalated = int(overdue["state"].eq("escalated").sum())
    result = {"run_key": key, "digests": len(digests), "release": manifest["release"] if manifest else None,
              "agencies_in_digests": sum(len(d.sections) for d in digests if d.kind == "ppk"),
              "unroutable_items": len(unroutable),
              "escalated_without_escalation_contact": 0 if contacts.escalation_recipients else escalated,
              "contacts": contacts.summary(), **outcome}
    write_summary(store, "pantau_alerts", key, result)
    return result
