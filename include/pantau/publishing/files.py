"""The files agencies open: Parquet for analysts, CSV for tools, XLSX for spreadsheet users.

What goes wrong when a published table meets a spreadsheet, and what each writer does about it:

* An 18-digit NIP or a region code such as ``33.10`` is typed as a number by a spreadsheet opening a
  CSV: the NIP loses its last digits (``1.97209031993052E+17``), ``33.10`` becomes ``33.1``. CSV has no
  way to say "this is text", so the XLSX file carries every text column as text-typed cells.
* A source-supplied text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run
  as a formula when the file is opened (``=HYPERLINK(...)``, ``@SUM(...)*cmd|...``): in the CSV and
  XLSX files such a cell gets a leading apostrophe, OWASP's advice for CSV injection. Parquet keeps the
  text as it was (no reader there evaluates formulas).
* Control and invisible format characters (NUL, ESC, line breaks inside a name, the bidi embedding,
  override and isolate marks U+202A-U+202E and U+2066-U+2069 that make a name read backwards,
  zero-width spaces: Unicode categories Cc and Cf) copied from sources are removed from every text
  before any file is written; whitespace controls become a space. Text is then put in NFC, so a name
  typed with a combining accent (``e`` + U+0301) and one typed precomposed (``é``) are the same bytes.
* Timestamps are written in WIB (Asia/Jakarta) with their offset, the time every user works in.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["WIB", "clean_text", "csv_bytes", "csv_from_people", "for_people", "neutralise_formula", "parquet_bytes", "tidy",
           "xlsx_bytes", "xlsx_from_people"]

WIB = "Asia/Jakarta"
_EPOCH = datetime(2000, 1, 1)
_INF = float("inf")
_TEXT_DTYPE = pd.Series(["text"]).dtype  # what pandas infers for a column of texts ("str" under pandas 3)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
_WHITESPACE_CONTROLS = re.compile(r"[\t\n\r\v\f\u0085\u2028\u2029]+")


def clean_text(value: str) -> str:
    """``value`` without control or invisible format characters, in NFC; whitespace controls become one space."""
    value = _WHITESPACE_CONTROLS.sub(" ", value)
    if not value.isprintable():  # the common case has nothing to remove
        value = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf"))
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


def neutralise_formula(value: str) -> str:
    """Prefix an apostrophe when a spreadsheet would read the text as a formula; plain numbers stay."""
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _text_columns(frame: pd.DataFrame) -> set[str]:
    # From the dtypes, not the columns: asking a column is a copy of it, for every column of a wide table.
    return {c for c, t in frame.dtypes.items() if pd.api.types.is_object_dtype(t) or pd.api.types.is_string_dtype(t)}


def _map_text(series: pd.Series, function: object) -> pd.Series:
    # Each distinct text once: published columns repeat values (codes, agency names) a great deal.
    present = series.dropna()
    if present.empty:
        return series.astype(object).where(series.notna(), None)
    if series.dtype == _TEXT_DTYPE:
        mapping = {text: function(text) for text in present.unique().tolist()}  # type: ignore[operator]
        if all(new == old for old, new in mapping.items()):
            # Nothing to change (the common case, and always so when for_people re-tidies a tidied frame):
            # the column as it is, which is what rebuilding it would give, dtype included.
            return series
        texts = present.tolist()
    else:
        texts = present.astype(str).tolist()
        mapping = {text: function(text) for text in dict.fromkeys(texts)}  # type: ignore[operator]
    # Missing cells (None, NaN, NA) become None; one dict lookup per present cell, no per-cell callable.
    out = np.full(len(series), None, dtype=object)
    out[series.notna().to_numpy()] = [mapping[text] for text in texts]
    # No dtype given: pandas infers it as Series.map did (str under pandas 3), so Parquet bytes stay the same.
    return pd.Series(out, index=series.index, name=series.name)


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell as clean text (or None), timestamps in WIB: what every published file holds."""
    out = frame.copy()
    text = _text_columns(out)
    for column, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert(WIB)
        elif column in text:
            out[column] = _map_text(out[column], clean_text)
    return out


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """``tidy`` plus formula neutralisation and timestamps as ISO text with their +07:00 offset."""
    out = tidy(frame)
    text = _text_columns(out)
    for column, dtype in out.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            stamps = out[column]
            out[column] = stamps.map(lambda t: None if pd.isna(t) else t.isoformat()).astype(object)
        elif column in text:
            out[column] = _map_text(out[column], neutralise_formula)
    return out


def parquet_bytes(frame: pd.DataFrame, *, tidied: bool = False) -> bytes:
    """Parquet of ``tidy(frame)`` (``tidied``: the frame already is)."""
    buffer = io.BytesIO()
    (frame if tidied else tidy(frame)).to_parquet(buffer, index=False)
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM (so Excel shows names right), formulas neutralised."""
    return csv_from_people(for_people(frame))


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """One sheet, header row, every text column written as text-typed cells (NIPs and codes stay intact)."""
    return xlsx_from_people(for_people(frame), sheet)


def csv_from_people(people: pd.DataFrame) -> bytes:
    """:func:`csv_bytes` of a frame :func:`for_people` has prepared (prepare once, write many subsets)."""
    return people.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def xlsx_from_people(people: pd.DataFrame, sheet: str = "data") -> bytes:
    """:func:`xlsx_bytes` of a frame :func:`for_people` has prepared.

    XlsxWriter in ``constant_memory`` mode writes the sheet row by row (inline strings, no table of
    all cells in memory). Every cell goes through a typed writer, never XlsxWriter's ``write``, which
    guesses: text is always a text cell (no number, formula or URL is inferred from it), numbers are
    numbers, booleans booleans, missing values empty cells. A text over Excel's cell limit of 32,767
    characters (UTF-16 units) is cut there by XlsxWriter, as openpyxl cut it before; an infinite number,
    which a cell can hold only as a formula's error, is written as its text.
    """
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {
        "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False, "nan_inf_to_errors": False})
    # Fixed document dates: the same table gives the same bytes, so checksums say when content changed.
    # XlsxWriter dates every zip entry 1980-01-31 itself (and its temporary parts are all mode 0600), so
    # nothing else in the file varies; the test reads both back.
    workbook.set_properties({"created": _EPOCH})
    worksheet = workbook.add_worksheet(sheet[:31])
    text, number, boolean = worksheet.write_string, worksheet.write_number, worksheet.write_boolean
    for col, name in enumerate(people.columns):
        text(0, col, str(name))
    na = pd.NA
    for row, values in enumerate(_rows(people), start=1):
        for col, value in enumerate(values):
            kind = value.__class__
            if kind is str:
                if value:
                    text(row, col, value)
            elif kind is float:  # a missing text comes as NaN: an empty cell
                if value - value == 0.0:
                    number(row, col, value)
                elif value == value:  # infinite
                    text(row, col, str(value))
            elif value is None or value is na:
                continue
            elif kind is bool:
                boolean(row, col, value)
            elif kind is int:
                number(row, col, value)
            else:
                _write_other(worksheet, row, col, value)
    workbook.close()
    return buffer.getvalue()


#: Rows turned into Python values at a time by :func:`_rows`.
ROW_BLOCK = 10_000


def _rows(frame: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    """The frame's rows as tuples of Python values, ``ROW_BLOCK`` rows of every column at a time: a
    100k x 74 table as lists at once held about as much again as the frame."""
    for start in range(0, len(frame), ROW_BLOCK):
        block = frame.iloc[start:start + ROW_BLOCK]
        yield from zip(*(block[c].tolist() for c in block.columns), strict=True)


def _write_other(worksheet: object, row: int, col: int, value: object) -> None:
    # numpy scalars, dates, decimals and anything else: numbers and booleans as such, the rest as text.
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        value = value.item()
    cell = _cell(value)
    if cell is None:
        return
    if isinstance(cell, bool):
        worksheet.write_boolean(row, col, cell)  # type: ignore[attr-defined]
    elif isinstance(cell, (int, float)) and cell not in (_INF, -_INF):
        worksheet.write_number(row, col, cell)  # type: ignore[attr-defined]
    elif str(cell):
        worksheet.write_string(row, col, str(cell))  # type: ignore[attr-defined]


def _cell(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)  # dates, decimals and anything else: their text form, never a guessed number
