"""Evidence beyond the name that decides between registry candidates, and the rules that weigh it.

A name alone is weak evidence once a block holds thousands of persons (a whole regional government,
"Pemerintah Kabupaten Agam"), so every candidate pair is scored as *name score + evidence*:

* **Name prefixes** (:mod:`pantau.normalize.names`, ``data/name_prefixes.json``) are compared as
  features, not characters: the same prefix on both sides is agreement, a prefix dropped on one side
  costs :data:`DROPPED` per feature ("Wayan Sudarsana" for "I Wayan Sudarsana"), a gender or
  birth-order disagreement ("I Wayan X" vs "Ni Wayan X", "Teuku" vs "Cut") is a contradiction.
* **Gender**: from a prefix or the record's NIP digit 15, against the candidate's NIP digit 15
  (1 male, 2 female, as the registry's ``jenis_kelamin``).
* **Partial NIP digits** that could not be used as a NIP (a NIP with two typos, a 17-digit NIP, an
  Excel-damaged prefix): the birth date (digits 1-8), appointment (9-14) and gender (15) they carry.
* **Position** (``jabatan``) against the registry's: a mild signal, +3 when it agrees, -2 when the
  two share nothing.
* **Non-ASN** respondents (``data/non_asn.json``: village heads, honorary staff, campaign teams; or a
  16-digit NIK where the NIP belongs): a name alone never links them.

:func:`thresholds` raises the bar as the block grows. Every pair keeps a short list of the evidence
used, which becomes the steward-readable explanation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from pantau.normalize.names import HOUSE_LETTERS, HOUSES, WEAK_HOUSES, PrefixArrays, prefix_arrays

__all__ = ["DROPPED", "PairEvidence", "QueryEvidence", "non_asn_reason", "score_pairs", "thresholds"]

#: Penalty per prefix feature (gender, birth order, lineage) written on one side only.
DROPPED = 3.0
#: A disagreement that says "another person": gender, birth order, birth date.
CONTRADICTION = 40.0
HOUSE_MISMATCH = 8.0
BIRTH_AGREES, BIRTH_NEAR, BIRTH_DIFFERS = 6.0, 1.0, 15.0
APPOINTMENT_AGREES, APPOINTMENT_DIFFERS = 3.0, 3.0
BIRTH_MONTH_AGREES, BIRTH_MONTH_DIFFERS = 2.0, 5.0
POSITION_AGREES, POSITION_DIFFERS = 3.0, 2.0
_DIGITS = re.compile(r"[^0-9]")


@dataclass(frozen=True)
class Bar:
    """What a block of a given size demands of its best candidate (scores are name + evidence)."""

    accept: float
    margin: float


def thresholds(block_size: np.ndarray, corroborated: np.ndarray, region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(accept, margin) per query: stricter as the block grows, unless NIP digits corroborate.

    Up to 1,000 persons (one agency, one unit) the long-standing rule holds: 90 with a 5-point
    margin (93 inside a region). A name alone in a block of thousands must be nearly exact and
    clearly unique: 95 / 8 up to 10,000 persons, 98 / 10 beyond (a whole province's government).
    A candidate whose birth date in the written NIP digits agrees is judged by the small-block rule
    whatever the block size: those digits narrow thousands to a handful.
    """
    size = np.asarray(block_size, dtype=np.int64)
    accept = np.where(size > 10_000, 98.0, np.where(size > 1_000, 95.0, 90.0))
    margin = np.where(size > 10_000, 10.0, np.where(size > 1_000, 8.0, 5.0))
    accept = np.where(region & (accept < 93.0), 93.0, accept)
    accept = np.where(corroborated, np.where(region, 93.0, 90.0), accept)
    margin = np.where(corroborated, 5.0, margin)
    return accept, margin


@lru_cache(maxsize=1)
def _non_asn_patterns() -> tuple[re.Pattern[str], re.Pattern[str], tuple[tuple[frozenset[str], re.Pattern[str]], ...]]:
    data = json.loads((Path(__file__).with_name("data") / "non_asn.json").read_text(encoding="utf-8"))
    regional = tuple((frozenset(r["regions"]), re.compile("|".join(r["positions"]))) for r in data.get("regional", []))
    return re.compile("|".join(data["positions"])), re.compile("|".join(data["agencies"])), regional


def non_asn_reason(jabatan: object, instansi: object, region: object = None) -> str | None:
    """Why the respondent is not a civil servant ("jabatan 'Kepala Desa'"), or None. ``region`` (a
    resolved region code) enables the regional terms (a DIY village's lurah)."""
    jabatan = jabatan if isinstance(jabatan, str) and jabatan.strip() else None
    instansi = instansi if isinstance(instansi, str) and instansi.strip() else None
    return (_position_reason(jabatan) or _agency_reason(instansi)
            or (_regional_reason(jabatan, region) if isinstance(region, str) else None))


def _folded(text: str) -> str:
    return " ".join(text.lower().replace(".", ". ").split())


@lru_cache(maxsize=100_000)
def _position_reason(jabatan: str | None) -> str | None:
    if jabatan and _non_asn_patterns()[0].search(_folded(jabatan)):
        return f"jabatan {jabatan.strip()!r} is not an ASN position"
    return None


@lru_cache(maxsize=100_000)
def _agency_reason(instansi: str | None) -> str | None:
    if instansi and _non_asn_patterns()[1].search(_folded(instansi)):
        return f"instansi {instansi.strip()!r} is not an ASN position"
    return None


@lru_cache(maxsize=100_000)
def _regional_reason(jabatan: str | None, region: str) -> str | None:
    for regions, pattern in _non_asn_patterns()[2]:
        if jabatan and region in regions and pattern.search(_folded(jabatan)):
            return f"jabatan {jabatan.strip()!r} is not an ASN position in region {region}"
    return None


@lru_cache(maxsize=100_000)
def _birth_ok_cached(digits: object) -> bool:
    return isinstance(digits, str) and len(digits) == 8 and digits.isdigit() and _birth_ok(digits)


def _birth_ok(digits: str) -> bool:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return 1940 <= born.year <= 2010


def _jabatan_key(text: object) -> str:
    if not isinstance(text, str):
        return ""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


@dataclass
class QueryEvidence:
    """Per query row: name core and prefix features, NIP digits that are not a NIP, position."""

    full: np.ndarray  # object: full name keys
    prefix: PrefixArrays
    birth8: np.ndarray  # int64 YYYYMMDD from the written digits, -1 unknown
    birth6: np.ndarray  # int64 YYYYMM (a 6-digit Excel mantissa), -1 unknown
    appointment: np.ndarray  # int64 YYYYMM (digits 9-14), -1 unknown
    nip_gender: np.ndarray  # int8 digit 15 of the written digits, 0 unknown
    jabatan: np.ndarray  # object: normalised position, "" unknown
    non_asn: np.ndarray  # object: reason or None

    @classmethod
    def build(cls, q: pd.DataFrame, excel_prefixes: np.ndarray) -> QueryEvidence:
        raw = q["nip_raw"] if "nip_raw" in q else pd.Series(None, index=q.index, dtype=object)
        raw = raw.astype(object).where(raw.notna(), None)
        written = raw.map(lambda v: _DIGITS.sub("", v) if isinstance(v, str) else "")
        prefixes = pd.Series(excel_prefixes, index=q.index, dtype=object)
        from_excel = prefixes.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        digits = written.where(~from_excel, prefixes).astype(str)
        length = digits.str.len().to_numpy()
        birth6 = np.where(from_excel & (length == 6), pd.to_numeric(digits.where(length == 6), errors="coerce")
                          .fillna(-1).to_numpy(), -1).astype(np.int64)
        # 16 digits is a NIK (national ID), not a NIP: its digits say nothing comparable.
        shaped = ~(from_excel & (length == 6)) & (length >= 8) & (length != 16) & (length <= 18)
        first8 = digits.str[:8]
        dated = first8.map(_birth_ok_cached).to_numpy(dtype=bool)
        usable = shaped & dated
        birth8 = np.where(usable, pd.to_numeric(first8.where(usable), errors="coerce").fillna(-1), -1).astype(np.int64)
        # Same layout as a NIP: later digits are comparable, unless 18 digits came back from a float
        # cell (a multiple of 32: the tail is float noise, see persons._float_read).
        tail = pd.to_numeric(digits.str[-5:].where(length == 18), errors="coerce").fillna(0).to_numpy()
        laid_out = usable & ((length == 15) | ((length == 18) & (tail % 32 != 0)))
        appointment = np.where(laid_out, pd.to_numeric(digits.str[8:14].where(laid_out), errors="coerce").fillna(-1),
                               -1).astype(np.int64)
        digit15 = digits.str[14:15]
        nip_gender = np.where(laid_out & digit15.isin(["1", "2"]).to_numpy(),
                              pd.to_numeric(digit15.where(laid_out), errors="coerce").fillna(0), 0).astype(np.int8)
        keys = q["name_key"].fillna("").astype(str)
        jabatan = q["jabatan"] if "jabatan" in q else pd.Series(None, index=q.index, dtype=object)
        instansi = q["instansi_raw"] if "instansi_raw" in q else pd.Series(None, index=q.index, dtype=object)
        regions = q["kode_wilayah"] if "kode_wilayah" in q else pd.Series(None, index=q.index, dtype=object)
        triples = list(zip(jabatan.astype(object).where(jabatan.notna(), None),
                           instansi.astype(object).where(instansi.notna(), None),
                           regions.astype(object).where(regions.notna(), None), strict=True))
        reason_of = {t: non_asn_reason(*t) for t in set(triples)}
        reasons = np.array([reason_of[t] for t in triples], dtype=object)
        # A 16-digit national ID (NIK) where the NIP belongs: the respondent had no NIP to give.
        nips = q["nip"] if "nip" in q else pd.Series(None, index=q.index, dtype=object)
        nik = (written.str.len().to_numpy() == 16) & nips.isna().to_numpy() & pd.isna(reasons)
        reasons[nik] = "a 16-digit NIK, not a NIP, in the NIP field"
        positions = jabatan.astype(object).where(jabatan.notna(), None)
        distinct = {v: _jabatan_key(v) for v in set(positions.to_numpy(dtype=object))}
        return cls(keys.to_numpy(dtype=object), prefix_arrays(keys), birth8, birth6, appointment, nip_gender,
                   positions.map(distinct).to_numpy(dtype=object), reasons)

    def take(self, rows: np.ndarray) -> QueryEvidence:
        return QueryEvidence(self.full[rows], self.prefix.take(rows), self.birth8[rows], self.birth6[rows],
                             self.appointment[rows], self.nip_gender[rows], self.jabatan[rows], self.non_asn[rows])


@dataclass
class PairEvidence:
    """Scores and flags per candidate pair."""

    name: np.ndarray  # name score after prefix comparison
    evidence: np.ndarray  # sum of evidence points
    contradiction: np.ndarray  # bool: something says "another person"
    corroborated: np.ndarray  # bool: the birth date in the written NIP digits agrees
    notes: np.ndarray  # object: ";"-joined short notes

    @property
    def total(self) -> np.ndarray:
        return self.name + self.evidence


_WEAK = np.array(sorted(WEAK_HOUSES), dtype=np.int16)
# Per house (index 0 = none), a bit per letter its prefixes may be abbreviated to.
_HOUSE_BITS = np.array([0] + [sum(1 << (ord(c) - 97) for c in HOUSE_LETTERS[i + 1] if "a" <= c <= "z")
                              for i in range(len(HOUSES))], dtype=np.int64)


def _letter_bit(initial: np.ndarray) -> np.ndarray:
    code = initial.astype(np.int64) - 97
    return np.where((code >= 0) & (code < 26), np.left_shift(1, np.clip(code, 0, 25)), 0)


def _digit_differences(a: np.ndarray, b: np.ndarray, width: int) -> np.ndarray:
    diff = np.zeros(len(a), np.int64)
    for k in range(width):
        diff += ((a // 10**k) % 10) != ((b // 10**k) % 10)
    return diff


def _prefix_compare(q: PrefixArrays, r: PrefixArrays, registry_gender: np.ndarray,
                    q_nip_gender: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[np.ndarray, str]]]:
    """(penalty on any name score, extra penalty on the prefix-stripped score, contradiction, notes)."""
    q_gender = np.where(q.gender > 0, q.gender, q_nip_gender)
    gender_conflict = (q_gender > 0) & (registry_gender > 0) & (q_gender != registry_gender)
    order_conflict = (q.order > 0) & (r.order > 0) & (q.order != r.order)
    # An initial ("T.") is compatible with a house whose prefixes start with that letter (Teuku).
    q_init_ok = (_HOUSE_BITS[r.house] & _letter_bit(q.initial)) != 0
    r_init_ok = (_HOUSE_BITS[q.house] & _letter_bit(r.initial)) != 0
    # An implied house (Balinese I/Ni: a commoner) only counts when it conflicts, not when absent.
    q_strong, r_strong = (q.house > 0) & ~np.isin(q.house, _WEAK), (r.house > 0) & ~np.isin(r.house, _WEAK)
    q_lineage = q_strong | (q.initial > 0)
    r_lineage = r_strong | (r.initial > 0)
    house_conflict = ((q.house > 0) & (r.house > 0) & (q.house != r.house)) | (
        (q.initial > 0) & (r.house > 0) & ~q_init_ok) | ((r.initial > 0) & (q.house > 0) & ~r_init_ok) | (
        (q.initial > 0) & (r.initial > 0) & (q.initial != r.initial))
    dropped = (((q.gender > 0) != (r.gender > 0)).astype(np.int64) + ((q.order > 0) != (r.order > 0))
               + (q_lineage != r_lineage))
    hard = gender_conflict | order_conflict
    penalty = hard * CONTRADICTION + house_conflict * HOUSE_MISMATCH
    notes = [(gender_conflict, "gender differs"), (order_conflict, "birth-order name differs"),
             (house_conflict, "name prefix differs"), (dropped > 0, "name prefix on one side only")]
    return penalty, dropped * DROPPED, hard, notes


def score_pairs(qe: QueryEvidence, qi: np.ndarray, r_full: list[str], r_core: list[str], r_prefix: PrefixArrays,
                r_nip: np.ndarray, r_jabatan: list[str] | None, core_scores: np.ndarray | None = None) -> PairEvidence:
    """Name + evidence for pairs (query ``qi[k]``, registry row ``k`` described by the ``r_*`` arrays).

    ``core_scores`` are the block comparison's scores of the prefix-stripped keys when already known.
    """
    n = len(qi)
    q_core = qe.prefix.core.take(qi).to_pylist() if n else []
    if core_scores is None:
        core_scores = np.full(n, np.nan)
    core_scores = np.asarray(core_scores, dtype=np.float64).copy()
    missing = np.flatnonzero(np.isnan(core_scores))
    if len(missing):
        core_scores[missing] = [fuzz.ratio(q_core[i], r_core[i]) for i in missing]
    qp = qe.prefix.take(qi)
    registry_gender = ((r_nip // 1000) % 10).astype(np.int8)
    registry_gender = np.where(np.isin(registry_gender, (1, 2)), registry_gender, 0)
    penalty, dropped, hard, notes = _prefix_compare(qp, r_prefix, registry_gender, qe.nip_gender[qi])
    # When the two sides wrote their prefixes differently, the names are also compared whole: "A.
    # Rahman" is closer to "Abdul Rahman" as written than once the initial is stripped, and "Agung
    # Oka" to "Anak Agung Oka". Prefixes written alike are already credited: only the cores count.
    differ = (dropped > 0) | (qp.initial > 0) | (r_prefix.initial > 0) | (qp.house != r_prefix.house)
    name = core_scores - dropped
    if differ.any():
        idx = np.flatnonzero(differ)
        q_full = qe.full[qi]
        whole = np.array([fuzz.ratio(q_full[i], r_full[i]) for i in idx], np.float64)
        name[idx] = np.maximum(name[idx], whole)
    name = name - penalty
    evidence = np.zeros(n)
    contradiction = hard.copy()
    corroborated = np.zeros(n, bool)
    born = (r_nip // 10**10).astype(np.int64)
    b8 = qe.birth8[qi]
    known = b8 >= 0
    birth_diff = np.where(known, _digit_differences(np.where(known, b8, 0), born, 8), 0)
    agree, near = known & (birth_diff == 0), known & (birth_diff == 1)
    differs = known & (birth_diff > 1)
    evidence += agree * BIRTH_AGREES + near * BIRTH_NEAR - differs * BIRTH_DIFFERS
    corroborated |= agree
    contradiction |= differs
    appt = qe.appointment[qi]
    a_known = appt >= 0
    a_agree = a_known & (appt == (r_nip // 10**4) % 10**6)
    evidence += a_agree * APPOINTMENT_AGREES - (a_known & ~a_agree) * APPOINTMENT_DIFFERS
    b6 = qe.birth6[qi]
    m_known = b6 >= 0
    m_agree = m_known & (b6 == r_nip // 10**12)
    evidence += m_agree * BIRTH_MONTH_AGREES - (m_known & ~m_agree) * BIRTH_MONTH_DIFFERS
    notes += [(agree, "birth date in NIP digits agrees"), (near, "birth date in NIP digits one digit off"),
              (differs, "birth date in NIP digits differs"), (a_agree, "appointment month agrees"),
              (m_agree, "birth month agrees")]
    if r_jabatan is not None:
        q_jab = qe.jabatan[qi]
        pos = np.array([_position_score(a, b) for a, b in zip(q_jab, r_jabatan, strict=True)], np.float64)
        # Positions are written loosely ("Kabid Disdik" for "Kepala Bidang ..."): only a clear
        # agreement or no word in common counts.
        p_agree, p_differs = pos >= 85, (pos >= 0) & (pos <= 30)
        evidence += p_agree * POSITION_AGREES - p_differs * POSITION_DIFFERS
        notes += [(p_agree, "position agrees"), (p_differs, "position differs")]
    text = np.full(n, "", dtype=object)
    for mask, label in notes:
        if mask.any():
            text[mask] = text[mask] + "; " + label
    return PairEvidence(name, evidence, contradiction, corroborated, text)


@lru_cache(maxsize=200_000)
def _position_score(a: str, b: str) -> float:
    """token_set_ratio of two normalised positions, -1 when either is unknown."""
    if not a or not b:
        return -1.0
    return float(fuzz.token_set_ratio(a, b))
