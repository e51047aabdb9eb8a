"""Reading columns of the published frames the same way everywhere: missing is None, dates are dates."""

from __future__ import annotations

import pandas as pd


def present(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column as objects with None for missing and empty text (an absent column is all missing)."""
    if name not in frame:
        return pd.Series(None, index=frame.index, dtype=object)
    values = frame[name].astype(object)
    missing = values.isna() | values.map(lambda v: isinstance(v, str) and not v.strip())
    return values.where(~missing, None)


def as_dates(values: pd.Series) -> pd.Series:
    """Dates, timestamps or date text as ``datetime.date`` (NaT where unreadable)."""
    return pd.to_datetime(values.astype(object), errors="coerce", format="mixed").dt.date


def plain(values: pd.Series) -> pd.Series:
    """A dictionary-encoded (categorical) column as a column of its values' own type; others as they are.

    Columns of few distinct values are read dictionary-encoded where a whole registry is held (6M rows of
    agency names take 267 MB as text, 12 MB as codes); what leaves that step is plain again.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        # Only text columns are read dictionary-encoded; one with no value at all has no category to
        # tell its type by (object), and is text like the others.
        return values.astype("str" if not len(categories) and categories.dtype == object else categories.dtype)
    return values


def plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`plain` for every column of ``frame``."""
    encoded = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.assign(**{c: plain(frame[c]) for c in encoded}) if encoded else frame
