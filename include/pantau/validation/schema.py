"""Column kinds: the type half of a suite's contract, and the comparable view GX validates.

Staged frames hold Python objects (``datetime.date``, ``bool`` with ``None``), because that is what
the parsers produce and what Parquet round-trips. GX's type expectations only look at the pandas
dtype, which is ``object`` for all of those, so the kind of each column is checked here, vectorised
with ``pandas.api.types.infer_dtype``. A column of the wrong kind is a changed producer, never a
bad record, so it fails the dataset.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype, is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype
from pandas.errors import OutOfBoundsDatetime

#: What ``infer_dtype`` may report for the non-null values of an object column of each kind.
_INFERRED_OK: dict[str, set[str]] = {
    "text": {"string", "empty"},
    "date": {"date", "datetime", "datetime64", "empty"},
    "timestamp": {"datetime", "datetime64", "empty"},
    "boolean": {"boolean", "empty"},
    "number": {"integer", "floating", "mixed-integer-float", "decimal", "empty"},
}
#: Naive timestamps are local time (the BKD databases and Bawaslu write WIB) when compared to the as-of date.
LOCAL_TZ = "Asia/Jakarta"


@dataclass(frozen=True)
class KindProblem:
    column: str
    kind: str
    found: str
    example: str

    def sentence(self) -> str:
        return f"column {self.column!r} should hold {self.kind} values but holds {self.found} (e.g. {self.example})"


def _dtype_ok(series: pd.Series, kind: str) -> bool | None:
    """Decide from the dtype alone when possible; None means look at the values."""
    dtype = series.dtype
    if kind == "text":
        return True if isinstance(dtype, pd.StringDtype) else None
    if kind in ("date", "timestamp"):
        return True if is_datetime64_any_dtype(dtype) else None
    if kind == "boolean":
        return True if is_bool_dtype(dtype) else None
    if kind == "number":
        return True if is_numeric_dtype(dtype) and not is_bool_dtype(dtype) else None
    return True


def _iso_text_dates(values: pd.Series) -> bool:
    # Registry dates come from the BKD databases as ISO text ("1970-05-12"); accept them if all parse.
    parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
    return bool(parsed.notna().all())


def kind_problem(series: pd.Series, column: str, kind: str) -> KindProblem | None:
    """None when the column's non-null values are all of ``kind`` (a dictionary-encoded column's: the
    distinct values its rows hold)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        series = pd.Series(series.cat.categories.take(np.unique(codes[codes >= 0])))
    decided = _dtype_ok(series, kind)
    if decided is not None:
        return None
    values = series.dropna()
    if values.empty:
        return None
    found = infer_dtype(values, skipna=True)
    if found in _INFERRED_OK[kind]:
        return None
    if kind == "date" and found == "string" and _iso_text_dates(values):
        return None
    example = repr(values.iloc[0])[:60]
    return KindProblem(column, kind, f"{found} (dtype {series.dtype})", example)


def kind_problems(frame: pd.DataFrame, columns: dict[str, str]) -> list[KindProblem]:
    problems = [kind_problem(frame[c], c, k) for c, k in columns.items() if c in frame.columns and k != "any"]
    return [p for p in problems if p is not None]


def _has_offset(values: pd.Series) -> bool:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return True
    first = values.dropna()
    return bool(len(first)) and getattr(first.iloc[0], "tzinfo", None) is not None


def _as_local_naive(values: pd.Series) -> pd.Series:
    # Aware values may carry different offsets (WIB, WITA, WIT): only one clock (UTC) parses them all;
    # naive values are already local.
    parsed = pd.to_datetime(values, errors="coerce", format="ISO8601", utc=_has_offset(values))
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    if parsed.dt.unit != "ns":
        # GX compares nanosecond columns in one vectorised step and any other unit value by value:
        # a 6M-row registry's birth dates (read as seconds) took 10 s and 0.8 GB more that way. A
        # date beyond 2262 or before 1677 has no nanosecond form: the column keeps its unit, and
        # its (slower) verdicts are the same.
        with contextlib.suppress(OutOfBoundsDatetime):
            parsed = parsed.astype("datetime64[ns]")
    return parsed


def comparable_view(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """A shallow copy with date and timestamp columns as naive local datetime64, positional index.

    GX compares with pandas operators; ``datetime.date`` objects, tz-aware timestamps and the
    as-of date do not compare with each other, so every date-like column is put on one footing.
    """
    view = frame.reset_index(drop=True)
    converted = {c: _as_local_naive(view[c]) for c, k in columns.items()
                 if k in ("date", "timestamp") and c in view.columns}
    return view.assign(**converted) if converted else view.copy(deep=False)
