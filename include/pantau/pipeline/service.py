"""The steps the reconcile and alert DAGs run, as functions over an ObjectStore."""

from __future__ import annotations

import io
import logging
import re
import uuid
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import sqlalchemy as sa

from pantau.alerts.contacts import ESCALATION_SUFFIXES, ContactsDirectory, read_directory
from pantau.alerts.digest import WIB, alert_items, build_digests
from pantau.alerts.ledger import Ledger, LedgerUnavailable, deliver
from pantau.alerts.mailer import SmtpSettings
from pantau.exceptions import ConfigError
from pantau.followup.states import follow_up_items
from pantau.matching.incremental import IncrementalMatcher, registry_version
from pantau.matching.review import check_decisions, decisions_report, load_decisions
from pantau.pipeline import publication, quality, reconcile
from pantau.pipeline.runs import release_unused_memory, write_summary
from pantau.publishing import release, statistics
from pantau.settings import (
    DisclosureSettings,
    FollowUpPolicy,
    ReleaseSettings,
    SenderSettings,
    ValidationSettings,
    alert_ledger_url,
)
from pantau.storage import ObjectStore

log = logging.getLogger(__name__)


def reconcile_and_publish(store: ObjectStore, run_id: str, key: str, as_of: date,
                          policy: FollowUpPolicy, validation: ValidationSettings | None = None,
                          releases: ReleaseSettings | None = None,
                          disclosure: DisclosureSettings | None = None) -> dict[str, Any]:
    """Link the *validated* sources, check every dataset, and only then publish them as one release."""
    consolidated, decisions, matcher = _link(store)
    release_unused_memory()  # the registry and its index are gone: publication starts from what linking left
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
              "review_decisions": decisions_report(decisions, _known_records(consolidated)),
              "matching": matcher.stats}
    write_summary(store, "pantau_reconcile", key, result)
    return result


def _link(store: ObjectStore) -> tuple[pd.DataFrame, pd.DataFrame, IncrementalMatcher]:
    """The consolidated cases, the stewards' decisions and the matcher (with its figures).

    The registry lives only inside this call: at 6M persons it and its index are most of the task's
    memory, and nothing after linking reads them.
    """
    cases = quality.load_validated(store, "bawaslu_cases")
    recs = quality.load_validated(store, "recommendations")
    registry, matcher = _registry_and_matcher(store)
    follow_ups = quality.load_validated(store, "follow_ups")
    decisions = _load_review_decisions(store, registry)
    consolidated = reconcile.link_cases(cases, recs, follow_ups, registry, decisions, _load_transfers(store),
                                        incremental=matcher)
    return consolidated, decisions, matcher


def _registry_and_matcher(store: ObjectStore) -> tuple[pd.DataFrame, IncrementalMatcher]:
    """The validated registry and the incremental matcher keyed by its version.

    The kept registry state must describe the rows actually loaded: when the pointer moved while
    they were read, the run gets a version of its own (no kept state is reused, nothing is unsound).
    """
    before = store.get_json("validated/registry/_current.json")
    registry = quality.load_validated(store, "registry", reconcile.REGISTRY_COLUMNS, reconcile.REGISTRY_DICTIONARY)
    after = store.get_json("validated/registry/_current.json")
    version = registry_version(after) if before == after else f"moved-{uuid.uuid4().hex[:16]}"
    return registry, IncrementalMatcher(store, version)


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


#: Where the alerts kept a JSON ledger of whole-digest fingerprints before the SQL ledger. Not migrated
#: (docs/DECISIONS.md, "Alert ledger"): the run summary notes it while it is still in the bucket.
RETIRED_JSON_LEDGER_KEY = "state/alerts/ledger.json"


def _answered_items(store: ObjectStore, manifest: dict[str, Any] | None, as_of: date,
                    policy: FollowUpPolicy) -> pd.DataFrame | None:
    """The answered follow-up items of the release's consolidated cases (the published overdue dataset
    holds only open ones), so a digest can say "answered since the last message"; None without them."""
    if not manifest or "consolidated_cases" not in manifest.get("datasets", {}):
        return None
    consolidated = release.read_dataset(store, "consolidated_cases", manifest)
    if not {"terbukti", "tanggal_rekomendasi", "nomor_rekomendasi"} <= set(consolidated.columns):
        return None
    items = follow_up_items(consolidated, as_of, policy)
    return items[items["follow_up_state"].eq("answered").to_numpy(dtype=bool)]


def send_alerts(store: ObjectStore, smtp: SmtpSettings, contacts_location: str, key: str, as_of: date,
                policy: FollowUpPolicy, sender: SenderSettings | None = None, *,
                ledger: Ledger | str | sa.URL | None = None, moment: datetime | None = None) -> dict[str, Any]:
    """Send today's digests of the current release through the alert ledger, and write the run summary.

    ``ledger`` is an open :class:`Ledger` or its URL (default :func:`pantau.settings.alert_ledger_url`);
    ``moment`` is the messages' ``Date`` (default: now, in WIB). Each recipient set gets one message with
    what is new, due again or answered since its last message, or none. An SMTP fault fails that message
    (listed in ``failed``; a re-run sends only what is left); a message the mailer refuses is listed in
    ``refused`` by agency, and the others are sent. Raises :class:`LedgerUnavailable` (after writing the
    summary) when the ledger cannot be read or written: nothing more is sent.
    """
    manifest = release.current_manifest(store)
    overdue = release.read_dataset(store, "overdue_recommendations", manifest)
    contacts = load_contacts(store, contacts_location)
    # States are the release's (judged as of its date); the cadence and the ledger use the run's as-of.
    release_as_of = date.fromisoformat(str(manifest["as_of"])[:10]) if manifest and manifest.get("as_of") else as_of
    items = alert_items(overdue, release_as_of, policy, _answered_items(store, manifest, release_as_of, policy))
    # The escalation digest attaches the release's own national list, so BKN reads what was published.
    blocking_csv = None
    if manifest and "blocking_candidates" in manifest.get("datasets", {}):
        blocking_csv = store.get_bytes(release.dataset_key(manifest, "blocking_candidates", "data.csv"))
    moment = moment or datetime.now(WIB)
    escalated = int(overdue["state"].eq("escalated").sum())
    result: dict[str, Any] = {
        "run_key": key, "as_of": as_of.isoformat(), "release": manifest["release"] if manifest else None,
        "contacts": contacts.summary(),
        "escalated_without_escalation_contact": 0 if contacts.escalation_recipients else escalated}
    if store.exists(RETIRED_JSON_LEDGER_KEY):
        result["retired_json_ledger"] = (
            f"{RETIRED_JSON_LEDGER_KEY} (the whole-digest ledger before the SQL ledger) is still in the bucket and "
            "is not read: the first run with the SQL ledger sent every open item once as new. Delete it once "
            "that run is done.")
    opened = ledger if isinstance(ledger, Ledger) else None
    try:
        if opened is None:
            opened = Ledger.open(ledger if ledger is not None else alert_ledger_url())
        result["ledger"] = opened.location
        digests, unroutable = build_digests(items, contacts, as_of, policy, opened.last_sent, manifest=manifest,
                                            bucket=store.bucket, sender=sender or SenderSettings.from_env(),
                                            moment=moment, blocking_csv=blocking_csv)
        report = deliver(opened, [d.outgoing(smtp.from_email) for d in digests], smtp)
        still_uncertain = opened.deliveries("uncertain")
    except LedgerUnavailable as exc:
        result["ledger_unavailable"] = str(exc)
        write_summary(store, "pantau_alerts", key, result)
        raise
    finally:
        if opened is not None and opened is not ledger:
            opened.close()
    sent_ids = {e["message_id"] for e in report.sent}
    counts = {"first": 0, "repeat": 0, "answered": 0}
    for digest in digests:
        if digest.message_id in sent_ids:
            for kind, n in digest.reminder_counts().items():
                counts[kind] += n
    result.update({
        "digests": len(digests),
        "agencies_in_digests": sum(len(d.sections) for d in digests if d.kind == "ppk"),
        **{name: list(rows) for name, rows in report.summary().items() if name != "recovered"},
        "recovered": report.recovered,
        # Every delivery still uncertain, not only this run's: each waits for a steward's look at the
        # mail server's log (`pantau alerts resend` re-opens one that never arrived).
        "uncertain_open": [{"office": d.digest_key, "as_of": d.as_of.isoformat(), "message_id": d.message_id,
                            "items": d.item_count} for d in still_uncertain],
        "items_new": counts["first"], "items_repeated": counts["repeat"], "items_answered": counts["answered"],
        "unroutable_items": len(unroutable),
    })
    write_summary(store, "pantau_alerts", key, result)
    return result


def alerts_line(result: dict[str, Any]) -> str:
    """The alerts run in one line (the DAG prints it; no names, no addresses)."""
    return (f"alerts: {len(result['sent'])} sent, {len(result['skipped_already_sent'])} already sent, "
            f"{len(result['uncertain'])} uncertain ({len(result['uncertain_open'])} open in the ledger), "
            f"{len(result['failed'])} failed, {len(result['refused'])} refused, {len(result['stale'])} stale; "
            f"items: {result['items_new']} new, {result['items_repeated']} repeated, "
            f"{result['items_answered']} answered; {result['unroutable_items']} unroutable items")
