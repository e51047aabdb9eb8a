"""Reference numbers (Bawaslu register numbers, forwarding letters, recommendation numbers) as
comparison keys.

Offices copy each other's numbers by hand: case and spacing change (``012/Reg/LP`` vs
``012 / REG / LP``), a label is put in front (``No. 012/...``, ``Nomor: B-20/KASN/...``), a
sequence number loses or gains leading zeros (``12/Reg/...`` vs ``012/Reg/...``), the month is
written in Roman numerals (``03`` / ``III``, as Indonesian letter numbers often are), the letter
class before the sequence number is left out (``B-20/KASN/...`` / ``20/KASN/...``) and a trailing
full stop ends the cell. None of that changes which document is meant.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["normalize_reference", "reference_keys"]

_ROMAN = ("XII", "XI", "X", "IX", "VIII", "VII", "VI", "V", "IV", "III", "II", "I")
_ROMAN_VALUE = {r: str(i) for i, r in enumerate(reversed(_ROMAN), start=1)}


def normalize_reference(value: object) -> str | None:
    """The comparison key of one reference number, or None when there is nothing to compare."""
    return reference_keys(pd.Series([value], dtype=object)).iloc[0]


def reference_keys(values: pd.Series) -> pd.Series:
    """The comparison key of each reference number (None when there is nothing to compare).

    Vectorised in Arrow (RE2): tens of thousands of register and letter numbers are all distinct.
    """
    obj = values.astype(object).where(values.notna(), None)
    arr = pa.array([None if v is None else str(v) for v in obj.to_numpy(dtype=object)], type=pa.large_string())
    arr = pc.utf8_upper(pc.replace_substring_regex(arr, r"\s+", ""))
    arr = pc.utf8_trim(arr, characters=".,;")
    arr = pc.replace_substring_regex(arr, r"^(?:NOMOR|NO)[.:]*([A-Z0-9])", r"\1")
    arr = pc.replace_substring_regex(arr, r"^[A-Z]{1,3}-([0-9])", r"\1")
    # A Roman-numeral segment (a month) is its number; padding with "/" makes every segment inner.
    slash, empty = pa.scalar("/", pa.large_string()), pa.scalar("", pa.large_string())
    arr = pc.binary_join_element_wise(slash, arr, slash, empty)
    for _ in range(2):  # adjacent Roman segments share a "/": a second pass takes the ones skipped
        for roman in _ROMAN:
            arr = pc.replace_substring(arr, f"/{roman}/", f"/{_ROMAN_VALUE[roman]}/")
    arr = pc.utf8_slice_codeunits(arr, 1, -1)
    arr = pc.replace_substring_regex(arr, r"(^|[^0-9])0+([0-9])", r"\1\2")
    keys = pd.Series(arr.to_numpy(zero_copy_only=False), index=values.index, dtype=object)
    return keys.where(keys.notna() & keys.astype(str).ne(""), None)
