"""The noise switches of the simulators and the small functions that apply them.

One registry (``NOISE_SWITCHES``) names every kind of dirt the simulated sources carry, with a
realistic default rate. The ``generate`` CLI turns each into ``--noise-<name> RATE`` and
``--no-noise`` turns all off; the HTTP servers read the ``source="http"`` ones (``HTTP_FAULTS``)
from the same registry (and from a world's manifest.json, which records the rates used).
Rates are per record unless the description says per file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np


@dataclass(frozen=True)
class NoiseSwitch:
    name: str
    default: float
    source: str  # "bawaslu", "exports", "bkd", "http" or a comma-joined combination
    description: str


NOISE_SWITCHES: tuple[NoiseSwitch, ...] = (
    # --- identifiers (Bawaslu terlapor.nip and the NIP column of recommendation files)
    NoiseSwitch("nip_spaced", 0.15, "bawaslu,exports", "NIP written in its four groups: 19680411 199303 1 009"),
    NoiseSwitch("nip_dotted", 0.03, "bawaslu,exports", "NIP groups separated by dots: 19680411.199303.1.009"),
    NoiseSwitch("nip_typo", 0.02, "bawaslu,exports", "one digit of the NIP replaced by another (may still look valid)"),
    NoiseSwitch("nip_transposed", 0.01, "bawaslu,exports", "two adjacent NIP digits swapped"),
    NoiseSwitch("nip_missing", 0.08, "bawaslu,exports", "NIP left empty (Bawaslu often does not know it)"),
    NoiseSwitch("nip_excel_sci", 0.03, "exports", "NIP went through Excel: 1.98004E+17 (a float cell in xlsx)"),
    NoiseSwitch("nip_excel_float", 0.02, "exports", "NIP float-rounded to 15 significant digits: 198004112005011000"),
    NoiseSwitch("nip_excel_dot0", 0.02, "exports", "NIP with a trailing .0: 198004112005011009.0"),
    # --- names and agencies
    NoiseSwitch("title_variant", 0.15, "bawaslu,exports", "titles added (H./Hj.), dropped or reformatted (S.Pd / SPd / S. Pd.)"),
    NoiseSwitch("spelling_variant", 0.05, "bawaslu,exports", "old spellings (oe/u, dj/j, tj/c, sj/sy, ch/kh) and Muhammad/Mohammad/Muhamad/M."),
    NoiseSwitch("name_uppercase", 0.05, "bawaslu,exports", "name written in capitals"),
    NoiseSwitch("instansi_variant", 0.6, "bawaslu,exports", "agency as free text with abbreviations (Disdik Kab. Agam, Pemkot Padang)"),
    # --- spreadsheet quirks (per file)
    NoiseSwitch("header_variant", 0.3, "exports", "per file: header spelling variants (N I P, Nip., Tgl Rekomendasi, ...)"),
    NoiseSwitch("title_rows", 0.5, "exports", "per file: one to three title rows above the header"),
    NoiseSwitch("merged_cells", 0.3, "exports", "per xlsx file: title rows merged across the columns (implies title rows)"),
    NoiseSwitch("total_row", 0.3, "exports", "per file: a trailing 'Jumlah' total row"),
    NoiseSwitch("date_indonesian", 0.2, "exports", "per file: dates as 14 Maret 2024"),
    NoiseSwitch("date_dmy", 0.2, "exports", "per file: dates as 14/03/2024"),
    NoiseSwitch("date_excel_serial", 0.1, "exports", "per file: dates as Excel serial numbers (45365)"),
    NoiseSwitch("csv_semicolon_bom", 0.4, "exports", "per CSV file: ';' separator and a UTF-8 BOM"),
    NoiseSwitch("csv_cp1252", 0.2, "exports", "per CSV file: Windows-1252 text instead of UTF-8"),
    NoiseSwitch("republish_corrected", 0.15, "exports", "per phase-1 file: re-published in phase 2 with corrections (new sha256)"),
    NoiseSwitch("export_malformed_row", 0.005, "exports", "row that cannot be used: no name and no NIP, or an impossible date"),
    # --- Bawaslu API records
    NoiseSwitch("record_update", 0.05, "bawaslu", "record edited between phase 1 and 2 (newer updated_at)"),
    NoiseSwitch("bawaslu_malformed", 0.01, "bawaslu", "missing keys, wrong types (nip as number), impossible dates, empty nama"),
    NoiseSwitch("extra_field", 0.02, "bawaslu", "unknown extra fields in a record (must be tolerated)"),
    # --- BKD follow-ups
    NoiseSwitch("followup_lighter", 0.08, "bkd", "follow-up decree imposes a lighter sanction than recommended"),
    NoiseSwitch("followup_no_rec_number", 0.05, "bkd", "follow-up without the recommendation number"),
    NoiseSwitch("followup_malformed", 0.005, "bkd", "follow-up row without nomor_sk/tanggal_sk"),
    # --- runtime HTTP faults: applied by the servers, listed here so one registry documents all
    NoiseSwitch("rate_429", 0.02, "http", "429 Too Many Requests with Retry-After"),
    NoiseSwitch("rate_5xx", 0.02, "http", "500/502/503 answers"),
    NoiseSwitch("rate_timeout", 0.01, "http", "answer delayed past the client timeout"),
    NoiseSwitch("rate_invalid_json", 0.01, "http", "body that is not valid JSON"),
    NoiseSwitch("rate_page_drift", 0.02, "http", "a page starts one record early or late (data changed while paging)"),
)

NOISE_BY_NAME = {s.name: s for s in NOISE_SWITCHES}
HTTP_FAULTS: tuple[str, ...] = tuple(s.name for s in NOISE_SWITCHES if s.source == "http")

# Malformed-record reasons (truth ``reject_reason``): short, stable, documented in SIMULATOR.md.
REJECT_REASONS = ("missing_field", "wrong_type", "impossible_date", "empty_name")


def default_rates(source: str | None = None) -> dict[str, float]:
    """Default rates, optionally only the switches that concern ``source``."""
    return {s.name: s.default for s in NOISE_SWITCHES if source is None or source in s.source.split(",")}


@dataclass(frozen=True)
class NoiseConfig:
    rates: Mapping[str, float] = field(default_factory=default_rates)

    @classmethod
    def off(cls) -> NoiseConfig:
        return cls({name: 0.0 for name in NOISE_BY_NAME})

    @classmethod
    def only(cls, **rates: float) -> NoiseConfig:
        """All switches off except the given ones (handy in tests)."""
        base = {name: 0.0 for name in NOISE_BY_NAME}
        unknown = set(rates) - set(base)
        if unknown:
            raise ValueError(f"unknown noise switches: {sorted(unknown)}")
        return cls({**base, **rates})

    def rate(self, name: str) -> float:
        if name not in NOISE_BY_NAME:
            raise KeyError(name)
        return float(self.rates.get(name, NOISE_BY_NAME[name].default))

    def hit(self, rng: np.random.Generator, name: str) -> bool:
        """One Bernoulli draw. Always consumes one random number so that switching one
        rate does not shift every later draw (keeps worlds comparable across settings)."""
        return bool(rng.random() < self.rate(name))

    def as_dict(self) -> dict[str, float]:
        return {name: self.rate(name) for name in NOISE_BY_NAME}


def join_noise(names: Iterable[str]) -> str | None:
    joined = ";".join(n for n in names if n)
    return joined or None


# --------------------------------------------------------------------------- NIP noise


def nip_spaced(nip: str) -> str:
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


def nip_dotted(nip: str) -> str:
    return f"{nip[:8]}.{nip[8:14]}.{nip[14]}.{nip[15:]}"


def nip_typo(nip: str, rng: np.random.Generator) -> str:
    i = int(rng.integers(0, 18))
    d = (int(nip[i]) + int(rng.integers(1, 10))) % 10
    return nip[:i] + str(d) + nip[i + 1:]


def nip_transposed(nip: str, rng: np.random.Generator) -> str:
    # Only positions whose neighbours differ: swapping equal digits would be no typo at all.
    spots = [i for i in range(17) if nip[i] != nip[i + 1]]
    i = spots[int(rng.integers(0, len(spots)))]
    return nip[:i] + nip[i + 1] + nip[i] + nip[i + 2:]


def nip_excel_sci(nip: str) -> str:
    """What Excel shows for an 18-digit number in a General cell: ``1.98004E+17``."""
    mant, exp = f"{float(nip):.5E}".split("E")
    mant = mant.rstrip("0").rstrip(".")
    return f"{mant}E+{int(exp)}"


def nip_excel_float(nip: str) -> str:
    """The number after Excel kept 15 significant digits: ``198004112005011000``."""
    return format(Decimal(f"{float(nip):.15g}"), "f")


def nip_excel_dot0(nip: str) -> str:
    return nip + ".0"


# --------------------------------------------------------------------------- title noise

_BACK_REFORMAT = (
    (r"\.(?=,|$)", ""),  # S.Pd. -> S.Pd
    (r"\.", ""),  # S.Pd. -> SPd
    (r"\.(?=[A-Z])", ". "),  # S.Pd. -> S. Pd.
)


def title_variant(depan: str, belakang: str, gender: int, rng: np.random.Generator) -> tuple[str, str, str]:
    """Titles as somebody else writes them. Returns (depan, belakang, kind) where kind names the change."""
    choices = ["drop_all", "drop_back", "reformat", "add_haji"]
    kind = choices[int(rng.integers(0, len(choices)))]
    if kind == "drop_all" and (depan or belakang):
        return "", "", kind
    if kind == "drop_back" and belakang:
        return depan, "", kind
    if kind == "reformat" and (belakang or depan):
        pattern, repl = _BACK_REFORMAT[int(rng.integers(0, len(_BACK_REFORMAT)))]
        return re.sub(r"\.$", "", depan), re.sub(pattern, repl, belakang), kind
    haji = "H." if gender == 1 else "Hj."
    if haji not in depan.split():
        return f"{depan} {haji}".strip(), belakang, "add_haji"
    return "", belakang, "drop_front"
