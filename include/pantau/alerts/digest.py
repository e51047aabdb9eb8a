"""Build one digest per recipient set (PPK office) and one escalation digest, carrying what is news today.

An office is who reads the message, not an agency code: every agency of a regency usually shares its
PPK's and BKD's addresses, so the agencies whose contacts (PPK + BKD + extra addresses) are the same set
of addresses share one message with a section each, instead of the office receiving one near-identical
e-mail per agency. What a message carries is decided per recipient set from the alert ledger
(:class:`pantau.alerts.ledger.Ledger`, ``last_sent``) by :func:`pantau.followup.reminders.reminders_due`:
items that are new or entered a new step (``baru``), items still in the same step after the reminder
cadence (``pengingat ulang``) and items answered since the last message (``sudah ditindaklanjuti``).
The other open items of the recipient set are not repeated; a short summary counts them per state and
links the agency extracts (no names). A recipient set with nothing new gets no message.

Each item says what the official needs to act: person, NIP, position, recommendation number and date,
sanction, due date, working days overdue, state and why it is in this message; each section links to
the agency's extract of the current release (docs/DOMAIN.md §5.2). The escalation digest to
BKN/Kemendagri is grouped by PPK and agency, with counts per PPK, and carries the blocking candidates as
a CSV attachment (docs/DOMAIN.md §2.3). Sending is :func:`pantau.alerts.ledger.deliver`'s.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
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
from pantau.alerts.ledger import Outgoing, item_keys, message_id_for
from pantau.followup.calendar import add_days
from pantau.followup.reminders import reminders_due
from pantau.followup.states import STATES, STEPS
from pantau.normalize.dates import working_days_between
from pantau.publishing.access import assign_offices
from pantau.reference.vocabularies import label
from pantau.settings import FollowUpPolicy, SenderSettings

log = logging.getLogger(__name__)

WIB = ZoneInfo("Asia/Jakarta")
#: Labels of the follow-up states (docs/DOMAIN.md §2.4) as officials read them.
STATE_LABELS = {"upcoming": "Mendekati batas waktu", "due": "Mendekati batas waktu", "overdue": "Terlambat",
                "escalated": "Dieskalasi", "blocked": "Data kepegawaian diblokir BKN",
                "answered": "Sudah ditindaklanjuti"}
#: Why an item is in today's message (:func:`pantau.followup.reminders.reminders_due`'s ``reminder``).
REMINDER_LABELS = {"first": "baru", "repeat": "pengingat ulang", "answered": "sudah ditindaklanjuti"}
#: How the summary of the still-open items names each state (plural counts).
SUMMARY_LABELS = {"due": "mendekati batas waktu", "overdue": "terlambat", "escalated": "dieskalasi",
                  "blocked": "diblokir BKN"}
#: The rules the digest rests on, named in every message so the official knows why it is owed.
LEGAL_BASIS = ("Peraturan Pemerintah Nomor 94 Tahun 2021 tentang Disiplin Pegawai Negeri Sipil",
               "Keputusan Bersama (SKB) Tahun 2022 tentang Pedoman Pembinaan dan Pengawasan Netralitas Pegawai "
               "Aparatur Sipil Negara dalam Penyelenggaraan Pemilihan Umum dan Pemilihan",
               "Peraturan Badan Kepegawaian Negara Nomor 1 Tahun 2023 (pemblokiran data kepegawaian)")
#: Where an item's position may be found, first present wins (the registry's is the current one).
POSITION_COLUMNS = ("registry_jabatan", "rec_jabatan", "case_jabatan", "jabatan")
#: Every item column a digest reads (:func:`_row`, the grouping, the escalation sections). The release's
#: rows carry a hundred more; each per-office selection and sort would copy them all, so
#: :func:`build_digests` keeps only these once the offices are assigned.
DIGEST_COLUMNS = ("nomor_rekomendasi", "step", "state", "follow_up_state", "reminder", "registry_kode_instansi",
                  "registry_nama_instansi", "tanggal_rekomendasi", "registry_nama", "rec_nama", "case_nama", "nip",
                  *POSITION_COLUMNS, "rekomendasi_sanksi", "due_date", "working_days_overdue")
NO_PPK = "PPK belum dapat ditentukan"
#: The ledger's ``digest_key`` column holds at most this many characters.
LEDGER_KEY_LENGTH = 64

#: ``last_sent(recipients) -> {(nomor_rekomendasi, step): date}``, :meth:`pantau.alerts.ledger.Ledger.last_sent`.
LastSent = Callable[[tuple[str, ...]], Mapping[tuple[str, str], date]]


def _nothing_sent(_: tuple[str, ...]) -> Mapping[tuple[str, str], date]:
    return {}


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
        return sum(r["follow_up_state"] in ("overdue", "escalated", "blocked") for r in self.rows)


@dataclass(frozen=True)
class Digest:
    """One message: ``office`` is the agency codes it covers (``,``-joined) or ``ESKALASI``; ``rows`` are
    the items it carries (each with ``step`` and ``reminder``); ``open_summary`` counts, per state, the
    recipient set's other open items, which it does not repeat; ``links`` are their agency extracts."""

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
    open_summary: tuple[tuple[str, int], ...] = ()
    links: tuple[str, ...] = ()

    @property
    def items(self) -> tuple[tuple[str, str], ...]:
        """The ledger keys (recommendation number, step) this message carries."""
        return item_keys(self.rows)

    @property
    def message_id(self) -> str:
        """The ledger's one rule (:func:`pantau.alerts.ledger.message_id_for`): stable per recipient set,
        as-of date and items, so a retry of the same message carries the same ``Message-ID``."""
        return message_id_for(self.recipients, self.as_of or date.min, self.items)

    @property
    def ledger_key(self) -> str:
        """The office as the ledger records it: the agency codes, shortened to the first one and a count
        when a governor's office with dozens of agencies would not fit the column."""
        if len(self.office) <= LEDGER_KEY_LENGTH:
            return self.office
        codes = self.office.split(",")
        return f"{codes[0]} +{len(codes) - 1} instansi"[:LEDGER_KEY_LENGTH]

    def reminder_counts(self) -> dict[str, int]:
        """Distinct items per reminder kind (``first``, ``repeat``, ``answered``)."""
        kinds = {(str(r["nomor_rekomendasi"]), str(r["step"])): r["reminder"] for r in self.rows}
        counted = Counter(kinds.values())
        return {kind: counted.get(kind, 0) for kind in REMINDER_LABELS}

    def outgoing(self, from_email: str) -> Outgoing:
        """The message for :func:`pantau.alerts.ledger.deliver`."""
        return Outgoing(self.ledger_key, self.recipients, self.as_of or date.min, self.items,
                        render(self, from_email))


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
    detailed = _text(rec.get("follow_up_state")) or _text(rec.get("state")) or ""
    reminder = _text(rec.get("reminder")) or "first"
    return {
        "agency": _text(rec.get("registry_kode_instansi")) or "",
        "nomor_rekomendasi": rec["nomor_rekomendasi"],
        "step": _text(rec.get("step")) or detailed,
        "tanggal": tanggal(rec.get("tanggal_rekomendasi")),
        "nama": _text(rec.get("registry_nama")) or _text(rec.get("rec_nama")) or _text(rec.get("case_nama")) or "",
        "nip": _text(rec.get("nip")),
        "jabatan": next((v for v in (_text(rec.get(c)) for c in POSITION_COLUMNS) if v), None),
        # Staged as a code; officials read the official label (a code without one is shown as is).
        "sanksi": label("sanction", rec.get("rekomendasi_sanksi")) or rec.get("rekomendasi_sanksi") or "-",
        "due": tanggal(rec.get("due_date")),
        "working_days_overdue": _working_days_overdue(rec, as_of),
        "state": _text(rec.get("state")) or detailed,
        "follow_up_state": detailed,
        "state_label": STATE_LABELS.get(detailed, detailed),
        "reminder": reminder,
        "reminder_label": REMINDER_LABELS.get(reminder, reminder),
    }


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` by due date, then recommendation number (a stable sort: ties keep their order)."""
    return frame.assign(_due=pd.to_datetime(frame["due_date"])).sort_values(["_due", "nomor_rekomendasi"],
                                                                            kind="mergesort")


def _rows(frame: pd.DataFrame, as_of: date) -> tuple[dict[str, Any], ...]:
    return tuple(_row(r, as_of) for r in _ordered(frame).drop(columns="_due").to_dict("records"))


def _rows_by(frame: pd.DataFrame, as_of: date, by: list[str]) -> dict[Any, tuple[dict[str, Any], ...]]:
    """:func:`_rows` of each group of ``frame`` by the columns ``by`` (key: the value, or the tuple of values
    for several columns), in one pass: sorting all rows once and splitting them keeps each group's rows
    in the order sorting the group alone gives (the sort is stable), at a fraction of the cost of one
    sort and one record conversion per group."""
    ordered = _ordered(frame)
    keys = list(ordered[by[0]]) if len(by) == 1 else list(zip(*(ordered[c] for c in by), strict=True))
    grouped: dict[Any, list[dict[str, Any]]] = {}
    for key, record in zip(keys, ordered.drop(columns="_due").to_dict("records"), strict=True):
        grouped.setdefault(key, []).append(_row(record, as_of))
    return {key: tuple(rows) for key, rows in grouped.items()}


def _links(slugs: pd.Series, manifest: Mapping[str, Any] | None, bucket: str | None) -> tuple[str, ...]:
    """The agency's extract folder(s) in the release: only offices the release has an extract for."""
    if not manifest or not bucket:
        return ()
    access = manifest.get("access") or {}
    found = sorted({s for s in slugs.dropna() if s in access})
    return tuple(f"s3://{bucket}/published/releases/{manifest['release']}/{access[s]['prefix']}" for s in found)


def alert_items(overdue: pd.DataFrame, as_of: date, policy: FollowUpPolicy,
                answered: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows the digests choose from: the release's open items, and ``answered`` ones.

    ``overdue`` is the published ``overdue_recommendations`` dataset; ``as_of`` is the date its states
    were judged (the release's). A release published before :mod:`pantau.followup` has no
    ``follow_up_state`` and ``step``: they are derived here from ``state`` and ``due_date`` under
    ``policy`` (``due`` inside the reminder window; blocked cannot be told without the column). The
    published dataset holds no answered rows, so ``answered`` (:func:`pantau.followup.follow_up_items`
    rows of the release's consolidated cases whose ``follow_up_state`` is ``answered``) adds those whose
    recommendation number has no open row.
    """
    items = overdue.copy()
    if "follow_up_state" not in items:
        def derived(state: Any, due: Any) -> str:
            if state != "upcoming" or due is None or pd.isna(due):
                return str(state)
            opens = add_days(pd.Timestamp(due).date(), -policy.reminder_days_before, policy)
            return "due" if as_of >= opens else "upcoming"
        items["follow_up_state"] = [derived(s, d) for s, d in zip(items["state"], items["due_date"], strict=True)]
    if "step" not in items:
        items["step"] = pd.Series([s if s in STEPS else None for s in items["follow_up_state"]],
                                  index=items.index, dtype=object)
    if answered is not None and len(answered):
        done = answered[answered["follow_up_state"].eq("answered").to_numpy(dtype=bool)]
        done = done[~done["nomor_rekomendasi"].isin(set(items["nomor_rekomendasi"].dropna()))]
        if len(done):
            items = pd.concat([items, done.assign(step=None)], ignore_index=True)
    return items.reset_index(drop=True)


def build_digests(items: pd.DataFrame, contacts: ContactsDirectory | Mapping[str, Any], as_of: date,
                  policy: FollowUpPolicy, last_sent: LastSent | None = None, *,
                  manifest: Mapping[str, Any] | None = None, bucket: str | None = None,
                  sender: SenderSettings | None = None, moment: datetime | None = None,
                  blocking_csv: bytes | None = None) -> tuple[list[Digest], list[dict[str, Any]]]:
    """One digest per recipient set with something new today; open items with no known office apart.

    ``items`` are :func:`alert_items` rows. ``last_sent`` gives, per recipient set, what was delivered
    to it and when (:meth:`pantau.alerts.ledger.Ledger.last_sent`; default: nothing ever was), so each
    digest carries only what :func:`pantau.followup.reminders.reminders_due` finds due today. ``contacts``
    is the parsed directory (:func:`pantau.alerts.contacts.read_directory`); a mapping in the JSON layout
    is parsed first. ``manifest`` (the current release's) and ``bucket`` give the extract links;
    ``moment`` is the message ``Date`` (default: the start of ``as_of`` in WIB); ``blocking_csv`` is
    attached to the escalation digest (default: built from ``items``).
    """
    directory = contacts if isinstance(contacts, ContactsDirectory) else directory_from_mapping(contacts)
    sender = sender or SenderSettings()
    moment = moment or datetime.combine(as_of, time(0, 0), WIB)
    last_sent = last_sent or _nothing_sent
    follow_up = items["follow_up_state"]
    wanted = items[(items["step"].isin(STEPS) | follow_up.eq("answered")).to_numpy(dtype=bool)]
    wanted = wanted[wanted["nomor_rekomendasi"].notna().to_numpy(dtype=bool)]
    offices = assign_offices(wanted) if len(wanted) else pd.DataFrame(
        {"ppk_slug": pd.Series(dtype=object), "ppk_name": pd.Series(dtype=object)}, index=wanted.index)
    wanted = wanted[[c for c in dict.fromkeys(DIGEST_COLUMNS) if c in wanted.columns]].assign(
        _ppk_slug=offices["ppk_slug"], _ppk_name=offices["ppk_name"],
        _agency=wanted["registry_kode_instansi"].fillna("").astype(str).str.strip())
    unroutable: list[dict[str, Any]] = []
    by_recipients: dict[tuple[str, ...], list[tuple[Any, pd.DataFrame]]] = {}
    for agency, group in wanted.groupby("_agency", sort=True):
        contact = directory.agencies.get(str(agency))
        if not contact:
            unroutable.extend(_rows(group[group["step"].isin(STEPS).to_numpy(dtype=bool)], as_of))
            continue
        key = tuple(sorted({r.casefold() for r in contact.recipients}))
        by_recipients.setdefault(key, []).append((contact, group))
    digests: list[Digest] = []
    for members in sorted(by_recipients.values(), key=lambda m: [c.kode_instansi for c, _ in m]):
        # The members' address sets are equal up to case: one spelling, so nobody receives it twice.
        recipients = tuple(sorted(members[0][0].recipients))
        frame = pd.concat([g for _, g in members])
        due = reminders_due(frame, as_of, last_sent(recipients), policy)
        if due.empty:
            continue
        sections = []
        rows_of = _rows_by(due, as_of, ["_agency"])
        for contact, group in members:
            mine = rows_of.get(contact.kode_instansi)
            if not mine:
                continue
            names = group["_ppk_name"].dropna()
            sections.append(Section(contact.kode_instansi, contact.nama_instansi,
                                    names.iloc[0] if len(names) else contact.ppk_jabatan, mine,
                                    _links(group["_ppk_slug"], manifest, bucket)))
        titles = list(dict.fromkeys(c.ppk_jabatan for c, _ in members))
        agencies = [c for c, _ in members]
        name = agencies[0].nama_instansi if len(agencies) == 1 else f"{' / '.join(titles)} ({len(agencies)} instansi)"
        digests.append(Digest(",".join(c.kode_instansi for c in agencies), name, recipients, " / ".join(titles), "ppk",
                              tuple(r for s in sections for r in s.rows), tuple(sections), as_of, moment, sender,
                              open_summary=_open_summary(frame, due),
                              links=_links(frame["_ppk_slug"], manifest, bucket)))
    escalation = directory.escalation_recipients
    escalated = wanted[(wanted["state"].eq("escalated") | wanted["follow_up_state"].eq("answered")).to_numpy(dtype=bool)]
    if escalation and escalated["state"].eq("escalated").any():
        digest = _escalation_digest(escalated, directory, escalation, as_of, policy, last_sent(escalation), moment,
                                    sender, blocking_csv, items)
        if digest is not None:
            digests.append(digest)
    return digests, unroutable


def _open_summary(frame: pd.DataFrame, due: pd.DataFrame) -> tuple[tuple[str, int], ...]:
    """Counts per state of the open items of ``frame`` that are not in today's message."""
    carried = set(due["nomor_rekomendasi"])
    rest = frame[frame["step"].isin(STEPS).to_numpy(dtype=bool) & ~frame["nomor_rekomendasi"].isin(carried).to_numpy()]
    counts = rest.drop_duplicates("nomor_rekomendasi")["follow_up_state"].value_counts()
    return tuple((state, int(counts[state])) for state in STATES if state in counts.index and counts[state])


def _escalation_digest(escalated: pd.DataFrame, directory: ContactsDirectory, recipients: tuple[str, ...],
                       as_of: date, policy: FollowUpPolicy, last: Mapping[tuple[str, str], date],
                       moment: datetime, sender: SenderSettings, blocking_csv: bytes | None,
                       items: pd.DataFrame) -> Digest | None:
    due = reminders_due(escalated, as_of, last, policy)
    if due.empty:
        return None
    placed = due.assign(_ppk=due["_ppk_name"].fillna(NO_PPK))
    sections = []
    rows_of = _rows_by(placed, as_of, ["_ppk", "_agency"])
    for (ppk, agency), group in placed.groupby(["_ppk", "_agency"], sort=True):
        contact = directory.agencies.get(agency)
        agency_name = contact.nama_instansi if contact else (_text(group["registry_nama_instansi"].iloc[0])
                                                              if "registry_nama_instansi" in group else None)
        sections.append(Section(agency, agency_name or agency or "Instansi tidak diketahui", ppk,
                                rows_of[(ppk, agency)]))
    # Groups by PPK, the office with most items first: that is where a warning or a block helps most.
    counts = {p: sum(len(s.rows) for s in sections if s.ppk_name == p) for p in {s.ppk_name for s in sections}}
    sections.sort(key=lambda s: (-counts[s.ppk_name], s.ppk_name, s.agency))
    if blocking_csv is None:
        from pantau.followup.blocking import blocking_candidates
        blocking_csv = blocking_candidates(items[items["state"].notna().to_numpy(dtype=bool)], as_of) \
            .to_csv(index=False).encode("utf-8")
    return Digest("ESKALASI", "Eskalasi BKN/Kemendagri", recipients,
                  "Badan Kepegawaian Negara dan Kementerian Dalam Negeri", "escalation",
                  tuple(r for s in sections for r in s.rows), tuple(sections), as_of, moment, sender,
                  (f"kandidat-pemblokiran-{as_of.isoformat()}.csv", blocking_csv),
                  open_summary=_open_summary(escalated[escalated["state"].eq("escalated").to_numpy(dtype=bool)], due))


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


def _counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {REMINDER_LABELS[k]}" for k, n in counts.items() if n)


def render(digest: Digest, sender: str, as_of: date | None = None) -> EmailMessage:
    """The e-mail of ``digest`` from ``sender``: HTML and text parts, ``Date`` = the digest's moment."""
    as_of = digest.as_of or as_of or date.min
    # Digests built by hand (tests, older callers) may have no sections: one section of all rows.
    sections = digest.sections or (Section(digest.office, digest.office_name, digest.recipient_title, digest.rows),)
    counts = _counts_text(digest.reminder_counts())
    summary = [f"{n} {SUMMARY_LABELS.get(state, STATE_LABELS.get(state, state).lower())}"
               for state, n in digest.open_summary]
    open_total = sum(n for _, n in digest.open_summary)
    if digest.kind == "escalation":
        groups = _ppk_groups(sections)
        subject = (f"[Pantau] Eskalasi: {counts} - rekomendasi netralitas ASN belum ditindaklanjuti "
                   f"oleh {len(groups)} PPK")
        intro = (f"Per {tanggal(as_of)}, rekomendasi berikut telah melewati batas eskalasi tanpa keputusan "
                 "tindak lanjut dari Pejabat Pembina Kepegawaian (PPK), atau sudah ditindaklanjuti sejak pesan "
                 "terakhir. Rinciannya dikelompokkan per PPK dan instansi; daftar kandidat pemblokiran terlampir "
                 "sebagai CSV.")
        closing = ("Mohon pertimbangan langkah lanjutan: teguran kepada kepala daerah oleh Kementerian Dalam Negeri "
                   "atau pemblokiran data kepegawaian oleh BKN sesuai Peraturan BKN Nomor 1 Tahun 2023.")
    else:
        groups = [{"ppk_name": digest.recipient_title, "count": len(digest.rows),
                   "overdue_count": sum(s.overdue_count for s in sections), "sections": list(sections)}]
        subject = f"[Pantau] Tindak lanjut netralitas ASN: {counts} - {digest.office_name}"
        intro = (f"Per {tanggal(as_of)}, berikut rekomendasi pelanggaran netralitas ASN di instansi di bawah "
                 "Bapak/Ibu yang baru atau berubah tahap (baru), yang masih belum ditindaklanjuti dengan surat "
                 "keputusan (SK) yang tercatat di BKD sejak pesan terakhir (pengingat ulang), atau yang sudah "
                 f"ditindaklanjuti sejak pesan terakhir ({len(sections)} instansi, {len(digest.rows)} rekomendasi).")
        closing = "Mohon segera menetapkan tindak lanjut dan mencatatkannya di BKD."
    values = {"subject": subject, "recipient_title": digest.recipient_title, "intro": intro, "closing": closing,
              "groups": groups, "escalation": digest.kind == "escalation", "rows": digest.rows,
              "total": len(digest.rows), "as_of": tanggal(as_of), "summary": summary, "open_total": open_total,
              "links": digest.links, "institution": digest.sender.institution, "contact": digest.sender.contact,
              "legal_basis": LEGAL_BASIS, "reference": digest.message_id.strip("<>").split("@")[0].removeprefix("pantau-")[:16],
              "attachment": digest.attachment[0] if digest.attachment else None}
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((f"Pantau - {digest.sender.institution}", sender))
    message["To"] = ", ".join(digest.recipients)
    message["Date"] = format_datetime((digest.moment or datetime.combine(as_of, time(0, 0), WIB)).astimezone(WIB))
    # The ledger's Message-ID (deliver() sets the same): a retry of this message carries it again.
    message["Message-ID"] = digest.message_id
    message["X-Pantau-Office"] = digest.office
    message["Content-Language"] = "id"
    message.set_content(_text_env.get_template("digest.txt.j2").render(values))
    message.add_alternative(_env.get_template("digest.html.j2").render(values), subtype="html")
    if digest.attachment:
        filename, body = digest.attachment
        message.add_attachment(body, maintype="text", subtype="csv", filename=filename)
    return message
