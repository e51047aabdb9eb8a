"""The alert-contacts directory: who receives each agency's digest, and who receives escalations.

Agencies keep this list in a spreadsheet, so it is read as CSV (``,``, ``;`` or tab; UTF-8 with or
without BOM, UTF-16 or Windows-1252) or as JSON, with the header spellings of
``contacts_columns.json``. Formats and columns are documented in README, "Alert-contacts directory".

Every row is checked on its own: a row with a control character (a line break would end an SMTP
header early), no agency code or no valid address is not used, and each such row is reported in one
sentence naming the file, the row and the problem. An invalid address in a cell that also holds valid
ones is reported and left out; the row keeps its valid addresses. Only a directory without a single
usable agency row stops the alert run.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email

from pantau.exceptions import ConfigError

log = logging.getLogger(__name__)

COLUMNS_FILE = Path(__file__).with_name("contacts_columns.json")
#: Fields whose cells hold addresses; a cell may hold several, separated by ``;``, ``,`` or spaces.
EMAIL_FIELDS = ("ppk_email", "bkd_email", "email")
#: Header search: a title or note above the header is allowed in the first rows of a sheet.
HEADER_SEARCH_ROWS = 10
#: Sibling files read as escalation contacts: ``contacts.csv`` -> ``contacts_escalation.csv``.
ESCALATION_SUFFIXES = ("_escalation", "_eskalasi")
_ADDRESS_SPLIT = re.compile(r"[;,\s]+")
_ANGLE_ADDRESS = re.compile(r"<([^<>]*)>")


def _fold(text: str) -> str:
    """The comparable form of a header or type value: 'E-mail PPK' and 'email_ppk' fold alike."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict[str, str], dict[str, str]]:
    raw = json.loads(COLUMNS_FILE.read_text(encoding="utf-8"))
    headers = {_fold(spelling): name for name, spellings in raw["columns"].items() for spelling in spellings}
    types = {_fold(value): kind for kind, values in raw["row_types"].items() for value in values}
    return headers, types


def column_for(header: str) -> str | None:
    """The directory field a header names (``'E-mail PPK'`` -> ``'ppk_email'``), or None if unknown."""
    return _vocabulary()[0].get(_fold(header))


@dataclass(frozen=True)
class AgencyContact:
    """One agency's PPK office: where its digest goes and how its PPK is addressed."""

    kode_instansi: str
    nama_instansi: str
    kode_wilayah: str | None
    ppk_jabatan: str
    recipients: tuple[str, ...]
    origin: str


@dataclass(frozen=True)
class EscalationContact:
    name: str
    recipients: tuple[str, ...]
    origin: str


@dataclass(frozen=True)
class ContactProblem:
    """One thing in the directory Pantau did not use as written; ``message`` is the whole sentence."""

    file: str
    row: str | None
    message: str
    rejected: bool


@dataclass
class ContactsDirectory:
    agencies: dict[str, AgencyContact]
    escalation: tuple[EscalationContact, ...]
    problems: list[ContactProblem] = field(default_factory=list)
    sources: tuple[str, ...] = ()

    @property
    def escalation_recipients(self) -> tuple[str, ...]:
        return tuple(sorted({a for contact in self.escalation for a in contact.recipients}))

    @property
    def rejected_rows(self) -> list[ContactProblem]:
        return [p for p in self.problems if p.rejected]

    def summary(self) -> dict[str, Any]:
        """Figures and every problem sentence, for the alert run summary."""
        return {"sources": list(self.sources), "agencies": len(self.agencies),
                "escalation_contacts": len(self.escalation), "rows_rejected": len(self.rejected_rows),
                "problems": [p.message for p in self.problems]}


@dataclass
class _Entry:
    """A row as read: its kind by position (``agency``/``escalation``) and its cells by field."""

    file: str
    label: str
    default_kind: str
    cells: list[tuple[str, str, str | None]]  # (header as written, value, field or None)

    def values(self, name: str) -> list[tuple[str, str]]:
        return [(header, value) for header, value, f in self.cells if f == name and value]

    def first(self, *names: str) -> str:
        for name in names:
            for _, value in self.values(name):
                return value
        return ""


# --- reading bytes -------------------------------------------------------------------------------

def _decode(name: str, data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise ConfigError(f"the alert-contacts directory {name} is a zip file (an Excel workbook?); save it as "
                          "CSV UTF-8 or JSON (README, 'Alert-contacts directory').")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:  # what Excel on Windows writes for "CSV (Comma delimited)"
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the alert-contacts directory {name} is neither UTF-8 nor Windows-1252 text "
                          f"({exc}); save it as CSV UTF-8.") from exc


def _is_json(name: str, text: str) -> bool:
    suffix = Path(name).suffix.lower()
    if suffix == ".json":
        return True
    if suffix in (".csv", ".txt", ".tsv"):
        return False
    return text.lstrip()[:1] in ("{", "[")


def _delimiter(text: str) -> str:
    # Counted on the first lines only: a header never quotes its delimiter, cells with addresses may.
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    counts = {d: head.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# --- CSV -------------------------------------------------------------------------------------------

def _csv_entries(name: str, text: str, default_kind: str) -> tuple[list[_Entry], list[ContactProblem]]:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    problems: list[ContactProblem] = []
    header_at = next((i for i, row in enumerate(rows[:HEADER_SEARCH_ROWS])
                      if sum(column_for(c) is not None for c in row) >= 2), None)
    if header_at is None:
        first = next((row for row in rows if any(c.strip() for c in row)), [])
        problems.append(ContactProblem(name, None, f"{name}: no header row with the contacts columns in the first "
                                       f"{HEADER_SEARCH_ROWS} rows (first row read: {first[:8]!r}); the file "
                                       "was not used (columns in README, 'Alert-contacts directory').", True))
        return [], problems
    header = [h.strip() for h in rows[header_at]]
    fields = [column_for(h) for h in header]
    problems += _header_problems(name, header, fields)
    for skipped in range(header_at):
        if any(c.strip() for c in rows[skipped]):
            problems.append(ContactProblem(name, f"row {skipped + 1}", f"{name} row {skipped + 1} lies above the "
                                           f"header and was not read: {rows[skipped][:4]!r}.", False))
    entries = []
    for index in range(header_at + 1, len(rows)):
        row = rows[index]
        if not any(c.strip() for c in row):
            continue  # blank rows are layout, not records
        label = f"row {index + 1}"  # as a spreadsheet numbers it, header and title rows counted
        cells = [(header[i] if i < len(header) else f"column {i + 1}", value.strip(),
                  fields[i] if i < len(fields) else None) for i, value in enumerate(row)]
        extra = [c for c in row[len(header):] if c.strip()]
        if extra:
            problems.append(ContactProblem(name, label, f"{name} {label} has {len(row)} cells but the header has "
                                           f"{len(header)}; the extra cells {extra!r} were ignored.", False))
        entries.append(_Entry(name, label, default_kind, cells))
    return entries, problems


def _header_problems(name: str, header: list[str], fields: list[str | None]) -> list[ContactProblem]:
    problems = []
    unknown = [h for h, f in zip(header, fields, strict=True) if f is None and h]
    if unknown:
        problems.append(ContactProblem(name, None, f"{name}: column(s) {unknown} are not contacts columns and were "
                                       "ignored; add the spelling to pantau/alerts/contacts_columns.json if they "
                                       "hold a field.", False))
    seen: dict[str, str] = {}
    for h, f in zip(header, fields, strict=True):
        if f is not None and f in seen and f not in EMAIL_FIELDS:
            problems.append(ContactProblem(name, None, f"{name}: columns {seen[f]!r} and {h!r} both mean {f}; "
                                           f"the first non-empty one is used on each row.", False))
        if f is not None:
            seen.setdefault(f, h)
    return problems


# --- JSON ------------------------------------------------------------------------------------------

_JSON_SECTIONS = {"agencies": "agency", "instansi": "agency", "kontak": "agency",
                  "escalation": "escalation", "eskalasi": "escalation"}


def _json_entries(name: str, text: str, default_kind: str) -> tuple[list[_Entry], list[ContactProblem]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"the alert-contacts directory {name} is not valid JSON ({exc}); fix the file or "
                          "provide it as CSV.") from exc
    sections: list[tuple[str, str, Any]] = []
    problems: list[ContactProblem] = []
    if isinstance(document, list):
        sections.append(("", default_kind, document))
    elif isinstance(document, dict):
        for key, value in document.items():
            kind = _JSON_SECTIONS.get(_fold(key))
            if kind is None or not isinstance(value, list):
                problems.append(ContactProblem(name, None, f"{name}: top-level key {key!r} is not a list of "
                                               "'agencies' or 'escalation' and was ignored.", False))
                continue
            sections.append((key, kind, value))
    else:
        raise ConfigError(f"the alert-contacts directory {name} holds a JSON {type(document).__name__}; expected "
                          "an object with 'agencies' and 'escalation' lists (README, 'Alert-contacts directory').")
    entries: list[_Entry] = []
    unknown: set[str] = set()
    for key, kind, items in sections:
        for i, item in enumerate(items):
            label = f"{key}[{i}]" if key else f"[{i}]"
            if not isinstance(item, dict):
                problems.append(ContactProblem(name, label, f"{name} {label} is a JSON {type(item).__name__}, not an "
                                               "object; the entry is not used.", True))
                continue
            cells = [(str(k), _json_text(v), column_for(str(k))) for k, v in item.items()]
            unknown.update(h for h, _, f in cells if f is None)
            entries.append(_Entry(name, label, kind, cells))
    if unknown:
        problems.append(ContactProblem(name, None, f"{name}: key(s) {sorted(unknown)} are not contacts fields and "
                                       "were ignored; add the spelling to pantau/alerts/contacts_columns.json if "
                                       "they hold a field.", False))
    return entries, problems


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # a list of addresses is several recipients, like a ';'-separated cell
        return ";".join(_json_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


# --- checking rows ---------------------------------------------------------------------------------

def _control_character(entry: _Entry) -> str | None:
    for header, value, _ in entry.cells:
        bad = [c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp")]
        if bad:
            return f"{entry.file} {entry.label}: field {header!r} contains a line break or control character " \
                   f"({bad[0]!r} in {value!r}); the row is not used, because such a value could break an e-mail header"
    return None


def split_addresses(cell: str) -> list[str]:
    """The addresses in one cell: ``a@x.id; b@y.id``, ``a@x.id, b@y.id``, ``a@x.id b@y.id`` or
    ``Nama <a@x.id>`` (the display name is dropped)."""
    angled = _ANGLE_ADDRESS.findall(cell)
    if angled:
        return [a.strip() for a in angled if a.strip()]
    return [a for a in _ADDRESS_SPLIT.split(cell) if a]


def check_address(address: str) -> tuple[str | None, str | None]:
    """(normalised address, None) or (None, why it is not a usable RFC 5322 address)."""
    try:
        # ASCII only: SMTPUTF8 is not assumed of the agencies' mail servers; no DNS look-up at run time.
        result = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        return None, str(exc)
    return result.normalized, None


def _addresses(entry: _Entry, problems: list[ContactProblem]) -> tuple[str, ...]:
    found: list[str] = []
    for name in EMAIL_FIELDS:
        for header, cell in entry.values(name):
            for address in split_addresses(cell):
                normalised, why = check_address(address)
                if normalised is None:
                    problems.append(ContactProblem(entry.file, entry.label, f"{entry.file} {entry.label}: {address!r} "
                                                   f"in {header!r} is not a valid e-mail address ({why.rstrip('.')}); "
                                                   "it receives nothing until corrected.", False))
                elif normalised not in found:
                    found.append(normalised)
    return tuple(found)


def _kind(entry: _Entry) -> str | None:
    declared = entry.first("jenis")
    if not declared:
        return entry.default_kind
    return _vocabulary()[1].get(_fold(declared))


def _reject(entry: _Entry, problem: str) -> ContactProblem:
    return ContactProblem(entry.file, entry.label, f"{entry.file} {entry.label}: {problem}; the row is not used.", True)


def _contact(entry: _Entry, problems: list[ContactProblem]) -> AgencyContact | EscalationContact | None:
    control = _control_character(entry)
    if control:
        problems.append(ContactProblem(entry.file, entry.label, control + ".", True))
        return None
    kind = _kind(entry)
    if kind is None:
        problems.append(_reject(entry, f"type {entry.first('jenis')!r} is neither an agency row (empty, 'ppk') nor "
                                "an escalation row ('eskalasi')"))
        return None
    code = entry.first("kode_instansi")
    if kind == "agency" and not code:
        problems.append(_reject(entry, "it has no agency code (kode_instansi), so no overdue recommendation can "
                                "be routed to it"))
        return None
    own: list[ContactProblem] = []
    recipients = _addresses(entry, own)
    problems.extend(own)
    if not recipients:
        problems.append(_reject(entry, "it has no valid e-mail address" + ("" if own else " (the e-mail cells are empty)")))
        return None
    origin = f"{entry.file} {entry.label}"
    if kind == "escalation":
        name = entry.first("name", "nama_instansi", "ppk_jabatan") or recipients[0]
        return EscalationContact(name, recipients, origin)
    name = entry.first("nama_instansi", "name") or code
    title = entry.first("ppk_jabatan") or f"Pejabat Pembina Kepegawaian {name}"
    return AgencyContact(code, name, entry.first("kode_wilayah") or None, title, recipients, origin)


def _merge(contacts: Iterable[tuple[_Entry, AgencyContact | EscalationContact]],
           problems: list[ContactProblem]) -> tuple[dict[str, AgencyContact], tuple[EscalationContact, ...]]:
    agencies: dict[str, AgencyContact] = {}
    escalation: list[EscalationContact] = []
    for entry, contact in contacts:
        if isinstance(contact, EscalationContact):
            escalation.append(contact)
            continue
        earlier = agencies.get(contact.kode_instansi)
        if earlier is None:
            agencies[contact.kode_instansi] = contact
            continue
        # Two rows for one agency (a PPK and a BKD row, say): both receive the digest.
        merged = tuple(dict.fromkeys(earlier.recipients + contact.recipients))
        agencies[contact.kode_instansi] = replace(earlier, recipients=merged)
        problems.append(ContactProblem(entry.file, entry.label, f"{contact.origin} repeats agency "
                                       f"{contact.kode_instansi} of {earlier.origin}; its addresses are added to that "
                                       "agency's digest.", False))
    return agencies, tuple(escalation)


def _entries(name: str, data: bytes, default_kind: str) -> tuple[list[_Entry], list[ContactProblem]]:
    text = _decode(name, data)
    if _is_json(name, text):
        return _json_entries(name, text, default_kind)
    return _csv_entries(name, text, default_kind)


def read_directory(name: str, data: bytes, escalation_files: Mapping[str, bytes] | None = None) -> ContactsDirectory:
    """Parse the directory ``name`` (and sibling escalation files) into contacts and problems.

    Every problem is logged as a WARNING line and kept in ``problems``; rows with problems that make
    them unusable are not used, the others are.

    Raises:
        ConfigError: the file cannot be read at all, or no row gives a usable agency contact.
    """
    entries, problems = _entries(name, data, "agency")
    for extra_name, extra_data in (escalation_files or {}).items():
        more, more_problems = _entries(extra_name, extra_data, "escalation")
        entries += more
        problems += more_problems
    contacts = [(e, c) for e, c in ((e, _contact(e, problems)) for e in entries) if c is not None]
    agencies, escalation = _merge(contacts, problems)
    for problem in problems:
        log.warning("alert contacts: %s", problem.message)
    sources = (name, *(escalation_files or {}))
    if not agencies:
        rejected = [p.message for p in problems if p.rejected]
        detail = f"{len(rejected)} row(s) rejected, first: {rejected[0]}" if rejected else \
            "it holds no agency rows"
        raise ConfigError(f"the alert-contacts directory {name} has no usable agency contact ({detail}); fix it "
                          "(columns kode_instansi, nama_instansi, ppk_jabatan, ppk_email, bkd_email; README, "
                          "'Alert-contacts directory') and re-run the alerts.")
    if not escalation:
        log.warning("alert contacts: %s names no escalation contact; escalated recommendations reach only their "
                    "PPK offices", name)
    return ContactsDirectory(agencies, escalation, problems, sources)


def directory_from_mapping(document: Mapping[str, Any], name: str = "contacts.json") -> ContactsDirectory:
    """A directory from an already parsed JSON document (``{"agencies": [...], "escalation": [...]}``)."""
    return read_directory(name, json.dumps(document, ensure_ascii=False).encode("utf-8"))
