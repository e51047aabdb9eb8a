"""Build one digest per recipient set (PPK office) and one escalation digest, and send each once per state.

An office is who reads the message, not an agency code: every agency of a regency usually shares its
PPK's and BKD's addresses, so the agencies whose contacts (PPK + BKD + extra addresses) are the same set
of addresses share one message with a section each, instead of the office receiving one near-identical
e-mail per agency. Each item says what the official needs to act: person, NIP, position, recommendation
number and date, sanction, due date, working days overdue and state; each section links to the agency's
extract of the current release (docs/DOMAIN.md §5.2). The escalation digest to BKN/Kemendagri is grouped
by PPK and agency, with counts per PPK, and carries the blocking candidates as a CSV attachment
(docs/DOMAIN.md §2.3).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from babel.dates import format_date
from jinja2 import Environment, PackageLoader, select_autoescape

from pantau.alerts.contacts import ContactsDirectory, directory_from_mapping
from pantau.alerts.ledger import message_id_for
from pantau.alerts.mailer import SmtpSettings, send
from pantau.normalize.dates import working_days_between
from pantau.publishing.access import assign_offices
from pantau.reference.vocabularies import label
from pantau.settings import SenderSettings
from pantau.storage import ObjectStore

log = logging.getLogger(__name__)

LEDGER_KEY = "state/alerts/ledger.json"
WIB = ZoneInfo("Asia/Jakarta")
#: Labels of the follow-up states (docs/DOMAIN.md §2.4) as officials read them.
STATE_LABELS = {"upcoming": "Mendekati batas waktu", "due": "Mendekati batas waktu", "overdue": "Terlambat",
                "escalated": "Dieskalasi", "blocked": "Data kepegawaian diblokir BKN"}
#: The rules the digest rests on, named in every message so the official knows why it is owed.
LEGAL_BASIS = ("Peraturan Pemerintah Nomor 94 Tahun 2021 tentang Disiplin Pegawai Negeri Sipil",
               "Keputusan Bersama (SKB) Tahun 2022 tentang Pedoman Pembinaan dan Pengawasan Netralitas Pegawai "
               "Aparatur Sipil Negara dalam Penyelenggaraan Pemilihan Umum dan Pemilihan",
               "Peraturan Badan Kepegawaian Negara Nomor 1 Tahun 2023 (pemblokiran data kepegawaian)")
#: Where an item's position may be found, first present wins (the registry's is the current one).
POSITION_COLUMNS = ("registry_jabatan", "rec_jabatan", "case_jabatan", "jabatan")
NO_PPK = "PPK belum dapat ditentukan"


@dataclass(frozen=True)
class Section:
    """One agency's items inside a digest (escalation: one agency under one PPK office)."""

    agency: str
    agency_name: str
    ppk_name: str
    rows: tuple[dict[str, Any], ...]
    links: tuple[str, ...] = ()

    @property
    def overdue_count(self) -> int:
        return sum(r["state"] != "upcoming" for r in self.rows)


@dataclass(frozen=True)
class Digest:
    """One message: ``office`` is the agency codes it covers (``,``-joined) or ``ESKALASI``."""

    office: str
    office_name: str
    recipients: tuple[str, ...]
    recipient_title: str
    kind: str  # "ppk" or "escalation"
    rows: tuple[dict[str, Any], ...]
    sections: tuple[Section, ...] = ()
    as_of: date | None = None
    moment: datetime | None = None
    sender: SenderSettings = field(default_factory=SenderSettings)
    attachment: tuple[str, bytes] | None = None  # (file name, CSV bytes)

    @property
    def fingerprint(self) -> str:
        """The alert's *state*: the same office, recipients and rows in the same states → same alert.

        Unchanged from the per-agency digests, so a single-agency digest keeps its ledger entry."""
        state = [(r["nomor_rekomendasi"], r["state"]) for r in self.rows]
        payload = json.dumps([self.kind, self.office, sorted(self.recipients), state], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def message_id(self) -> str:
        """Stable per recipient set, as-of date and item states (the ledger's rule,
        :func:`pantau.alerts.ledger.message_id_for`): a resend after a crash carries the same ``Message-ID``."""
        items = [(r["nomor_rekomendasi"], r.get("follow_up_state") or r["state"]) for r in self.rows]
        return message_id_for(self.recipients, self.as_of or date.min, items)


def tanggal(value: Any) -> str:
    """A date as officials write it: ``7 Januari 2025``."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)) or value == "":
        return "-"
    return format_date(pd.Timestamp(value).date(), format="d MMMM y", locale="id")


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _working_days_overdue(rec: Mapping[str, Any], as_of: date) -> int:
    given = rec.get("working_days_overdue")
    if given is not None and not pd.isna(given):
        return int(given)
    # Releases published before pantau.followup added the column: count as it does.
    due = rec.get("due_date")
    if due is None or pd.isna(due) or due == "":
        return 0
    return max(working_days_between(pd.Timestamp(due).date(), as_of), 0)


def _row(rec: dict[str, Any], as_of: date) -> dict[str, Any]:
    state = rec["state"]
    detailed = _text(rec.get("follow_up_state")) or state
    return {
        "agency": _text(rec.get("registry_kode_instansi")) or "",
        "nomor_rekomendasi": rec["nomor_rekomendasi"],
        "tanggal": tanggal(rec.get("tanggal_rekomendasi")),
        "nama": _text(rec.get("registry_nama")) or _text(rec.get("rec_nama")) or _text(rec.get("case_nama")) or "",
        "nip": _text(rec.get("nip")),
        "jabatan": next((v for v in (_text(rec.get(c)) for c in POSITION_COLUMNS) if v), None),
        # Staged as a code; officials read the official label (a code without one is shown as is).
        "sanksi": label("sanction", rec.get("rekomendasi_sanksi")) or rec.get("rekomendasi_sanksi") or "-",
        "due": tanggal(rec.get("due_date")),
        "working_days_overdue": _working_days_overdue(rec, as_of),
        "state": state,
        "follow_up_state": detailed,
        "state_label": STATE_LABELS.get(detailed, detailed),
    }


def _rows(frame: pd.DataFrame, as_of: date) -> tuple[dict[str, Any], ...]:
    ordered = frame.assign(_due=pd.to_datetime(frame["due_date"])).sort_values(["_due", "nomor_rekomendasi"],
                                                                               kind="mergesort")
    return tuple(_row(r, as_of) for r in ordered.drop(columns="_due").to_dict("records"))


def _links(slugs: pd.Series, manifest: Mapping[str, Any] | None, bucket: str | None) -> tuple[str, ...]:
    """The agency's extract folder(s) in the release: only offices the release has an extract for."""
    if not manifest or not bucket:
        return ()
    access = manifest.get("access") or {}
    found = sorted({s for s in slugs.dropna() if s in access})
    return tuple(f"s3://{bucket}/published/releases/{manifest['release']}/{access[s]['prefix']}" for s in found)


def build_digests(overdue: pd.DataFrame, contacts: ContactsDirectory | Mapping[str, Any], as_of: date,
                  reminder_days_before: int, *, manifest: Mapping[str, Any] | None = None, bucket: str | None = None,
                  sender: SenderSettings | None = None, moment: datetime | None = None,
                  blocking_csv: bytes | None = None) -> tuple[list[Digest], list[dict[str, Any]]]:
    """One digest per recipient set with overdue or soon-due items; rows with no known office apart.

    ``contacts`` is the parsed directory (:func:`pantau.alerts.contacts.read_directory`); a mapping in
    the JSON layout is parsed first. ``manifest`` (the current release's) and ``bucket`` give each
    section its extract link; ``moment`` is the message ``Date`` (default: the start of ``as_of`` in
    WIB); ``blocking_csv`` is attached to the escalation digest (default: built from ``overdue``).
    """
    directory = contacts if isinstance(contacts, ContactsDirectory) else directory_from_mapping(contacts)
    sender = sender or SenderSettings()
    moment = moment or datetime.combine(as_of, time(0, 0), WIB)
    escalation = directory.escalation_recipients
    soon = pd.to_datetime(overdue["due_date"]).dt.date.map(lambda d: (d - as_of).days <= reminder_days_before)
    wanted = overdue[overdue["state"].isin(["overdue", "escalated"]) | soon]
    offices = assign_offices(wanted) if len(wanted) else pd.DataFrame(
        {"ppk_slug": pd.Series(dtype=object), "ppk_name": pd.Series(dtype=object)}, index=wanted.index)
    unroutable: list[dict[str, Any]] = []
    by_recipients: dict[tuple[str, ...], list[tuple[Any, Section]]] = {}
    for agency, group in wanted.groupby(wanted["registry_kode_instansi"].fillna(""), sort=True):
        rows = _rows(group, as_of)
        contact = directory.agencies.get(str(agency).strip())
        if not contact:
            unroutable.extend(rows)
            continue
        names = offices.loc[group.index, "ppk_name"].dropna()
        section = Section(str(agency), contact.nama_instansi, names.iloc[0] if len(names) else contact.ppk_jabatan,
                          rows, _links(offices.loc[group.index, "ppk_slug"], manifest, bucket))
        key = tuple(sorted({r.casefold() for r in contact.recipients}))
        by_recipients.setdefault(key, []).append((contact, section))
    digests: list[Digest] = []
    for members in sorted(by_recipients.values(), key=lambda m: [s.agency for _, s in m]):
        # The members' address sets are equal up to case: one spelling, so nobody receives it twice.
        recipients = tuple(sorted(members[0][0].recipients))
        sections = tuple(s for _, s in members)
        titles = list(dict.fromkeys(c.ppk_jabatan for c, _ in members))
        name = sections[0].agency_name if len(sections) == 1 else f"{' / '.join(titles)} ({len(sections)} instansi)"
        digests.append(Digest(",".join(s.agency for s in sections), name, recipients, " / ".join(titles), "ppk",
                              tuple(r for s in sections for r in s.rows), sections, as_of, moment, sender))
    escalated = wanted[wanted["state"].eq("escalated")]
    if len(escalated) and escalation:
        placed = escalated.assign(_ppk=offices.loc[escalated.index, "ppk_name"].fillna(NO_PPK),
                                  _agency=escalated["registry_kode_instansi"].fillna(""))
        sections = []
        for (ppk, agency), group in placed.groupby(["_ppk", "_agency"], sort=True):
            contact = directory.agencies.get(agency)
            agency_name = contact.nama_instansi if contact else (_text(group["registry_nama_instansi"].iloc[0])
                                                                  if "registry_nama_instansi" in group else None)
            sections.append(Section(agency, agency_name or agency or "Instansi tidak diketahui", ppk,
                                    _rows(group.drop(columns=["_ppk", "_agency"]), as_of)))
        # Groups by PPK, the office with most items first: that is where a warning or a block helps most.
        counts = {p: sum(len(s.rows) for s in sections if s.ppk_name == p) for p in {s.ppk_name for s in sections}}
        sections.sort(key=lambda s: (-counts[s.ppk_name], s.ppk_name, s.agency))
        if blocking_csv is None:
            from pantau.followup.blocking import blocking_candidates
            blocking_csv = blocking_candidates(overdue, as_of).to_csv(index=False).encode("utf-8")
        digests.append(Digest("ESKALASI", "Eskalasi BKN/Kemendagri", escalation,
                              "Badan Kepegawaian Negara dan Kementerian Dalam Negeri", "escalation",
                              tuple(r for s in sections for r in s.rows), tuple(sections), as_of, moment, sender,
                              (f"kandidat-pemblokiran-{as_of.isoformat()}.csv", blocking_csv)))
    return digests, unroutable


_env = Environment(loader=PackageLoader("pantau.alerts", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   keep_trailing_newline=True)
_text_env = Environment(loader=PackageLoader("pantau.alerts", "templates"), autoescape=False,
                        keep_trailing_newline=True)


def _ppk_groups(sections: tuple[Section, ...]) -> list[dict[str, Any]]:
    groups: dict[str, list[Section]] = {}
    for section in sections:
        groups.setdefault(section.ppk_name, []).append(section)
    return [{"ppk_name": name, "count": sum(len(s.rows) for s in members),
             "overdue_count": sum(s.overdue_count for s in members), "sections": members}
            for name, members in groups.items()]


def render(digest: Digest, sender: str, as_of: date) -> EmailMessage:
    as_of = digest.as_of or as_of
    overdue_count = sum(r["state"] != "upcoming" for r in digest.rows)
    # Digests built by hand (tests, older callers) may have no sections: one section of all rows.
    sections = digest.sections or (Section(digest.office, digest.office_name, digest.recipient_title, digest.rows),)
    if digest.kind == "escalation":
        groups = _ppk_groups(sections)
        subject = (f"[Pantau] Eskalasi: {len(digest.rows)} rekomendasi netralitas ASN belum ditindaklanjuti "
                   f"oleh {len(groups)} PPK")
        intro = (f"Per {tanggal(as_of)}, rekomendasi berikut telah melewati batas eskalasi tanpa keputusan "
                 "tindak lanjut dari Pejabat Pembina Kepegawaian (PPK). Rinciannya dikelompokkan per PPK dan "
                 "instansi; daftar kandidat pemblokiran terlampir sebagai CSV.")
        closing = ("Mohon pertimbangan langkah lanjutan: teguran kepada kepala daerah oleh Kementerian Dalam Negeri "
                   "atau pemblokiran data kepegawaian oleh BKN sesuai Peraturan BKN Nomor 1 Tahun 2023.")
    else:
        groups = [{"ppk_name": digest.recipient_title, "count": len(digest.rows), "overdue_count": overdue_count,
                   "sections": list(sections)}]
        subject = (f"[Pantau] {overdue_count} rekomendasi terlambat, {len(digest.rows) - overdue_count} "
                   f"mendekati batas - {digest.office_name}")
        intro = (f"Per {tanggal(as_of)}, rekomendasi pelanggaran netralitas ASN berikut belum ditindaklanjuti "
                 "dengan surat keputusan (SK) yang tercatat di BKD. Pesan ini memuat semua instansi di bawah "
                 f"Bapak/Ibu ({len(sections)} instansi, {len(digest.rows)} rekomendasi).")
        closing = "Mohon segera menetapkan tindak lanjut dan mencatatkannya di BKD."
    values = {"subject": subject, "recipient_title": digest.recipient_title, "intro": intro, "closing": closing,
              "groups": groups, "escalation": digest.kind == "escalation", "rows": digest.rows,
              "total": len(digest.rows), "overdue_count": overdue_count, "as_of": tanggal(as_of),
              "institution": digest.sender.institution, "contact": digest.sender.contact,
              "legal_basis": LEGAL_BASIS, "reference": digest.fingerprint[:16],
              "attachment": digest.attachment[0] if digest.attachment else None}
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((f"Pantau - {digest.sender.institution}", sender))
    message["To"] = ", ".join(digest.recipients)
    message["Date"] = format_datetime((digest.moment or datetime.combine(as_of, time(0, 0), WIB)).astimezone(WIB))
    # A stable Message-ID lets receiving servers drop a copy if a crash ever made us send twice.
    message["Message-ID"] = digest.message_id
    message["X-Pantau-Office"] = digest.office
    message["Content-Language"] = "id"
    message.set_content(_text_env.get_template("digest.txt.j2").render(values))
    message.add_alternative(_env.get_template("digest.html.j2").render(values), subtype="html")
    if digest.attachment:
        filename, body = digest.attachment
        message.add_attachment(body, maintype="text", subtype="csv", filename=filename)
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
