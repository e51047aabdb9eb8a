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
