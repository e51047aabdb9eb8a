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
from datetime import datetime

import pandas as pd

__all__ = ["WIB", "clean_text", "csv_bytes", "csv_from_people", "for_people", "neutralise_formula", "parquet_bytes", "tidy",
           "xlsx_bytes", "xlsx_from_people"]

WIB = "Asia/Jakarta"
_EPOCH = datetime(2000, 1, 1)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
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
    distinct = pd.unique(present.astype(str))
    mapping = dict(zip(distinct, map(function, distinct), strict=True))  # type: ignore[arg-type]
    return series.astype(object).map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                                      else mapping[str(v)])


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
    """:func:`xlsx_bytes` of a frame :func:`for_people` has prepared."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append([str(c) for c in people.columns])
    columns = [people[c].tolist() for c in people.columns]
    for row in zip(*columns, strict=True):
        worksheet.append([_cell(v) for v in row])
    # Fixed document dates: the same table gives the same bytes, so checksums say when content changed.
    workbook.properties.created = workbook.properties.modified = _EPOCH
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _stable_zip(buffer.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """The same archive with every entry dated 1980-01-01 (zip stores each entry's write time)."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            body = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":  # openpyxl stamps "modified" with the time of saving
                body = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", body)
            target.writestr(info, body)
    return out.getvalue()


def _cell(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)  # dates, decimals and anything else: their text form, never a guessed number
