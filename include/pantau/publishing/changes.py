"""What changed in a dataset since the previous release: rows added, removed, changed, unchanged.

Two versions of a dataset rarely come back with the same dtypes: the previous one is read from its
Parquet file (``date32`` dates, nullable integers, WIB timestamps), the new one comes straight from the
pipeline (``datetime.date`` objects, ``int64``, UTC timestamps). Comparing raw values would call every
row "changed", so each cell is first written in one canonical text form (numbers without a trailing
``.0``, dates as ``YYYY-MM-DD``, timestamps in UTC, lists and mappings as JSON, one marker for every kind
of null, so null equals null), then rows are hashed.

Duplicate keys are matched as a multiset: identical rows pair up first (unchanged), then the remaining
rows of one key pair up in turn (changed), and what is left over is added or removed. So
``added + changed + unchanged == len(new)`` and ``removed + changed + unchanged == len(old)`` always hold.

A column present on one side only counts as null on the other: a new column holding values changes
every row that has one, a new column left empty changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["changes", "canonical_text"]

_NULL = "\x00null"  # cannot occur in a published text: control characters are removed from them


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def _plain(value: Any) -> Any:
    # JSON-ready form of a nested value (lists of candidates, decision records).
    if _is_null(value):
        return None
    if isinstance(value, np.ndarray | list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, pd.Timestamp | datetime):
        stamp = pd.Timestamp(value)
        return (stamp.tz_convert("UTC") if stamp.tzinfo else stamp).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _object_text(value: Any) -> str:
    if _is_null(value):
        return _NULL
    if isinstance(value, str):
        return value
    plain = _plain(value)
    if isinstance(plain, str):
        return plain
    return json.dumps(plain, sort_keys=True, ensure_ascii=False, default=str)


def _text_of(values: pd.Series) -> np.ndarray:
    # Canonical text of non-null values (any nulls among them come out as the marker).
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        text = values.astype("Int64").astype(str).to_numpy(dtype=object)  # integers exactly, whatever their width
    elif pd.api.types.is_numeric_dtype(dtype):
        floats = values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(floats) & (np.floor(floats) == floats) & (np.abs(floats) < 2**53)
        ints = np.where(whole, floats, 0).astype("int64").astype(str)
        text = np.where(whole, ints, floats.astype(str)).astype(object)
    elif isinstance(dtype, pd.DatetimeTZDtype):
        text = np.array([_plain(v) for v in values], dtype=object)
    elif pd.api.types.is_datetime64_dtype(dtype):
        stamps = pd.to_datetime(values)
        text = np.array([_plain(v.date() if v == v.normalize() else v) if not _is_null(v) else None
                         for v in stamps], dtype=object)
    else:  # objects, strings, pyarrow dates, categoricals
        text = np.array([_object_text(v) for v in values.astype(object)], dtype=object)
    text[values.isna().to_numpy(dtype=bool)] = _NULL
    return text


def _factorized(series: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    # (codes, canonical text of each distinct value + the null marker last), or None for unhashable cells.
    values = series.reset_index(drop=True)
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:
        return None
    # Published columns repeat values a great deal: each distinct value is written once.
    return codes, np.append(_text_of(pd.Series(uniques, dtype=values.dtype)), _NULL)


def canonical_text(series: pd.Series) -> pd.Series:
    """``series`` as text in one form whatever its dtype (see the module docstring); nulls as one marker."""
    factorized = _factorized(series)
    if factorized is None:  # lists, mappings: one at a time
        return pd.Series([_object_text(v) for v in series], dtype=object)
    codes, texts = factorized
    return pd.Series(texts[codes], dtype=object)


def _cell_hashes(series: pd.Series) -> np.ndarray:
    factorized = _factorized(series)
    if factorized is None:
        return pd.util.hash_array(canonical_text(series).to_numpy(dtype=object))
    codes, texts = factorized
    return pd.util.hash_array(texts)[codes]


def _row_hashes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    # Column hashes combined in a fixed column order (the multiply-xor mix of pandas' own row hashing).
    rows = np.zeros(len(frame), dtype="uint64")
    null = pd.util.hash_array(np.array([_NULL], dtype=object))[0]
    with np.errstate(over="ignore"):
        for position, column in enumerate(columns):
            cells = _cell_hashes(frame[column]) if column in frame.columns else np.full(len(frame), null)
            rows = (rows * np.uint64(1000003)) ^ cells ^ np.uint64(position + 0x9E3779B97F4A7C15 % 2**63)
    return rows


def changes(old: pd.DataFrame | None, new: pd.DataFrame, key: list[str]) -> dict[str, int]:
    """Rows of ``new`` added, removed, changed or unchanged against ``old``, compared on ``key``.

    ``old`` None (no previous release) makes every row "added". Rows whose key columns are equal (null
    equals null) and whose other columns differ are "changed".
    """
    missing = [c for c in key if c not in new.columns or (old is not None and c not in old.columns)]
    if not key or missing:
        raise ValueError(f"changes() needs key columns present in both versions; missing: {missing or 'no key'}")
    if old is None:
        return {"added": len(new), "removed": 0, "changed": 0, "unchanged": 0}
    others = sorted((set(old.columns) | set(new.columns)) - set(key))
    keys = pd.concat([pd.Series(_row_hashes(old, key)), pd.Series(_row_hashes(new, key))], ignore_index=True)
    contents = np.concatenate([_row_hashes(old, others), _row_hashes(new, others)])
    rows = pd.DataFrame({"key": keys.to_numpy(), "content": contents,
                         "side": np.repeat(np.array(["old", "new"]), [len(old), len(new)])})

    # Identical rows pair up first, as many times as both versions hold them.
    same = rows.groupby(["key", "content", "side"]).size().unstack("side", fill_value=0)
    same = same.reindex(columns=["old", "new"], fill_value=0)
    unchanged = np.minimum(same["old"], same["new"])
    # Then what remains of each key pairs up as changed rows; the rest was added or removed.
    left = (same[["old", "new"]].sub(unchanged, axis=0)).groupby(level="key").sum()
    changed = np.minimum(left["old"], left["new"])
    return {
        "added": int((left["new"] - changed).sum()),
        "removed": int((left["old"] - changed).sum()),
        "changed": int(changed.sum()),
        "unchanged": int(unchanged.sum()),
    }
