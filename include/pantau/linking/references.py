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

import re

import pandas as pd

__all__ = ["normalize_reference", "reference_keys"]

_SPACES = re.compile(r"\s+")
_LABEL = re.compile(r"^(?:NOMOR|NO)[.:]*(?=[A-Z0-9])")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")
# A letter class before the sequence number of the first segment: "B-20", "R-12", "SR-3".
_LETTER_CLASS = re.compile(r"^[A-Z]{1,3}-(?=[0-9])")
_ROMAN = {r: str(i) for i, r in enumerate(
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"], start=1)}


def normalize_reference(value: object) -> str | None:
    """The comparison key of one reference number, or None when there is nothing to compare."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    text = _SPACES.sub("", str(value)).upper().strip(".,;")
    text = _LABEL.sub("", text)
    parts = text.split("/")
    parts[0] = _LETTER_CLASS.sub("", parts[0])
    text = "/".join(_ROMAN.get(p, p) for p in parts)
    text = _LEADING_ZEROS.sub("", text)
    return text or None


def reference_keys(values: pd.Series) -> pd.Series:
    """:func:`normalize_reference` per value, computed once per distinct value."""
    obj = values.astype(object).where(values.notna(), None)
    distinct = obj.dropna().unique()
    return obj.map(dict(zip(distinct, map(normalize_reference, distinct), strict=True)), na_action="ignore")
