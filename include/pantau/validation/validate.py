"""validate_frame: run a dataset's suite, quarantine failing rows, stop the dataset on drift."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pantau.exceptions import ValidationFailed
from pantau.normalize.frames import plain, plain_frame
from pantau.pipeline.runs import quarantine_frame, quarantine_row, release_unused_memory
from pantau.reasons import reason
from pantau.settings import ValidationSettings
from pantau.validation import incremental
from pantau.validation.domain import domain_parameters
from pantau.validation.gx_runner import run_suite
from pantau.validation.schema import KindProblem, comparable_view, kind_problems
from pantau.validation.suites import Rule, Suite, load_suite

#: Suffix of the view column that says whether a reference column points at a known record.
KNOWN_SUFFIX = "__known"
#: Columns holding a person's identity: a failure message shows their counts, never their values.
PERSONAL_COLUMNS = re.compile(r"(^|_)(nip|nama)(_raw)?$|^(name_key|gelar_depan|gelar_belakang|tanggal_lahir)$")
#: Offending values named per failing rule in a failure message.
TOP_VALUES = 5
#: Reason code of a row that passed every row-level rule of a batch rejected as a whole.
BATCH_REJECTED = "batch_rejected"


class BatchRejected(ValidationFailed):
    """A dataset-level failure. ``args`` are (message, summary) like ``ValidationFailed``;
    ``rejected`` is the whole batch, each row with the rules it failed (quarantine columns first);
    ``results`` the GX results by rule name, for the validation report page."""

    def __init__(self, message: str, summary: dict[str, Any], rejected: pd.DataFrame | None = None,
                 results: dict[str, Any] | None = None) -> None:
        super().__init__(message, summary)
        self.summary = summary
        self.rejected = rejected
        self.results = results or {}


@dataclass
class ValidationOutcome:
    """What validation let through, what it quarantined, and the summary for the run manifest.

    ``flagged`` holds quarantine-shaped rows for records that stay in ``valid`` but need a look
    (for example a follow-up naming an unknown recommendation): the review queue's input.
    ``results`` are GX's result objects by rule name: they hold unexpected values (NIPs, names), so
    they never leave the process; :func:`pantau.validation.report.render_validation_report` reads
    only their counts.
    """

    #: The validated frame (positional index); ``valid`` is it without the ``dropped`` rows.
    checked: pd.DataFrame
    quarantine: pd.DataFrame
    summary: dict[str, Any]
    results: dict[str, Any]
    flagged: pd.DataFrame = field(default_factory=lambda: quarantine_frame([]))
    #: Per-row state for the next incremental validation (:mod:`pantau.validation.incremental`):
    #: ``row_hash`` and the row-level rules each row ``failed``; None unless asked for (``track_rows``).
    verdicts: pd.DataFrame | None = None
    #: What the verdicts depend on besides the rows and the as-of date; store it with them.
    fingerprint: str | None = None
    #: Positions in ``checked`` of the quarantined rows, ascending.
    dropped: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @cached_property
    def valid(self) -> pd.DataFrame:
        """The rows let through, as one frame (made on first use: for a clean table, the input itself),
        dictionary-encoded columns as their values (:func:`~pantau.normalize.frames.plain_frame`)."""
        if not len(self.dropped):
            return plain_frame(self.checked)
        return plain_frame(self.checked.drop(index=self.dropped).reset_index(drop=True))

    def valid_batches(self, rows: int = 250_000) -> Iterator[pd.DataFrame]:
        """The rows let through, ``rows`` input rows at a time (at least one, possibly empty, batch), as
        ``checked`` holds them (dictionary-encoded columns too: ``ObjectStore.put_parquet_batches`` with
        ``plain_schema(checked)`` writes their values).

        Writing a 6M-row registry from these instead of :attr:`valid` never holds a second copy of it.
        """
        keep = np.ones(len(self.checked), dtype=bool)
        keep[self.dropped] = False
        for start in range(0, max(len(self.checked), 1), rows):
            part, kept = self.checked.iloc[start:start + rows], keep[start:start + rows]
            yield part if kept.all() else part[kept]


@dataclass
class _Finding:
    rule: Rule
    success: bool
    rows: list[int]
    observed: Any
    error: str | None


def _parameters(as_of: date, previous_rows: int | None, settings: ValidationSettings) -> dict[str, Any]:
    # Timestamps, because the view holds every date-like column as naive local datetime64.
    params: dict[str, Any] = {**domain_parameters(), "as_of": pd.Timestamp(as_of),
                              "as_of_end": pd.Timestamp(as_of + timedelta(days=1))}
    if previous_rows is None or previous_rows < settings.volume_min_rows:
        params.update(volume_min=0, volume_max=None)
    else:
        params.update(volume_min=math.ceil(previous_rows * settings.volume_min_ratio),
                      volume_max=math.floor(previous_rows * settings.volume_max_ratio))
    return params


def _with_references(view: pd.DataFrame, references: Mapping[str, Collection[str]]) -> pd.DataFrame:
    # A derived True/False column keeps the known keys (possibly 100k numbers) out of the suite and its results.
    extra = {f"{column}{KNOWN_SUFFIX}": view[column].isna() | view[column].isin(list(known))
             for column, known in references.items() if column in view.columns}
    return view.assign(**extra) if extra else view


def _runnable(suite: Suite, view: pd.DataFrame, parameters: dict[str, Any]) -> list[str]:
    """Rules whose columns and parameters exist; the others would only raise inside GX.

    Missing source columns are reported by the table-columns rule; a reference rule whose known
    keys were not supplied is skipped and listed in the summary.
    """
    return [r.name for r in suite.rules
            if all(c in view.columns for c in r.columns) and r.parameters <= parameters.keys()]


def _findings(suite: Suite, results: dict[str, Any]) -> list[_Finding]:
    out = []
    for rule in suite.rules:
        result = results.get(rule.name)
        if result is None:
            continue
        info = result.exception_info or {}
        error = info.get("exception_message") if info.get("raised_exception") else None
        out.append(_Finding(rule, bool(result.success) and error is None,
                            list(result.result.get("unexpected_index_list") or []),
                            result.result.get("observed_value"), error))
    return out


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _record_key(record: dict[str, Any], key: tuple[str, ...]) -> str | None:
    return "|".join(str(record[c]) for c in key if c in record and not _is_missing(record[c])) or None


def _value_text(record: dict[str, Any], rule: Rule) -> str:
    columns = [c.removesuffix(KNOWN_SUFFIX) for c in rule.columns]
    return ", ".join(f"{c}={record[c]!r}" for c in columns if c in record)


def _row_entries(frame: pd.DataFrame, findings: list[_Finding], suite: Suite, run_key: str,
                 on_failure: str, skip: set[int]) -> list[dict[str, Any]]:
    """One quarantine-shaped row per failing record: the first failing rule (suite order) is the
    reason, every failing rule is named in the detail."""
    failed: dict[int, list[Rule]] = {}
    for finding in findings:
        if finding.rule.on_failure == on_failure and finding.error is None:
            for position in finding.rows:
                if position not in skip:
                    failed.setdefault(int(position), []).append(finding.rule)
    entries = []
    records = frame.iloc[sorted(failed)].to_dict("records") if failed else []
    for position, record in zip(sorted(failed), records, strict=True):
        rules = failed[position]
        first = rules[0]
        detail = f"expectation {suite.name}.{first.name} failed ({_value_text(record, first)})"
        if len(rules) > 1:
            detail += "; also failed: " + ", ".join(r.name for r in rules[1:])
        entries.append(quarantine_row(suite.name, run_key, _record_key(record, suite.key),
                                      first.reason_code, detail, record))
    return entries


def _dataset_problems(frame: pd.DataFrame, suite: Suite, findings: list[_Finding], parameters: dict[str, Any],
                      previous_rows: int | None, drifted: list[KindProblem]) -> list[str]:
    problems = []
    missing = [c for c in suite.columns if c not in frame.columns]
    if missing:
        extra = [c for c in frame.columns if c not in suite.columns]
        problems.append(f"schema drift: missing column(s) {missing}" +
                        (f"; columns not in the contract {extra} (renamed?)" if extra else "") +
                        f". Fix the producing step or update expectations/{suite.name}.json and the consumers.")
    problems += [f"type drift: {_kind_sentence(p)}; the producing step changed its output."
                 for p in drifted]
    for finding in findings:
        if finding.error is not None:
            problems.append(f"{finding.rule.name} could not be evaluated: {finding.error}")
        elif not finding.success and finding.rule.on_failure == "fail_dataset":
            problems.append(_describe_dataset_failure(finding, parameters, previous_rows, len(frame)))
    return problems


def _kind_sentence(problem: KindProblem) -> str:
    if PERSONAL_COLUMNS.search(problem.column):
        return f"column {problem.column!r} should hold {problem.kind} values but holds {problem.found}"
    return problem.sentence()


def _describe_dataset_failure(finding: _Finding, parameters: dict[str, Any], previous_rows: int | None,
                              rows: int) -> str:
    rule = finding.rule
    if rule.type == "expect_table_row_count_to_be_between":
        return (f"{rule.name}: volume anomaly, {rows} rows now against {previous_rows} in the previous run "
                f"(allowed {parameters['volume_min']}..{parameters['volume_max']}, PANTAU_VOLUME_MIN_RATIO/"
                "PANTAU_VOLUME_MAX_RATIO). Check the extract for truncation or a double load before re-running.")
    if rule.type == "expect_table_columns_to_match_set":
        return f"{rule.name}: columns {finding.observed} do not include the contract's columns."
    return (f"{rule.name} ({rule.type} on {rule.columns}): {len(finding.rows)} row(s) failed; "
            f"an aggregate cannot be partly published. {rule.notes or ''}").strip()


def _bound(value: Any, parameters: dict[str, Any]) -> str:
    if isinstance(value, dict) and "$PARAMETER" in value:
        resolved = parameters.get(value["$PARAMETER"])
        shown = resolved.date().isoformat() if isinstance(resolved, pd.Timestamp) else resolved
        return f"{value['$PARAMETER']} ({shown})"
    return str(value)


def _vocabulary(value_set: Any) -> str:
    if isinstance(value_set, dict) and "$PARAMETER" in value_set:
        # category_codes -> "the category vocabulary" (pantau.validation.domain)
        name = value_set["$PARAMETER"].removesuffix("_values").removesuffix("_codes")
        return f"the {name.replace('_', ' ')} vocabulary"
    values = list(value_set or [])
    return f"{values[:TOP_VALUES]}" + (" ..." if len(values) > TOP_VALUES else "")


def describe_rule(rule: Rule, parameters: dict[str, Any]) -> str:
    """What a failing row of ``rule`` looks like, in words: ``jenis_pelanggaran not in the category vocabulary``."""
    kw = rule.kwargs
    column = str(kw.get("column", "")).removesuffix(KNOWN_SUFFIX)
    where = f" where {kw['row_condition']}" if kw.get("row_condition") else ""
    if str(kw.get("column", "")).endswith(KNOWN_SUFFIX):
        return f"{column} refers to no loaded record"
    described = {
        "expect_column_values_to_not_be_null": lambda: f"{column} is empty{where}",
        "expect_column_values_to_be_null": lambda: f"{column} is filled{where}",
        "expect_column_values_to_be_in_set": lambda: f"{column} not in {_vocabulary(kw.get('value_set'))}",
        "expect_column_values_to_be_unique": lambda: f"{column} repeated",
        "expect_compound_columns_to_be_unique": lambda: f"({', '.join(kw.get('column_list') or [])}) repeated",
        "expect_column_values_to_match_regex": lambda: f"{column} does not match {kw.get('regex')}",
        "expect_column_values_to_not_match_regex": lambda: f"{column} matches {kw.get('regex')}",
        "expect_column_values_to_be_between": lambda: _between(column, kw, parameters),
        "expect_column_pair_values_a_to_be_greater_than_b": lambda: (
            f"{kw.get('column_A')} not {'>=' if kw.get('or_equal') else '>'} {kw.get('column_B')}"),
        "expect_table_columns_to_match_set": lambda: "the table lacks columns of the contract",
        "expect_table_row_count_to_be_between": lambda: (
            f"row count outside {_bound(kw.get('min_value'), parameters)} .. {_bound(kw.get('max_value'), parameters)}"),
    }.get(rule.type)
    return described() if described else f"{rule.type} on {rule.columns}"


def _between(column: str, kw: dict[str, Any], parameters: dict[str, Any]) -> str:
    low, high = kw.get("min_value"), kw.get("max_value")
    dated = any(isinstance(v, dict) and ("as_of" in str(v.get("$PARAMETER")) or
                                          isinstance(parameters.get(v.get("$PARAMETER")), pd.Timestamp))
                for v in (low, high))
    after, before = ("after", "before") if dated else ("above", "below")
    if low is None and high is not None:
        return f"{column} {after} {_bound(high, parameters)}"
    if high is None and low is not None:
        return f"{column} {before} {_bound(low, parameters)}"
    return f"{column} outside {_bound(low, parameters)} .. {_bound(high, parameters)}"


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_shown(v) for v in value) + ")"
    if _is_missing(value):
        return "empty"
    text = value if isinstance(value, str) else str(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return repr(text) if isinstance(value, str) else text


def _value_columns(rule: Rule, frame: pd.DataFrame) -> list[str]:
    return [c for c in dict.fromkeys(c.removesuffix(KNOWN_SUFFIX) for c in rule.columns) if c in frame.columns]


def _top_values(frame: pd.DataFrame, rows: list[int], columns: list[str]) -> tuple[list[dict[str, Any]], int]:
    """The most frequent offending values of the failing rows, and how many distinct values there are."""
    # As values: a categorical's counts would list every category, the ones no failing row holds too.
    values = plain_frame(frame.iloc[rows][columns]) if len(columns) > 1 else plain(frame.iloc[rows][columns[0]])
    try:
        counts = values.value_counts(dropna=False)
    except TypeError:  # unhashable cells (lists, dicts): count their text
        counts = values.astype(str).value_counts(dropna=False)
    top = [{"value": _shown(v), "count": int(n)} for v, n in counts.head(TOP_VALUES).items()]
    return top, len(counts)


def _failure_entry(finding: _Finding, frame: pd.DataFrame, parameters: dict[str, Any]) -> dict[str, Any]:
    rule = finding.rule
    columns = _value_columns(rule, frame)
    personal = any(PERSONAL_COLUMNS.search(c) for c in columns)
    entry: dict[str, Any] = {"name": rule.name, "type": rule.type, "on_failure": rule.on_failure,
                             "reason_code": rule.reason_code, "unexpected_count": len(finding.rows),
                             "error": finding.error, "description": describe_rule(rule, parameters),
                             "columns": columns, "personal": personal, "top_values": None, "distinct_values": None}
    if finding.rows and columns and not personal:
        entry["top_values"], entry["distinct_values"] = _top_values(frame, finding.rows, columns)
    return entry


def _rule_line(entry: dict[str, Any], rows_in: int, rejected: str | None) -> str:
    """``jenis_pelanggaran_allowed (quarantine, unknown_category): jenis_pelanggaran not in ...: 'X' x412 (...)``."""
    head = f"{entry['name']} ({entry['on_failure']}, {entry['reason_code']}): {entry['description']}"
    share = f"{entry['unexpected_count']} of {rows_in} rows"
    if entry["personal"]:
        where = rejected or "the rejected rows"
        body = f"{share}; values not shown (personal data), see {where}"
    elif entry["top_values"]:
        values = ", ".join(f"{v['value']} x{v['count']}" for v in entry["top_values"])
        others = entry["distinct_values"] - len(entry["top_values"])
        body = values + (f", ... {others} other value(s)" if others else "") + f" ({share})"
    else:
        body = share
    kept = " Rows kept and flagged." if entry["on_failure"] == "flag" else ""
    return f"{head}: {body}.{kept} Next: {reason(entry['reason_code']).action}"


def explain_failure(summary: dict[str, Any], *, version: str | None = None, docs: str | None = None,
                    rejected: str | None = None) -> str:
    """The message of a dataset-level failure: every problem, every failing rule with its top offending
    values and counts (counts only for personal columns), where the rejected rows and the validation
    report page are, and what to do next."""
    subject = f"{summary['dataset']}" + (f" ({version})" if version else "")
    lines = [f"{subject} failed validation in run {summary['run_key']}; nothing from it may be published "
             "and the previous version stays current."]
    lines += [f"Problem {i}: {p}" for i, p in enumerate(summary.get("problems") or [], start=1)]
    failing = [e for e in summary.get("failed_expectations") or [] if e.get("unexpected_count")]
    lines += [f"Failing rule {i}/{len(failing)}: {_rule_line(e, summary['rows_in'], rejected)}"
              for i, e in enumerate(failing, start=1)]
    if rejected:
        lines.append(f"Rejected batch (every row, with the rules it failed): {rejected}")
    if docs:
        lines.append(f"Validation report: {docs}")
    lines.append("Next: fix the source or the producing step (or, if the values are legitimate, the vocabulary "
                 "or suite named above), then re-run; this version is validated again from the start.")
    return "\n".join(lines)


def _record_keys(frame: pd.DataFrame, key: tuple[str, ...]) -> pd.Series:
    # Vectorised _record_key: non-missing key values joined with "|", None when all are missing.
    out: pd.Series | None = None
    for column in (c for c in key if c in frame.columns):
        part = frame[column].astype("string")
        out = part if out is None else (out + "|" + part).fillna(out).fillna(part)
    return out if out is not None else pd.Series([None] * len(frame), index=frame.index, dtype="string")


def rejected_batch(frame: pd.DataFrame, findings: list[_Finding], suite: Suite, run_key: str,
                   causes: list[str]) -> pd.DataFrame:
    """Every row of a batch rejected as a whole, quarantine columns first, then the row's own columns.

    A row that failed row-level rules carries the first one's reason code and names all of them in
    ``failed_rules``; a row that passed them all carries ``batch_rejected``. Built column-wise with
    repeated texts as categories, because a rejected batch may be a whole 6M-row registry.
    """
    n = len(frame)
    codes = pd.Series(BATCH_REJECTED, index=range(n), dtype=object)
    first = pd.Series("", index=range(n), dtype=object)
    names = pd.Series("", index=range(n), dtype=object)
    failing = [f for f in findings if f.error is None and not f.success and f.rows]
    for finding in failing:
        rows = np.unique(np.asarray(finding.rows, dtype=np.int64))
        named = names.iloc[rows]
        names.iloc[rows] = named.where(named == "", named + ";").astype(object) + finding.rule.name
    for finding in reversed([f for f in failing if f.rule.on_failure != "flag"]):  # suite order: first wins
        rows = np.unique(np.asarray(finding.rows, dtype=np.int64))
        codes.iloc[rows] = finding.rule.reason_code
        first.iloc[rows] = finding.rule.name
    batch = "the batch was rejected for: " + "; ".join(causes)
    own_rule = "expectation " + suite.name + "." + first + " failed (failed rules: " + names + "); " + batch
    details = own_rule.where(first != "", "the row passed every row-level rule; " + batch)
    code_categories = pd.Categorical(codes)
    why = [reason(c) for c in code_categories.categories]
    meta = pd.DataFrame({
        "source": pd.Categorical([suite.name] * n), "run_key": pd.Categorical([run_key] * n),
        "record_key": _record_keys(frame, suite.key).array, "reason_code": code_categories,
        "reason": code_categories.rename_categories([r.sentence for r in why]),
        "action": code_categories.rename_categories([r.action for r in why]),
        "failed_rules": pd.Categorical(names), "detail": pd.Categorical(details),
    })
    own = frame.rename(columns={c: f"{c}__record" for c in frame.columns if c in meta.columns})
    return pd.concat([meta, own.reset_index(drop=True)], axis=1)


def _summary(dataset: str, suite: Suite, run_key: str, as_of: date, frame: pd.DataFrame, findings: list[_Finding],
             quarantine: pd.DataFrame, flagged: pd.DataFrame, skipped: list[str],
             parameters: dict[str, Any]) -> dict[str, Any]:
    failed = [f for f in findings if not f.success]
    return {
        "dataset": dataset, "suite": suite.name, "run_key": run_key, "as_of": as_of.isoformat(),
        "rows_in": len(frame), "rows_valid": len(frame) - len(quarantine), "rows_quarantined": len(quarantine),
        "rows_flagged": len(flagged),
        "expectations_evaluated": len(findings), "expectations_failed": len(failed),
        "expectations_skipped": skipped,
        "failed_expectations": [_failure_entry(f, frame, parameters) for f in failed],
        "quarantine_by_reason": {str(k): int(v) for k, v in quarantine["reason_code"].value_counts().items()},
    }


#: From this many rows, each rule is validated in a GX run of its own (see _run_narrow).
SPLIT_ROWS = 500_000


def _run_narrow(suite: Suite, runnable: list[str], view: pd.DataFrame, parameters: dict[str, Any],
                run_key: str) -> dict[str, Any]:
    """``run_suite`` on only what each rule reads: table rules (column names, row count) on a placeholder
    of ``view``'s shape, column rules on the columns they name.

    GX keeps every rule's interim metrics (a mask per rule) until the run ends: validating the 6M-row
    registry's 24 columns at once took 1.9 GB more at the peak than the frame. From ``SPLIT_ROWS``
    rows, each rule runs on its own, and a uniqueness rule on a text column only on the rows whose
    value repeats (:func:`_repeated_rows`). A rule whose columns cannot be told (a table rule of
    another kind, a rule without column arguments) gets the whole view, as before.
    """
    chosen = [r for r in suite.rules if r.name in runnable]
    table = [r.name for r in chosen if r.type in incremental.TABLE_TYPES]
    rest = [r for r in chosen if r.type not in incremental.TABLE_TYPES]
    if any(r.type.startswith("expect_table_") or not r.columns for r in rest):
        return run_suite(suite, runnable, view, parameters, run_key)
    results = run_suite(suite, table, incremental.skeleton(view), parameters, run_key) if table else {}
    # A large table: one GX run per rule, or GX holds every rule's interim metrics at once.
    for group in [rest] if len(view) < SPLIT_ROWS else [[rule] for rule in rest]:
        columns = incremental.verdict_columns(group, view)
        repeated = _repeated_rows(view[columns[0]]) if len(view) >= SPLIT_ROWS and len(columns) == 1 \
            and group[0].type == "expect_column_values_to_be_unique" else None
        if repeated is not None:
            # GX finds repeats by hashing every value (1 GB for 6M NIPs); it is given only the rows
            # whose value repeats, and its verdict is put back on the whole table's positions.
            every = np.ones(len(view), dtype=bool)
            on_rows = incremental.Plan("", None, subset=repeated, fresh={group[0].name: every},
                                       failed_before={group[0].name: ~every})
            found = run_suite(suite, [group[0].name], view[columns].iloc[repeated].reset_index(drop=True),
                              parameters, run_key)
            results.update(incremental.merge(group, found, on_rows, len(view)))
        else:
            results.update(run_suite(suite, [r.name for r in group], view[columns], parameters, run_key))
        if len(view) >= SPLIT_ROWS:  # what one rule's run freed serves the next, not only Arrow's pool
            release_unused_memory()
    return results


def _repeated_rows(values: pd.Series) -> np.ndarray | None:
    """Positions (ascending) of the rows whose value another row holds too, nulls never counting,
    found by sorting with Arrow (equal values end up side by side; no hash table of every value,
    no Python string per value). None when the column is not text: then GX checks it whole."""
    try:
        array = pa.array(values.array, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    present = len(array) - array.null_count
    order = pc.array_sort_indices(array, null_placement="at_end").to_numpy()[:present]
    ordered = array.take(pa.array(order))
    same = pc.equal(ordered.slice(1), ordered.slice(0, max(present - 1, 0))).to_numpy(zero_copy_only=False)
    repeated = np.zeros(present, dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    return np.sort(order[repeated]).astype(np.int64)


def validate_frame(dataset: str, frame: pd.DataFrame, *, run_key: str, as_of: date, previous_rows: int | None,
                   settings: ValidationSettings, references: Mapping[str, Collection[str]] | None = None,
                   track_rows: bool = False, prior: incremental.PriorVerdicts | None = None) -> ValidationOutcome:
    """Validate ``frame`` against ``expectations/<dataset>.json``.

    Rows failing a ``quarantine`` rule leave ``valid`` for ``quarantine`` (one row per record, the
    failing expectation named in ``detail``). ``previous_rows`` is the row count of the same
    dataset in the previous run (None on the first run): validate like with like, e.g. the merged
    current state of a staged source, not an incremental batch. ``references`` maps a column to
    its known keys (``{"nomor_rekomendasi": recommendations["nomor_rekomendasi"]}``) for the
    reference rules, which are skipped without it.

    ``track_rows`` returns per-row verdicts (``outcome.verdicts`` and ``outcome.fingerprint``) for the
    next validation of the same table; given them back as ``prior``, the row-level rules run only on
    the rows that changed and the others keep their verdict (:mod:`pantau.validation.incremental`);
    the outcome is the one a full validation would give. The summary says how many rows were
    checked (``rows_checked``), how many verdicts were reused (``rows_reused``), and, for a full
    validation, why (``full_reason``).

    Raises:
        BatchRejected: (a ``ValidationFailed``) schema or type drift, a volume anomaly, a failed
            dataset-level rule, or a quarantine share above ``settings.max_quarantine_share``.
            ``args[0]`` names every problem and failing rule (:func:`explain_failure`), ``args[1]`` is
            the summary, ``rejected`` the whole batch with the rules each row failed, ``results``
            the GX results (for the report page the caller writes before re-raising).
    """
    started = time.monotonic()
    suite = load_suite(settings.expectations_dir, dataset)
    frame = frame.reset_index(drop=True)
    parameters = _parameters(as_of, previous_rows, settings)
    view = _with_references(comparable_view(frame, suite.columns), references or {})
    runnable = _runnable(suite, view, parameters)
    plan = None
    if track_rows or prior is not None:
        plan = incremental.plan(suite, frame, view, runnable, parameters, as_of, settings, prior,
                                lambda day: _parameters(day, previous_rows, settings))
    if plan is not None and plan.incremental:
        rules = incremental.row_rules(suite, runnable)
        names = {r.name for r in rules}
        table = [r.name for r in suite.rules if r.name in runnable and r.type in incremental.TABLE_TYPES]
        whole = [n for n in runnable if n not in names and n not in table]
        # Table rules read only the column names and the row count: a placeholder frame with both
        # gives their verdict without GX hashing the whole version for its batch id.
        results = run_suite(suite, table, incremental.skeleton(view), parameters, run_key) if table else {}
        if whole:  # dataset-level rules on values (none in the source suites): the whole version
            results.update(run_suite(suite, whole, view, parameters, run_key))
        if names:
            subset = view.iloc[plan.subset].reset_index(drop=True)
            results.update(incremental.merge(rules, run_suite(suite, sorted(names), subset, parameters, run_key),
                                             plan, len(frame)))
    else:
        results = _run_narrow(suite, runnable, view, parameters, run_key)
    findings = _findings(suite, results)
    rows = quarantine_frame(_row_entries(frame, findings, suite, run_key, "quarantine", set()))
    quarantined_positions = _positions(findings, "quarantine")
    flagged = quarantine_frame(_row_entries(frame, findings, suite, run_key, "flag", quarantined_positions))
    skipped = [r.name for r in suite.rules if r.name not in runnable]
    summary = _summary(dataset, suite, run_key, as_of, frame, findings, rows, flagged, skipped, parameters)
    drifted = kind_problems(frame, suite.columns)
    # Column, contract kind and inferred kind only (never the example value): the report page shows these.
    summary.update(previous_rows=previous_rows, volume_bounds=[parameters["volume_min"], parameters["volume_max"]],
                   type_drift=[{"column": p.column, "expected": p.kind, "found": p.found} for p in drifted])
    checked = len(plan.subset) if plan is not None and plan.incremental else len(frame)
    summary.update(validation_mode="incremental" if plan is not None and plan.incremental else "full",
                   full_reason=plan.reason if plan is not None else "no per-row state kept for this dataset",
                   rows_checked=checked, rows_reused=len(frame) - checked,
                   rows_new=plan.rows_new if plan is not None and plan.incremental else len(frame))
    problems = _dataset_problems(frame, suite, findings, parameters, previous_rows, drifted)
    share = len(rows) / len(frame) if len(frame) else 0.0
    if len(frame) >= settings.quarantine_min_rows and share > settings.max_quarantine_share:
        problems.append(f"{len(rows)} of {len(frame)} rows ({share:.1%}) failed row-level expectations, above "
                        f"PANTAU_MAX_QUARANTINE_SHARE={settings.max_quarantine_share:.0%}: the source looks broken, "
                        "not a few records (each failing rule is listed with its values).")
    summary.update(success=not problems, problems=problems, duration_s=round(time.monotonic() - started, 3))
    if problems:
        rejected = rejected_batch(frame, findings, suite, run_key, [p.split(":", 1)[0] for p in problems])
        raise BatchRejected(explain_failure(summary), summary, rejected, results)
    # The valid rows are made only when asked for (ValidationOutcome.valid): a 6M-row registry
    # written batch by batch (valid_batches) is never held twice.
    outcome = ValidationOutcome(frame, rows, summary, results, flagged,
                                dropped=np.array(sorted(quarantined_positions), dtype=np.int64))
    if plan is not None and plan.hashes is not None:
        failing = {f.rule.name: f.rows for f in findings
                   if f.rule.on_failure != "fail_dataset" and f.error is None and f.rows}
        outcome.verdicts = incremental.verdicts(plan.hashes, failing, len(frame))
        outcome.fingerprint = plan.fingerprint
    return outcome


def _positions(findings: list[_Finding], on_failure: str) -> set[int]:
    return {int(p) for f in findings if f.rule.on_failure == on_failure and f.error is None for p in f.rows}
