"""Parse and check NIPs (*Nomor Induk Pegawai*), the 18-digit civil-servant number.

Layout (docs/DOMAIN.md §3): birth date ``YYYYMMDD`` (digits 1-8), appointment ``YYYYMM`` (9-14),
gender ``1``/``2`` (15), sequence ``001``-``999`` (16-18). For PPPK (contract ASN) digits 13-14
are an intake code (``21``-``25``) instead of a month. There is no check digit, so these checks
only say "could be a NIP"; the registry lookup decides whether it *is* one.

Excel damage is the other concern: a NIP that went through a spreadsheet as a number comes back as
``1.98004E+17``, with a trailing ``.0``, or as 18 digits ending in ``000`` (Excel keeps 15
significant digits). Such digits must never be trusted, so they are flagged, not repaired.
NIPs are never converted to float here: float64 holds only ~15-16 significant digits.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["NipResult", "nip_repair_candidates", "normalize_nip_series", "parse_nip"]

JenisHint = Literal["PNS", "PPPK"]

NIP_LENGTH = 18
BIRTH_YEAR_MIN = 1940
BIRTH_YEAR_MAX = 2010
# A civil servant is appointed at 18 at the earliest; 17 full years leaves room for
# appointments in the month of the 18th birthday year without rejecting real NIPs.
MIN_AGE_AT_APPOINTMENT = 17
# PPPK (Pegawai Pemerintah dengan Perjanjian Kerja) started with the 2019 intake.
PPPK_FIRST_YEAR = 2019
PPPK_CODES = range(21, 26)
# Appointment years later than next year are typos; computed once per process, which is
# fine for a scheduler that restarts far more often than once a year.
MAX_APPOINTMENT_YEAR = date.today().year + 1

# [0-9], not \d: Python's \d also matches Arabic-Indic and other Unicode digits.
_DIGITS18 = re.compile(r"[0-9]{18}")
# Grouped forms people type: "19680411 199303 1 009", "19680411.199303.1.009", hyphens.
_GROUPED = re.compile(r"([0-9]{8})[ .\-]+([0-9]{6})[ .\-]+([0-9])[ .\-]+([0-9]{3})")
_SEPARATORS = re.compile(r"[\s.\-]+")
_SCIENTIFIC = re.compile(r"[0-9](?:[.,][0-9]*)?[eE][+]?[0-9]+")
_TRAILING_ZERO_DECIMAL = re.compile(r"[0-9]+[.,]0+")
# Labels and the Excel "force text" apostrophe that sometimes stay stuck to the value.
_PREFIX = re.compile(r"^(?:nip\s*[.:]?\s*|')", re.IGNORECASE)


@dataclass(frozen=True)
class NipResult:
    """The outcome of :func:`parse_nip`.

    ``nip`` is the 18-digit string only when every structure check passed. ``birth_date``,
    ``gender`` and ``jenis_hint`` are filled for the parts that passed their check, even when a
    later part failed, because they still help name-based matching.
    """

    raw: str | None
    nip: str | None
    valid: bool
    reason: str | None
    excel_damaged: bool
    jenis_hint: JenisHint | None
    birth_date: date | None
    gender: int | None


def _is_missing(raw: object) -> bool:
    if raw is None or raw is pd.NA or raw is pd.NaT:
        return True
    if isinstance(raw, float | np.floating):
        return math.isnan(raw)
    return isinstance(raw, str) and not raw.strip()


def _result(raw: str | None, reason: str, *, damaged: bool = False, **parts: object) -> NipResult:
    return NipResult(
        raw=raw,
        nip=None,
        valid=False,
        reason=reason,
        excel_damaged=damaged,
        jenis_hint=parts.get("jenis_hint"),  # type: ignore[arg-type]
        birth_date=parts.get("birth_date"),  # type: ignore[arg-type]
        gender=parts.get("gender"),  # type: ignore[arg-type]
    )


def _birth_date(digits: str) -> date | None:
    year, month, day = int(digits[0:4]), int(digits[4:6]), int(digits[6:8])
    if not BIRTH_YEAR_MIN <= year <= BIRTH_YEAR_MAX:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _appointment_jenis(digits: str, born: date) -> JenisHint | None:
    year, code = int(digits[8:12]), int(digits[12:14])
    if year > MAX_APPOINTMENT_YEAR:
        return None
    if 1 <= code <= 12:
        if (year, code) < (born.year + MIN_AGE_AT_APPOINTMENT, born.month):
            return None
        return "PNS"
    if code in PPPK_CODES and year >= max(PPPK_FIRST_YEAR, born.year + MIN_AGE_AT_APPOINTMENT):
        return "PPPK"
    return None


def _check_structure(raw: str | None, digits: str, *, bare: bool) -> NipResult:
    """Check 18 digits. ``bare`` is True when the value arrived as one run of digits (or an int).

    A ``000`` sequence in a bare value is the signature of Excel's 15-digit rounding; in a
    grouped value typed by a person (``... 1 000``) it is an ordinary invalid sequence.
    """
    if bare and digits.endswith("000"):
        return _result(raw, "nip_excel_damaged", damaged=True)
    born = _birth_date(digits)
    if born is None:
        return _result(raw, "nip_bad_birth_date")
    jenis = _appointment_jenis(digits, born)
    if jenis is None:
        return _result(raw, "nip_bad_appointment", birth_date=born)
    gender = int(digits[14])
    if gender not in (1, 2):
        return _result(raw, "nip_bad_gender", birth_date=born, jenis_hint=jenis)
    if digits[15:] == "000":
        return _result(raw, "nip_bad_sequence", birth_date=born, jenis_hint=jenis, gender=gender)
    return NipResult(
        raw=raw,
        nip=digits,
        valid=True,
        reason=None,
        excel_damaged=False,
        jenis_hint=jenis,
        birth_date=born,
        gender=gender,
    )


def parse_nip(raw: object) -> NipResult:
    """Parse one NIP as received from any source; never raises.

    Accepts text (bare, spaced, dotted or hyphenated groups, with a stray ``NIP:`` label or
    Excel apostrophe), ints, and floats. Any float is Excel damage by definition: a float64
    cannot hold 18 significant digits.
    """
    if _is_missing(raw):
        return _result(raw if isinstance(raw, str) else None, "nip_missing")
    if isinstance(raw, bool):
        return _result(str(raw), "nip_bad_length")
    if isinstance(raw, float | np.floating):
        return _result(repr(float(raw)), "nip_excel_damaged", damaged=True)
    if isinstance(raw, int | np.integer):
        text = str(int(raw))
        if len(text) != NIP_LENGTH:
            return _result(text, "nip_bad_length")
        return _check_structure(text, text, bare=True)

    text = str(raw)
    value = _PREFIX.sub("", text.strip()).strip()
    if _DIGITS18.fullmatch(value):
        return _check_structure(text, value, bare=True)
    if _SCIENTIFIC.fullmatch(value) or _TRAILING_ZERO_DECIMAL.fullmatch(value):
        return _result(text, "nip_excel_damaged", damaged=True)
    grouped = _GROUPED.fullmatch(value)
    if grouped:
        return _check_structure(text, "".join(grouped.groups()), bare=False)
    # Other separator patterns ("196804 11199303 1009"): accept the digits only when all 18 are there.
    digits = _SEPARATORS.sub("", value)
    if _DIGITS18.fullmatch(digits):
        return _check_structure(text, digits, bare=False)
    return _result(text, "nip_bad_length")


def nip_repair_candidates(nip: str) -> list[str]:
    """Return structurally valid NIPs one typo away from ``nip``, sorted.

    Typos considered: one digit substituted, or two adjacent digits swapped. Because the NIP has
    no check digit, candidates are only suggestions: the caller keeps those found in the registry.
    Input that does not reduce to 18 digits yields no candidates.
    """
    digits = _SEPARATORS.sub("", _PREFIX.sub("", str(nip).strip()))
    if not _DIGITS18.fullmatch(digits):
        return []
    variants: set[str] = set()
    for i in range(NIP_LENGTH):
        for d in "0123456789":
            if d != digits[i]:
                variants.add(digits[:i] + d + digits[i + 1 :])
    for i in range(NIP_LENGTH - 1):
        if digits[i] != digits[i + 1]:
            variants.add(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])
    # bare=False: a candidate is a hypothesis about what the person meant, not spreadsheet output.
    return sorted(v for v in variants if _check_structure(v, v, bare=False).valid)


# --------------------------------------------------------------------------------------------
# Vectorised path
# --------------------------------------------------------------------------------------------

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int16)
_VEC_BARE = r"^[0-9]{18}$"
_VEC_GROUPED = r"^[0-9]{8}[ .\-]+[0-9]{6}[ .\-]+[0-9][ .\-]+[0-9]{3}$"


def _number(d: np.ndarray, start: int, stop: int) -> np.ndarray:
    out = np.zeros(d.shape[0], dtype=np.int32)
    for col in range(start, stop):
        out = out * 10 + d[:, col]
    return out


def _vector_reasons(d: np.ndarray, bare: np.ndarray) -> np.ndarray:
    """Reason code per row (``None`` when valid) for an ``(n, 18)`` digit matrix.

    Mirrors :func:`_check_structure`; the equivalence is tested on mixed samples.
    """
    by, bm, bd = _number(d, 0, 4), _number(d, 4, 6), _number(d, 6, 8)
    ay, am = _number(d, 8, 12), _number(d, 12, 14)
    gender, seq = d[:, 14], _number(d, 15, 18)

    leap = (by % 4 == 0) & ((by % 100 != 0) | (by % 400 == 0))
    month_ok = (bm >= 1) & (bm <= 12)
    dim = _DAYS_IN_MONTH[np.where(month_ok, bm, 0)] + ((bm == 2) & leap)
    birth_ok = (by >= BIRTH_YEAR_MIN) & (by <= BIRTH_YEAR_MAX) & month_ok & (bd >= 1) & (bd <= dim)

    adult_year = by + MIN_AGE_AT_APPOINTMENT
    pns = (am >= 1) & (am <= 12) & ((ay > adult_year) | ((ay == adult_year) & (am >= bm)))
    pppk = (am >= PPPK_CODES.start) & (am < PPPK_CODES.stop) & (ay >= np.maximum(PPPK_FIRST_YEAR, adult_year))
    appointment_ok = (ay <= MAX_APPOINTMENT_YEAR) & (pns | pppk)

    conditions = [
        bare & (seq == 0),
        ~birth_ok,
        ~appointment_ok,
        (gender != 1) & (gender != 2),
        seq == 0,
    ]
    choices = [
        "nip_excel_damaged",
        "nip_bad_birth_date",
        "nip_bad_appointment",
        "nip_bad_gender",
        "nip_bad_sequence",
    ]
    return np.select(conditions, np.array(choices, dtype=object), default=None)


def _digit_matrix(arr: pa.Array) -> np.ndarray:
    """View an all-ASCII, all-18-character string array as an ``(n, 18)`` uint8 digit matrix."""
    fixed = arr.cast(pa.large_binary()).cast(pa.binary(NIP_LENGTH))
    buf = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)
    start = fixed.offset * NIP_LENGTH
    return (buf[start : start + len(fixed) * NIP_LENGTH].reshape(-1, NIP_LENGTH) - ord("0")).astype(np.int32)


def _single_chunk(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    # pyarrow-backed pandas columns (e.g. after concat) arrive as ChunkedArrays; the index
    # arithmetic below needs one contiguous array.
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _as_text_array(s: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """Return (large_string array, mask of rows that must take the scalar path)."""
    n = len(s)
    if pd.api.types.is_float_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return pa.nulls(n, pa.large_string()), s.notna().to_numpy()
    if pd.api.types.is_integer_dtype(s.dtype):
        return pa.array(s.astype(str).to_numpy(dtype=object), type=pa.large_string()), np.zeros(n, dtype=bool)
    if isinstance(s.dtype, pd.StringDtype):
        return _single_chunk(pa.array(s.array, from_pandas=True)).cast(pa.large_string()), np.zeros(n, dtype=bool)
    values = s.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return pa.array(values, type=pa.large_string(), from_pandas=True), np.zeros(n, dtype=bool)
    # Mixed object column (typical of openpyxl output): strings go vectorised, the rest scalar.
    is_text = np.fromiter((type(v) is str for v in values), dtype=bool, count=n)
    text = np.where(is_text, values, None)
    return pa.array(text, type=pa.large_string(), from_pandas=True), ~is_text & s.notna().to_numpy()


def _bool(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


SLICE_ROWS = 500_000


def normalize_nip_series(s: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`parse_nip` over a Series; the result has the same index.

    Columns: ``nip`` (``str`` dtype: the 18 digits, NaN unless valid), ``nip_valid`` (bool),
    ``nip_reason`` (``str`` dtype: a reason code, NaN when valid), ``nip_excel_damaged`` (bool).
    Bare 18-digit strings and the grouped ``8 6 1 3`` forms are checked with Arrow/NumPy; rarer
    forms (scientific notation, ``.0``, odd separators, labels, non-string cells) fall back to
    :func:`parse_nip` row by row, so both paths give the same answer by construction.
    """
    if len(s) > SLICE_ROWS:
        # Same reason as name_key_series: one contiguous Arrow array per step.
        return pd.concat([normalize_nip_series(s.iloc[i:i + SLICE_ROWS]) for i in range(0, len(s), SLICE_ROWS)])
    n = len(s)
    arr, scalar = _as_text_array(s)
    # Bare digits first, without trimming: the overwhelmingly common case in registries.
    bare = _bool(pc.and_(pc.equal(pc.binary_length(arr), NIP_LENGTH), pc.ascii_is_decimal(arr)))
    value = arr
    rest = np.flatnonzero(~bare & ~scalar & _bool(pc.is_valid(arr)))
    grouped = np.zeros(n, dtype=bool)
    present = bare | scalar
    if len(rest):
        trimmed = pc.utf8_trim_whitespace(arr.take(pa.array(rest)))
        present[rest] = _bool(pc.greater(pc.utf8_length(trimmed), 0))
        bare[rest] = _bool(pc.match_substring_regex(trimmed, _VEC_BARE))
        grouped[rest] = _bool(pc.match_substring_regex(trimmed, _VEC_GROUPED))
        # Only the rows that were trimmed need replacing in the value array.
        rest_mask = np.zeros(n, dtype=bool)
        rest_mask[rest] = True
        value = pc.replace_with_mask(
            arr, pa.array(rest_mask), pc.replace_substring_regex(trimmed, r"[ .\-]", "")
        )

    reason = np.full(n, "nip_missing", dtype=object)
    reason[present] = None
    damaged = np.zeros(n, dtype=bool)
    fast = bare | grouped
    if fast.any():
        idx = np.flatnonzero(fast)
        codes = _vector_reasons(_digit_matrix(value.filter(pa.array(fast))), bare[idx])
        reason[idx] = codes
        damaged[idx] = codes == "nip_excel_damaged"

    slow = np.flatnonzero(present & ~fast)
    if len(slow):
        originals = s.to_numpy(dtype=object)
        repaired = np.full(len(slow), None, dtype=object)
        for j, i in enumerate(slow):
            r = parse_nip(originals[i])
            reason[i], damaged[i], repaired[j] = r.reason, r.excel_damaged, r.nip
        slow_mask = np.zeros(n, dtype=bool)
        slow_mask[slow] = True
        value = pc.replace_with_mask(value, pa.array(slow_mask), pa.array(repaired, type=pa.large_string()))

    valid = pd.isna(reason)
    nip = pc.if_else(pa.array(valid), value, pa.scalar(None, pa.large_string()))
    return pd.DataFrame(
        {
            "nip": pd.Series(nip, index=s.index, dtype="str"),
            "nip_valid": pd.Series(valid, index=s.index, dtype=bool),
            "nip_reason": pd.Series(reason, index=s.index, dtype="str"),
            "nip_excel_damaged": pd.Series(damaged, index=s.index, dtype=bool),
        }
    )
