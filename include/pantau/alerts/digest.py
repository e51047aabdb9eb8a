"""Build one digest per PPK office (and one escalation digest), and send each exactly once per state."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

import pandas as pd
from babel.dates import format_date
from jinja2 import Environment, PackageLoader, select_autoescape

from pantau.alerts.contacts import ContactsDirectory, directory_from_mapping
from pantau.alerts.mailer import SmtpSettings, send
from pantau.reference.vocabularies import label
from pantau.storage import ObjectStore

log = logging.getLogger(__name__)

LEDGER_KEY = "state/alerts/ledger.json"
STATE_LABELS = {"upcoming": "Mendekati batas waktu", "overdue": "Terlambat", "escalated": "Dieskalasi"}


@dataclass(frozen=True)
class Digest:
    office: str
    office_name: str
    recipients: tuple[str, ...]
    recipient_title: str
    kind: str  # "ppk" or "escalation"
    rows: tuple[dict[str, Any], ...]

    @property
    def fingerprint(self) -> str:
        """The alert's *state*: the same office, recipients and rows in the same states → same alert."""
        state = [(r["nomor_rekomendasi"], r["state"]) for r in self.rows]
        payload = json.dumps([self.kind, self.office, sorted(self.recipients), state], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()


def tanggal(value: Any) -> str:
    """A date as officials write it: ``7 Januari 2025``."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)) or value == "":
        return "-"
    return format_date(pd.Timestamp(value).date(), format="d MMMM y", locale="id")


def _row(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "nomor_rekomendasi": rec["nomor_rekomendasi"],
        "tanggal": tanggal(rec.get("tanggal_rekomendasi")),
        "nama": rec.get("registry_nama") or rec.get("rec_nama") or rec.get("case_nama") or "",
        "nip": rec.get("nip"),
        # Staged as a code; officials read the official label (a code without one is shown as is).
        "sanksi": label("sanction", rec.get("rekomendasi_sanksi")) or rec.get("rekomendasi_sanksi") or "-",
        "due": tanggal(rec.get("due_date")),
        "state": rec["state"],
        "state_label": STATE_LABELS.get(rec["state"], rec["state"]),
    }


def build_digests(overdue: pd.DataFrame, contacts: ContactsDirectory | Mapping[str, Any], as_of: date,
                  reminder_days_before: int) -> tuple[list[Digest], list[dict[str, Any]]]:
    """Digests for offices with overdue or soon-due items; rows with no known office are returned apart.

    ``contacts`` is the parsed directory (:func:`pantau.alerts.contacts.read_directory`); a mapping in
    the JSON layout is parsed first.
    """
    directory = contacts if isinstance(contacts, ContactsDirectory) else directory_from_mapping(contacts)
    escalation = directory.escalation_recipients
    soon = pd.to_datetime(overdue["due_date"]).dt.date.map(lambda d: (d - as_of).days <= reminder_days_before)
    wanted = overdue[overdue["state"].isin(["overdue", "escalated"]) | soon]
    digests: list[Digest] = []
    unroutable: list[dict[str, Any]] = []
    for office, group in wanted.groupby(wanted["registry_kode_instansi"].fillna(""), sort=True):
        rows = tuple(_row(r) for r in group.sort_values(["due_date", "nomor_rekomendasi"]).to_dict("records"))
        contact = directory.agencies.get(str(office).strip())
        if not contact:
            unroutable.extend(rows)
            continue
        digests.append(Digest(str(office), contact.nama_instansi, tuple(sorted(contact.recipients)),
                              contact.ppk_jabatan, "ppk", rows))
    escalated = wanted[wanted["state"].eq("escalated")]
    if len(escalated) and escalation:
        rows = tuple(_row(r) for r in escalated.sort_values(["due_date", "nomor_rekomendasi"]).to_dict("records"))
        digests.append(Digest("ESKALASI", "Eskalasi BKN/Kemendagri", escalation, "Badan Kepegawaian Negara dan Kementerian Dalam Negeri",
                              "escalation", rows))
    return digests, unroutable


_env = Environment(loader=PackageLoader("pantau.alerts", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   keep_trailing_newline=True)
_text_env = Environment(loader=PackageLoader("pantau.alerts", "templates"), autoescape=False,
                        keep_trailing_newline=True)


def render(digest: Digest, sender: str, as_of: date) -> EmailMessage:
    overdue_count = sum(r["state"] != "upcoming" for r in digest.rows)
    if digest.kind == "escalation":
        subject = f"[Pantau] Eskalasi: {len(digest.rows)} rekomendasi netralitas ASN belum ditindaklanjuti"
        intro = (f"Per {tanggal(as_of)}, rekomendasi berikut telah melewati batas eskalasi tanpa keputusan "
                 "tindak lanjut dari Pejabat Pembina Kepegawaian.")
        closing = "Mohon pertimbangan langkah lanjutan, termasuk pemblokiran data kepegawaian sesuai Peraturan BKN 1/2023."
    else:
        subject = (f"[Pantau] {overdue_count} rekomendasi terlambat, {len(digest.rows) - overdue_count} "
                   f"mendekati batas - {digest.office_name}")
        intro = (f"Per {tanggal(as_of)}, rekomendasi pelanggaran netralitas ASN berikut belum ditindaklanjuti "
                 "dengan surat keputusan (SK) yang tercatat di BKD.")
        closing = "Mohon segera menetapkan tindak lanjut dan mencatatkannya di BKD."
    values = {"subject": subject, "recipient_title": digest.recipient_title, "intro": intro, "closing": closing,
              "rows": digest.rows, "reference": digest.fingerprint[:16]}
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr(("Pantau", sender))
    message["To"] = ", ".join(digest.recipients)
    # A stable Message-ID lets receiving servers drop a copy if a crash ever made us send twice.
    message["Message-ID"] = f"<pantau-{digest.fingerprint[:32]}@pantau.local>"
    message["X-Pantau-Office"] = digest.office
    message.set_content(_text_env.get_template("digest.txt.j2").render(values))
    message.add_alternative(_env.get_template("digest.html.j2").render(values), subtype="html")
    return message


def send_digests(store: ObjectStore, smtp: SmtpSettings, digests: list[Digest], as_of: date) -> dict[str, Any]:
    """Send every digest whose state was not sent before. The ledger is written after each message,
    so a mail server outage loses nothing (the task fails, retries, and sends only what is left)."""
    ledger: dict[str, Any] = store.get_json(LEDGER_KEY) or {}
    sent, skipped, failed = [], [], []
    for digest in digests:
        if digest.fingerprint in ledger:
            skipped.append(digest.office)
            continue
        try:
            send(smtp, render(digest, smtp.from_email, as_of))
        except (OSError, Exception) as exc:  # smtplib raises SMTPException (an OSError) or socket errors
            log.warning("could not send digest for %s: %s", digest.office, exc)
            failed.append({"office": digest.office, "error": str(exc)})
            continue
        ledger[digest.fingerprint] = {"office": digest.office, "kind": digest.kind, "as_of": str(as_of),
                                      "recipients": list(digest.recipients), "items": len(digest.rows)}
        store.put_json(LEDGER_KEY, ledger)
        sent.append(digest.office)
    return {"sent": sent, "skipped_already_sent": skipped, "failed": failed}
