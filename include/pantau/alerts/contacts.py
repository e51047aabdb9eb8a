"""The alert-contacts directory: who receives each agency's digest, and who receives escalations.

Agencies keep this list in a spreadsheet, so it is read as CSV (``,``, ``;`` or tab; UTF-8 with or
without BOM, UTF-16 or Windows-1252) or as JSON, with the header spellings of
``contacts_columns.json``. Formats and columns are documented in README, "Alert-contacts directory".

Every row is checked on its own. A row is not used when one of its fields holds a control character
(a line break would end an SMTP header early) or a MIME encoded word (``=?utf-8?q?...?=``, which a mail
program decodes into other text, a line break included), or when it has no agency code or no usable
address. An e-mail field holds exactly one address: a field with two (``a@x.id, b@y.id``) or with an
invalid one is reported and receives nothing, because every address in it would receive the names and
NIPs of the digest; the row's other fields still receive. Each problem is one sentence naming the
file, the row, the agency, the field and what to do. Only a directory without a single usable agency
row stops the alert run.
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
#: Fields whose cells hold an address, exactly one each.
EMAIL_FIELDS = ("ppk_email", "bkd_email", "email")
#: The agency key of escalation rows in problems (the escalation digest's office in the alert run).
ESCALATION_AGENCY = "ESKALASI"
#: Header search: a title or note above the header is allowed in the first rows of a sheet.
HEADER_SEARCH_ROWS = 10
#: Sibling files read as escalation contacts: ``contacts.csv`` -> ``contacts_escalation.csv``.
ESCALATION_SUFFIXES = ("_escalation", "_eskalasi")
_QUOTED = re.compile(r'"[^"]*"')
_ADDRESS_TOKEN = re.compile(r"<([^<>]*)>|([^\s,;<>]+)")
_NAMED_ADDRESS = re.compile(r'(?:"[^"]*"|[^<>]*?)\s*<(?P<address>[^<>]*)>')
# RFC 2047: Python's email package (and every mail reader) decodes these in header values.
_ENCODED_WORD = re.compile(r"=\?.*?\?=", re.S)


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
    """One thing in the directory Pantau did not use as written; ``message`` is the whole sentence.

    ``rejected``: the whole row is not used. ``agency``: the row's ``kode_instansi`` (as written, may be
    empty), :data:`ESCALATION_AGENCY` for escalation rows, None for file-level problems. ``field``: the
    header of the cell at fault, if one is.
    """

    file: str
    row: str | None
    message: str
    rejected: bool
    agency: str | None = None
    field: str | None = None


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

    def problems_by_agency(self) -> dict[str, list[str]]:
        """Row problems grouped by the row's agency code (``""`` for rows without one)."""
        out: dict[str, list[str]] = {}
        for p in self.problems:
            if p.agency is not None:
                out.setdefault(p.agency, []).append(p.message)
        return out

    @property
    def agencies_rejected(self) -> list[str]:
        """Agency codes all of whose rows were rejected: these offices receive no digest this run."""
        codes = {p.agency for p in self.rejected_rows if p.agency and p.agency != ESCALATION_AGENCY}
        return sorted(codes - set(self.agencies))

    def summary(self) -> dict[str, Any]:
        """Figures and every problem sentence, for the alert run summary."""
        return {"sources": list(self.sources), "agencies": len(self.agencies),
                "escalation_contacts": len(self.escalation), "rows_rejected": len(self.rejected_rows),
                "fields_rejected": sum(1 for p in self.problems if p.field and not p.rejected),
                "agencies_rejected": self.agencies_rejected,
                "problems": [p.message for p in self.problems],
                "problems_by_agency": self.problems_by_agency()}


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
    if isinstance(value, list):  # a list of two addresses is two in one field, refused like a 'a; b' cell
        return ";".join(_json_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


# --- checking rows ---------------------------------------------------------------------------------

_ONE_PER_FIELD = ("write one address per field: the PPK's in ppk_email, the BKD's in bkd_email, and any further "
                  "recipient on a row of its own with the same kode_instansi")


def _shown(value: str) -> str:
    """A cell value as it may appear in a log line: quoted, control characters escaped."""
    return repr(value)


def _where(entry: _Entry) -> str:
    """``contacts.csv row 4 (agency '13.71.01')``: the file, the row and whose row it is."""
    if _kind(entry) == "escalation":
        name = entry.first("name", "nama_instansi", "ppk_jabatan")
        return f"{entry.file} {entry.label} (escalation contact{' ' + _shown(name) if name else ''})"
    code = entry.first("kode_instansi")
    return f"{entry.file} {entry.label} ({'agency ' + _shown(code) if code else 'no agency code'})"


def _agency(entry: _Entry) -> str:
    return ESCALATION_AGENCY if _kind(entry) == "escalation" else entry.first("kode_instansi")


def _unsafe_cell(entry: _Entry) -> tuple[str, str, str] | None:
    """(header, why, what to do) of the first field whose value could change an e-mail header, or None.

    Only cells of known fields are checked: an ignored notes column may hold a line break harmlessly.
    """
    for header, value, name in entry.cells:
        if name is None:
            continue
        bad = [c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp")]
        if bad:
            return header, (f"field {header!r} contains a line break or control character ({bad[0]!r} in "
                            f"{_shown(value)}), which could end an e-mail header and start another"), \
                "remove it (in Excel: edit the cell and delete the Alt+Enter line break) and re-run the alerts"
        if _ENCODED_WORD.search(value):
            return header, (f"field {header!r} holds a MIME encoded word ({_shown(value)}), which mail programs "
                            "decode into other text, a line break included"), "write the value as plain text"
    return None


def split_addresses(cell: str) -> list[str]:
    """Every address written in one cell, in order: ``a@x.id; b@y.id``, ``a@x.id, b@y.id``, ``a@x.id b@y.id``,
    ``Nama <a@x.id>, <b@y.id>``. A quoted display name is skipped (it may hold a comma), a word without
    ``@`` is no address. Used to find the cells that hold more than one address, which are refused."""
    found: list[str] = []
    for match in _ADDRESS_TOKEN.finditer(_QUOTED.sub(" ", cell)):
        angled, bare = match.groups()
        if angled is not None:
            if angled.strip():
                found.append(angled.strip())
        elif "@" in bare:
            found.append(bare)
    return found


def check_address(address: str) -> tuple[str | None, str | None]:
    """(the address as it goes on the wire, None) or (None, why it is not a usable RFC 5322 address).

    The wire form is ASCII: an internationalised domain is written in its IDNA form
    (``ppk@bücher.example`` -> ``ppk@xn--bcher-kva.example``), because a non-ASCII domain in a ``To``
    header is mangled into an encoded word that no server can route.
    """
    try:
        # SMTPUTF8 is not assumed of the agencies' mail servers; no DNS look-up at run time.
        result = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        return None, str(exc)
    return result.ascii_email or result.normalized, None


def address_of(cell: str) -> tuple[str | None, str | None]:
    """The one address an e-mail field holds (``a@x.id`` or ``Nama <a@x.id>``, the display name dropped),
    as :func:`check_address` returns it; or (None, why the field is not usable)."""
    written = split_addresses(cell)
    distinct = list(dict.fromkeys(a.casefold() for a in written))
    if len(distinct) > 1:
        return None, (f"{_shown(cell)} holds {len(distinct)} addresses, and every address in a field would receive "
                      "the names and NIPs of the digest")
    text = cell.strip()
    named = _NAMED_ADDRESS.fullmatch(text)
    candidate = named.group("address").strip() if named else text
    address, why = check_address(candidate)
    if address is None:
        return None, f"{_shown(candidate)} is not a valid e-mail address ({(why or '').rstrip('.')})"
    return address, None


def _addresses(entry: _Entry, problems: list[ContactProblem]) -> tuple[str, ...]:
    found: list[str] = []
    for name in EMAIL_FIELDS:
        for header, cell in entry.values(name):
            address, why = address_of(cell)
            if address is None:
                hint = _ONE_PER_FIELD if len(split_addresses(cell)) > 1 else "correct the address"
                problems.append(ContactProblem(entry.file, entry.label, f"{_where(entry)}, field {header!r}: {why}; "
                                               f"this field receives nothing until corrected: {hint}.", False,
                                               _agency(entry), header))
            elif address not in found:
                found.append(address)
    return tuple(found)


def _kind(entry: _Entry) -> str | None:
    declared = entry.first("jenis")
    if not declared:
        return entry.default_kind
    return _vocabulary()[1].get(_fold(declared))


def _reject(entry: _Entry, problem: str, hint: str, field: str | None = None) -> ContactProblem:
    return ContactProblem(entry.file, entry.label, f"{_where(entry)}: {problem}; the row is not used: {hint}.", True,
                          _agency(entry), field)


def _contact(entry: _Entry, problems: list[ContactProblem]) -> AgencyContact | EscalationContact | None:
    unsafe = _unsafe_cell(entry)
    if unsafe:
        header, why, hint = unsafe
        problems.append(_reject(entry, why, hint, header))
        return None
    kind = _kind(entry)
    if kind is None:
        problems.append(_reject(entry, f"type {entry.first('jenis')!r} is neither an agency row (empty, 'ppk') nor "
                                "an escalation row ('eskalasi')", "correct the type"))
        return None
    code = entry.first("kode_instansi")
    if kind == "agency" and not code:
        problems.append(_reject(entry, "it has no agency code (kode_instansi), so no overdue recommendation can "
                                "be routed to it", "fill in the registry's kode_instansi"))
        return None
    own: list[ContactProblem] = []
    recipients = _addresses(entry, own)
    problems.extend(own)
    if not recipients:
        problems.append(_reject(entry, "it has no valid e-mail address" + ("" if own else " (the e-mail cells are "
                                "empty)"), "correct its e-mail fields as said above" if own else
                                "fill in one address per e-mail field"))
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
                                       "agency's digest.", False, contact.kode_instansi))
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
