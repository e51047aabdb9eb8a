"""The steps the reconcile and alert DAGs run, as functions over an ObjectStore."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from pantau.alerts.digest import build_digests, send_digests
from pantau.alerts.mailer import SmtpSettings
from pantau.exceptions import ConfigError
from pantau.pipeline import publish, reconcile
from pantau.pipeline.runs import write_summary
from pantau.settings import FollowUpPolicy
from pantau.storage import ObjectStore


def reconcile_and_publish(store: ObjectStore, run_id: str, key: str, as_of: date,
                          policy: FollowUpPolicy) -> dict[str, Any]:
    cases = reconcile.load_current(store, "bawaslu_cases")
    recs = reconcile.load_current(store, "recommendations")
    registry = reconcile.load_current(store, "registry")
    follow_ups = reconcile.load_current(store, "follow_ups")
    consolidated = reconcile.link_cases(cases, recs, follow_ups, registry)
    overdue = reconcile.overdue(consolidated, as_of, policy)
    summary = reconcile.summary_figures(consolidated, overdue)
    watermarks = {name: (store.get_json(f"staging/{name}/_current.json") or {}).get("run_key")
                  for name in ("bawaslu_cases", "recommendations", "registry", "follow_ups")}
    extra = {"as_of": str(as_of), "policy": policy.__dict__, "source_versions": watermarks}
    manifests = {
        "consolidated_cases": publish.publish_dataset(store, "consolidated_cases", consolidated, run_id, key, extra),
        "overdue_recommendations": publish.publish_dataset(store, "overdue_recommendations", overdue, run_id, key,
                                                           extra),
        "compliance_summary": publish.publish_dataset(store, "compliance_summary",
                                                      reconcile.compliance_summary(consolidated), run_id, key, extra),
    }
    result = {"run_key": key, "as_of": str(as_of), "figures": summary,
              "versions": {n: m["files"]["data.parquet"]["key"] for n, m in manifests.items()}}
    write_summary(store, "pantau_reconcile", key, result)
    return result


def load_contacts(store: ObjectStore, location: str) -> dict[str, Any]:
    """The contacts directory from a local path or an object key (``s3://<bucket>/<key>`` or a bare key)."""
    if location.startswith("s3://"):
        location = location.split("/", 3)[3]
    path = Path(location)
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else store.get_bytes(location).decode("utf-8")
        return json.loads(text)
    except Exception as exc:
        raise ConfigError(f"cannot read the alert-contacts directory at {location!r}: {exc}. Set the Variable "
                          "pantau_contacts to a JSON file path or object key (format in README).") from exc


def send_alerts(store: ObjectStore, smtp: SmtpSettings, contacts_location: str, key: str, as_of: date,
                policy: FollowUpPolicy) -> dict[str, Any]:
    overdue = publish.read_current(store, "overdue_recommendations")
    contacts = load_contacts(store, contacts_location)
    digests, unroutable = build_digests(overdue, contacts, as_of, policy.reminder_days_before)
    outcome = send_digests(store, smtp, digests, as_of)
    result = {"run_key": key, "digests": len(digests), "unroutable_items": len(unroutable), **outcome}
    write_summary(store, "pantau_alerts", key, result)
    return result
