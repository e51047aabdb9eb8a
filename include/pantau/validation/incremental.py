"""Incremental validation: run the row-level rules only on the rows a new version changed.

A daily run changes about 1 % of a national registry, yet every new staged version used to be
validated whole (71 s at 6M rows). Each validation now leaves its per-row verdicts beside the
validated table (per row a 64-bit hash of the values the row-level rules read, and the rules the row
failed); the next validation of the same table compares the new version's row hashes with them and
runs Great Expectations only on

* the rows whose checked values are new (added rows, rows changed in a column some rule reads;
  equal rows are paired as many times as both versions hold them, so a duplicated row counts as new);
* for a cross-row rule (``expect_column_values_to_be_unique``, ``expect_compound_columns_to_be_unique``):
  every unchanged row sharing its value with a new row, and every unchanged row that failed the rule
  before (only those can stop being duplicates when rows are removed or changed). For such a row
  every row holding the same value is then in the checked subset, so the subset's verdict is the
  whole version's;
* for a rule bounded by ``as_of`` / ``as_of_end`` when the as-of date moved: the rows whose value lies
  between the old and the new bound (inclusive), the only ones whose verdict can flip.

Every other row keeps its previous verdict. Reference rules (``<column>__known``) need nothing
special: the derived True/False column is part of the row hash, so a follow-up whose recommendation
appeared or disappeared is a changed row. Dataset-level rules (schema, row count) run on the whole
version as before; they are aggregates and cost little. The result (valid rows, quarantine with
reasons, flags, counts, report page) is the one a full validation of the version would give.

Anything this module cannot prove equal falls back to a full validation, and the summary says why
(``validation_mode``, ``full_reason``): no or unreadable previous state, a different fingerprint (the
suite file, :class:`~pantau.settings.ValidationSettings`, the vocabularies, the set of rules evaluated
or the column types changed), a row-level rule of a type not listed here or with ``mostly``, a
bound on a parameter other than the as-of date, or rows that cannot be hashed. docs/DECISIONS.md
("Incremental validation") records the reasoning.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pantau.normalize.frames import plain
from pantau.settings import ValidationSettings
from pantau.validation.domain import domain_parameters
from pantau.validation.suites import Rule, Suite

#: Bumped when the row hash or the state's layout changes: older state then forces a full validation.
SCHEME = 1
#: Row-level expectation types whose verdict for a row depends only on that row (and the parameters).
ROW_TYPES = frozenset({
    "expect_column_values_to_not_be_null", "expect_column_values_to_be_null", "expect_column_values_to_be_in_set",
    "expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex",
    "expect_column_values_to_be_between", "expect_column_pair_values_a_to_be_greater_than_b",
})  # fmt: skip
#: Row-level types whose verdict depends on the other rows holding the same value.
CROSS_ROW_TYPES = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"})
#: Expectation types judged on the whole table (cheap aggregates): always run on the whole version.
TABLE_TYPES = frozenset({"expect_table_columns_to_match_set", "expect_table_row_count_to_be_between"})
AS_OF_PARAMETERS = frozenset({"as_of", "as_of_end"})
#: Separator of rule names in the state's ``failed`` column (rule names are identifiers).
SEP = ";"


@dataclass
class PriorVerdicts:
    """The state a previous validation of the same table left: one entry per row of that version."""

    row_hash: np.ndarray  # uint64
    failed: pd.Series  # the row-level rules the row failed, joined with SEP ("" for none)
    as_of: date
    fingerprint: str


@dataclass
class Plan:
    """How this validation runs: ``reason`` None means incrementally."""

    fingerprint: str
    hashes: np.ndarray | None
    reason: str | None = None
    #: Positions (in the new version) Great Expectations validates for the row-level rules.
    subset: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: Per row-level rule: rows whose verdict comes from this run (the rest keep their previous one).
    fresh: dict[str, np.ndarray] = field(default_factory=dict)
    #: Per row-level rule: rows whose previous verdict was "failed" (False for new rows).
    failed_before: dict[str, np.ndarray] = field(default_factory=dict)
    rows_new: int = 0

    @property
    def incremental(self) -> bool:
        return self.reason is None


@dataclass
class MergedResult:
    """A row-level rule's result over the whole version, shaped like the GX result the report reads."""

    success: bool
    result: dict[str, Any]
    exception_info: dict[str, Any]
    expectation_config: Any


def _value_dtype(values: pd.Series) -> str:
    # A dictionary-encoded column is recorded by its values' type: how a table is held in memory
    # (pantau.pipeline.quality.FEW_VALUED) changes no verdict.
    return str(plain(values.iloc[:0]).dtype)


def fingerprint(suite: Suite, settings: ValidationSettings, runnable: list[str], frame: pd.DataFrame) -> str:
    """Everything besides the rows and the as-of date that a verdict depends on."""
    settings_fields = {k: v for k, v in asdict(settings).items() if k != "expectations_dir"}
    payload = {"scheme": SCHEME, "suite": suite.raw, "settings": settings_fields, "domain": domain_parameters(),
               "rules": sorted(runnable), "schema": [[str(c), _value_dtype(frame[c])] for c in frame.columns]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def verdict_columns(rules: list[Rule], view: pd.DataFrame) -> list[str]:
    """The columns a row-level verdict reads: the rules' columns (a reference rule's derived
    ``<column>__known`` included) and every column name a ``row_condition`` mentions. The other
    columns never change a verdict (a quarantine row's record and detail are rebuilt from the current
    row), so a row that changed only there keeps its verdict."""
    named: set[str] = set()
    for rule in rules:
        named.update(rule.columns)
        condition = rule.kwargs.get("row_condition")
        if condition:
            named.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", str(condition)))
    return [c for c in view.columns if c in named]


#: Rows hashed at a time by :func:`row_hashes`.
_HASH_BLOCK = 250_000


def row_hashes(view: pd.DataFrame, columns: list[str]) -> np.ndarray | None:
    """A 64-bit hash per row of ``view``'s ``columns``: the values GX compares (date columns as
    :func:`~pantau.validation.schema.comparable_view` makes them), so equal hashes mean equal verdicts;
    None when a cell cannot be hashed (lists, dicts) or there is no column: such a table is validated
    whole every time."""
    if not columns:
        return None
    # A row's hash reads only that row, so blocks of rows give the same array; hashing a 6M-row registry
    # at once materialised every text column as Python objects (1.7 GB more at the peak, measured).
    hashes = np.empty(len(view), dtype=np.uint64)
    try:
        for start in range(0, len(view), _HASH_BLOCK):
            block = view.iloc[start:start + _HASH_BLOCK][columns]
            hashes[start:start + len(block)] = pd.util.hash_pandas_object(block, index=False).to_numpy()
    except (TypeError, ValueError):
        return None
    return hashes


def _qualified(hashes: np.ndarray) -> np.ndarray:
    """Hashes made unique per occurrence: the second copy of a row is a different entry than the first."""
    series = pd.Series(hashes)
    repeated = series.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return hashes
    out = hashes.copy()
    occurrence = series[repeated].groupby(series[repeated]).cumcount().to_numpy()
    later = np.flatnonzero(repeated)[occurrence > 0]
    pairs = pd.DataFrame({"hash": hashes[later], "occurrence": occurrence[occurrence > 0]})
    out[later] = pd.util.hash_pandas_object(pairs, index=False).to_numpy()
    return out


def row_rules(suite: Suite, runnable: list[str]) -> list[Rule]:
    """The runnable rules judged per row (quarantine and flag rules)."""
    return [r for r in suite.rules if r.name in runnable and r.on_failure != "fail_dataset"
            and r.type not in TABLE_TYPES]


def _unsupported(rules: list[Rule], parameters: dict[str, Any]) -> str | None:
    domain = set(domain_parameters())
    for rule in rules:
        if rule.type not in ROW_TYPES | CROSS_ROW_TYPES:
            return f"rule {rule.name} ({rule.type}) is not known to depend on its row only"
        if "mostly" in rule.kwargs:
            return f"rule {rule.name} uses mostly (its verdict is a share of the whole table)"
        odd = rule.parameters - domain - AS_OF_PARAMETERS
        if odd:
            return f"rule {rule.name} depends on parameter(s) {sorted(odd)}"
        if rule.parameters & AS_OF_PARAMETERS and rule.type != "expect_column_values_to_be_between":
            return f"rule {rule.name} uses the as-of date in a {rule.type}"
    return None


def _failed_masks(prior: PriorVerdicts, previous: np.ndarray, reused: np.ndarray,
                  rules: list[Rule]) -> dict[str, np.ndarray]:
    # Few distinct combinations of failed rules: decide per category, then spread over the rows.
    failed = prior.failed
    categories = failed.array if isinstance(failed.dtype, pd.CategoricalDtype) else pd.Categorical(
        failed.fillna("").astype(str))
    codes = np.full(len(previous), -1, dtype=np.int64)
    codes[reused] = categories.codes[previous[reused]]
    masks = {}
    for rule in rules:
        holding = [i for i, text in enumerate(categories.categories) if rule.name in str(text).split(SEP)]
        masks[rule.name] = np.isin(codes, holding) if holding else np.zeros(len(codes), dtype=bool)
    return masks


def _window(view: pd.DataFrame, rule: Rule, old: dict[str, Any], new: dict[str, Any]) -> np.ndarray:
    """Rows whose value lies between the rule's bound under the old and the new as-of date."""
    values = view[rule.kwargs["column"]]
    mask = np.zeros(len(view), dtype=bool)
    for bound in ("min_value", "max_value"):
        spec = rule.kwargs.get(bound)
        if isinstance(spec, dict) and spec.get("$PARAMETER") in AS_OF_PARAMETERS:
            name = spec["$PARAMETER"]
            low, high = sorted([old[name], new[name]])
            mask |= values.between(low, high, inclusive="both").fillna(False).to_numpy(dtype=bool)
    return mask


def skeleton(view: pd.DataFrame) -> pd.DataFrame:
    """A frame with ``view``'s column names and row count and nothing else (one byte per cell)."""
    return pd.DataFrame(np.zeros((len(view), len(view.columns)), dtype=np.int8), columns=view.columns)


def _touching(frame: pd.DataFrame, rule: Rule, checked: np.ndarray) -> np.ndarray:
    """Rows holding (in the rule's columns) a value some checked row holds; all-null keys never count."""
    columns = [c for c in rule.columns if c in frame.columns]
    if len(columns) == 1:
        values = frame[columns[0]]
        present = values.notna().to_numpy(dtype=bool)
        return values.isin(values[checked & present].unique()).to_numpy(dtype=bool) & present
    keys = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
    present = frame[columns].notna().any(axis=1).to_numpy()
    return np.isin(keys, keys[checked & present]) & present


def plan(suite: Suite, frame: pd.DataFrame, view: pd.DataFrame, runnable: list[str], parameters: dict[str, Any],
         as_of: date, settings: ValidationSettings, prior: PriorVerdicts | None, parameters_for: Any) -> Plan:
    """Decide between incremental and full validation; ``parameters_for(as_of)`` gives a date's parameters."""
    digest = fingerprint(suite, settings, runnable, frame)
    rules = row_rules(suite, runnable)
    hashes = row_hashes(view, verdict_columns(rules, view))
    reason = None
    if prior is None:
        reason = "no previous validation state"
    elif hashes is None:
        reason = "rows cannot be hashed"
    elif prior.fingerprint != digest:
        reason = "the suite, the validation settings, the vocabularies, the rules evaluated or the column types changed"
    elif not len(frame):
        reason = "empty version"
    else:
        reason = _unsupported(rules, parameters)
    if reason is not None:
        return Plan(digest, hashes, reason)
    assert prior is not None and hashes is not None
    try:
        return _incremental_plan(view, rules, parameters, as_of, prior, parameters_for, digest, hashes)
    except (TypeError, ValueError) as exc:  # values that do not compare: no shortcut
        return Plan(digest, hashes, f"the versions could not be compared ({type(exc).__name__})")


def _incremental_plan(view: pd.DataFrame, rules: list[Rule],
                      parameters: dict[str, Any], as_of: date, prior: PriorVerdicts, parameters_for: Any,
                      digest: str, hashes: np.ndarray) -> Plan:
    old = pd.Index(_qualified(np.asarray(prior.row_hash, dtype=np.uint64)))
    if not old.is_unique:
        return Plan(digest, hashes, "two rows of the previous version share a hash")
    previous = old.get_indexer(_qualified(hashes))
    reused = previous >= 0
    checked = ~reused
    rows_new = int(checked.sum())
    if not checked.any():
        checked[0] = True  # one row always goes through GX, so every rule has a result object
    failed_before = _failed_masks(prior, previous, reused, rules)
    moved = prior.as_of != as_of
    old_parameters = parameters_for(prior.as_of) if moved else parameters
    fresh: dict[str, np.ndarray] = {}
    for rule in rules:
        mask = checked.copy()
        if rule.type in CROSS_ROW_TYPES:
            mask |= _touching(view, rule, checked) | failed_before[rule.name]
        if moved and rule.parameters & AS_OF_PARAMETERS:
            mask |= _window(view, rule, old_parameters, parameters)
        fresh[rule.name] = mask
    union = np.logical_or.reduce(list(fresh.values())) if fresh else checked
    return Plan(digest, hashes, None, np.flatnonzero(union), fresh, failed_before, rows_new)


def merge(rules: list[Rule], subset_results: dict[str, Any], chosen: Plan, rows: int) -> dict[str, MergedResult]:
    """Each row-level rule's verdict over the whole version: this run's for its fresh rows, the
    previous one for the others."""
    merged = {}
    for rule in rules:
        result = subset_results.get(rule.name)
        if result is None:
            continue
        info = dict(result.exception_info or {})
        fresh = chosen.fresh[rule.name]
        found = np.asarray(result.result.get("unexpected_index_list") or [], dtype=np.int64)
        now = chosen.subset[found] if len(found) else found
        now = now[fresh[now]]
        before = np.flatnonzero(chosen.failed_before[rule.name] & ~fresh)
        failing = np.union1d(now, before).astype(np.int64)
        error = bool(info.get("raised_exception"))
        merged[rule.name] = MergedResult(
            success=bool(result.success) and not error and not len(failing),
            result={"element_count": rows, "unexpected_count": int(len(failing)),
                    "unexpected_percent": 100 * len(failing) / rows if rows else 0.0,
                    "unexpected_index_list": failing.tolist()},
            exception_info=info, expectation_config=result.expectation_config)
    return merged


def verdicts(hashes: np.ndarray, failing: dict[str, list[int]], rows: int) -> pd.DataFrame:
    """The state the next validation reads: per row its hash and the row-level rules it failed."""
    names = np.full(rows, "", dtype=object)
    for rule, positions in failing.items():
        at = np.unique(np.asarray(positions, dtype=np.int64))
        if len(at):
            current = names[at]
            names[at] = np.where(current == "", rule, current + SEP + rule)
    return pd.DataFrame({"row_hash": hashes, "failed": pd.Categorical(names)})


def prior_from(state: pd.DataFrame, rows: int, as_of: str, fingerprint_: str) -> PriorVerdicts:
    """Read back :func:`verdicts`; raises ValueError when the state does not describe ``rows`` rows."""
    if list(state.columns) != ["row_hash", "failed"] or len(state) != rows:
        raise ValueError(f"state holds {len(state)} rows with columns {list(state.columns)}, expected {rows}")
    failed = state["failed"] if isinstance(state["failed"].dtype, pd.CategoricalDtype) else \
        state["failed"].fillna("").astype(str)
    return PriorVerdicts(state["row_hash"].to_numpy(dtype=np.uint64), failed,
                         date.fromisoformat(as_of), fingerprint_)
