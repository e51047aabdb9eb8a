"""Canonical agency names and region codes.

Agencies arrive as free text typed by different offices: ``Dinas Pendidikan Kab. Agam``,
``Disdik Kab Agam``, ``Pemkab Agam``. :func:`normalize_agency` expands the usual abbreviations
into one spelling; :func:`agency_key` turns that into a comparison key. Resolving the text to an
agency code is the matcher's job (against the registry), not this module's.

Region codes follow Kemendagri (``13`` province, ``13.71`` regency/city, ``13.71.01`` district);
BPS writes the same levels without dots (``1371``).
"""

from __future__ import annotations

import math
import re

__all__ = ["PROVINCE_CODES", "agency_key", "normalize_agency", "normalize_region_code"]

# Abbreviation -> expansion, matched as whole words, case-insensitive, optional trailing dot.
# Longer keys first so "Disdikbud" is not read as "Disdik" + "bud".
_ABBREVIATIONS: dict[str, str] = {
    "pemkab": "Pemerintah Kabupaten",
    "pemkot": "Pemerintah Kota",
    "pemprov": "Pemerintah Provinsi",
    "pemda": "Pemerintah Daerah",
    "kab": "Kabupaten",
    "prov": "Provinsi",
    "propinsi": "Provinsi",
    "kec": "Kecamatan",
    "kel": "Kelurahan",
    "disdikbud": "Dinas Pendidikan dan Kebudayaan",
    "disdik": "Dinas Pendidikan",
    "dinkes": "Dinas Kesehatan",
    "dinsos": "Dinas Sosial",
    "dishub": "Dinas Perhubungan",
    "disdukcapil": "Dinas Kependudukan dan Pencatatan Sipil",
    "setda": "Sekretariat Daerah",
    "setwan": "Sekretariat DPRD",
    "sekwan": "Sekretariat DPRD",
    "rsud": "Rumah Sakit Umum Daerah",
    "bpkad": "Badan Pengelolaan Keuangan dan Aset Daerah",
    "bappeda": "Badan Perencanaan Pembangunan Daerah",
    "bkpsdm": "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
    "pupr": "Pekerjaan Umum dan Penataan Ruang",
    "satpol pp": "Satuan Polisi Pamong Praja",
    "kemenag": "Kementerian Agama",
}
_ABBREVIATION_RE = re.compile(
    r"\b("
    + "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(_ABBREVIATIONS, key=len, reverse=True))
    + r")\b\.?",
    re.IGNORECASE,
)
# Words kept in capitals when re-casing (acronyms that stay acronyms in official names).
_ACRONYMS = frozenset(
    "DPRD UPT UPTD SD SDN SMP SMPN SMA SMAN SMK SMKN MI MTS MAN RS RSU BKN BKD KPU ASN PNS PPPK TK RI "
    "BLUD KUA I II III IV V VI VII VIII IX X".split()
)
_KEY_STRIP = re.compile(r"[^a-z0-9]+")
_CONNECTORS = frozenset({"dan", "di", "atas", "serta"})

# Kemendagri province codes (38 provinces since the 2022 Papua split).
PROVINCE_CODES: frozenset[str] = frozenset(
    "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 51 52 53 61 62 63 64 65 "
    "71 72 73 74 75 76 81 82 91 92 93 94 95 96".split()
)


def _recase(word: str) -> str:
    if word.upper() in _ACRONYMS:
        return word.upper()
    if word.lower() in _CONNECTORS:
        return word.lower()
    # Keep parenthesised or hyphenated parts readable: "(Persero)", "Tanah-Datar".
    return re.sub(r"[A-Za-z]+", lambda m: m[0].capitalize(), word)


def normalize_agency(text: object) -> str:
    """Return the canonical spelling of an agency name; ``""`` for empty input.

    Expands abbreviations (``Kab.`` → ``Kabupaten``, ``Pemkot X`` → ``Pemerintah Kota X``,
    ``Disdik`` → ``Dinas Pendidikan`` …), normalises case (title case, acronyms kept, ``dan``
    lower) and whitespace. ``Kota`` is left as is: it is already the full word.
    """
    words = _expanded(text).split(" ")
    return " ".join(_recase(w) for w in words if w)


def _expanded(text: object) -> str:
    """The text with abbreviations expanded and whitespace collapsed, case untouched."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    value = re.sub(r"\s+", " ", str(text)).strip(" ,;")
    value = _ABBREVIATION_RE.sub(
        lambda m: " " + _ABBREVIATIONS[re.sub(r"\s+", " ", m[1].lower())] + " ", value
    )
    # "Kab.Agam": the dot glued the next word on; expansions add spaces, collapse them again.
    return re.sub(r"\s+", " ", value).strip()


def agency_key(text: object) -> str:
    """A comparison key: the canonical name, lowercase, punctuation removed, single spaces.

    Equal to ``normalize_agency(text)`` lower-cased and stripped of punctuation; re-casing is skipped
    because the key is lower case anyway (the reconcile stage calls this tens of thousands of times).
    """
    return _KEY_STRIP.sub(" ", _expanded(text).lower()).strip()


def _valid_parts(parts: list[str]) -> bool:
    if parts[0] not in PROVINCE_CODES:
        return False
    return all(p != "00" for p in parts[1:])


def normalize_region_code(code: object) -> str | None:
    """Return a Kemendagri dotted region code (``13``, ``13.71``, ``13.71.01``) or ``None``.

    Accepts the dotted form, the BPS undotted form (``1371``) and numbers. A float such as
    ``13.1`` is read as ``13.10``: a spreadsheet dropped the trailing zero of ``13.10``.
    The province must exist; lower levels only have to be non-zero two-digit numbers.
    """
    if code is None or isinstance(code, bool):
        return None
    if isinstance(code, float):
        if math.isnan(code):
            return None
        text = f"{code:.2f}" if code != int(code) else str(int(code))
    else:
        text = str(code).strip()
    text = text.replace(" ", "")
    if re.fullmatch(r"[0-9]{2}\.[0-9]", text):
        text += "0"
    if re.fullmatch(r"[0-9]{2}(?:\.[0-9]{2}){0,2}", text):
        parts = text.split(".")
    elif re.fullmatch(r"[0-9]{2}|[0-9]{4}|[0-9]{6}", text):
        parts = [text[i : i + 2] for i in range(0, len(text), 2)]
    else:
        return None
    return ".".join(parts) if _valid_parts(parts) else None
