"""validate_frame: run a dataset's suite, quarantine failing rows, stop the dataset on drift."""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from pantau.exceptions import ValidationFailed
from pantau.pipeline.runs import quarantine_frame, quarantine_row
from pantau.settings import ValidationSettings
from pantau.validation.domain import domain_parameters
from pantau.validation.gx_runner import run_suite
from pantau.validation.schema import comparable_view, kind_problems
from pantau.validation.suites import Rule, Suite, load_suite

#: Suffix of the view column that says whether a reference column points at a known record.
KNOWN_SUFFIX = "__known"
_COLUMN_KWARGS = ("column", "column_A", "column_B")


@dataclass
class ValidationOutcome:
    """What validation let through, what it quarantined, and the summary for the run manifest.

    ``flagged`` holds quarantine-shaped rows for records that stay in ``valid`` but need a look
    (for example a follow-up naming an unknown recommendation): the review queue's input.
    """

    valid: pd.DataFrame
    quarantine: pd.DataFrame
    summary: dict[str, Any]
    docs_index: Path | None
    flagged: pd.DataFrame = field(default_factory=lambda: quarantine_frame([]))


@dataclass
class _Finding:
    rule: Rule
    success: bool
    rows: list[int]
    observed: Any
    error: str | None


def _rule_columns(rule: Rule) -> list[str]:
    columns = [rule.kwargs[k] for k in _COLUMN_KWARGS if isinstance(rule.kwargs.get(k), str)]
    return columns + list(rule.kwargs.get("column_list") or [])


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
    # A derived True/False column keeps the known keys (possibly 100k numbers) out of the suite and Data Docs.
    extra = {f"{column}{KNOWN_SUFFIX}": view[column].isna() | view[column].isin(list(known))
             for column, known in references.items() if column in view.columns}
    return view.assign(**extra) if extra else view


def _runnable(suite: Suite, view: pd.DataFrame, parameters: dict[str, Any]) -> list[str]:
    """Rules whose columns and parameters exist; the others would only raise inside GX.

    Missing source columns are reported by the table-columns rule; a reference rule whose known
    keys were not supplied is skipped and listed in the summary.
    """
    return [r.name for r in suite.rules
            if all(c in view.columns for c in _rule_columns(r)) and r.parameters <= parameters.keys()]


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
    columns = [c.removesuffix(KNOWN_SUFFIX) for c in _rule_columns(rule)]
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
                      previous_rows: int | None) -> list[str]:
    problems = []
    missing = [c for c in suite.columns if c not in frame.columns]
    if missing:
        extra = [c for c in frame.columns if c not in suite.columns]
        problems.append(f"schema drift: missing column(s) {missing}" +
                        (f"; columns not in the contract {extra} (renamed?)" if extra else "") +
                        f". Fix the producing step or update expectations/{suite.name}.json and the consumers.")
    problems += [f"type drift: {p.sentence()}; the producing step changed its output."
                 for p in kind_problems(frame, suite.columns)]
    for finding in findings:
        if finding.error is not None:
            problems.append(f"{finding.rule.name} could not be evaluated: {finding.error}")
        elif not finding.success and finding.rule.on_failure == "fail_dataset":
            problems.append(_describe_dataset_failure(finding, parameters, previous_rows, len(frame)))
    return problems


def _describe_dataset_failure(finding: _Finding, parameters: dict[str, Any], previous_rows: int | None,
                              rows: int) -> str:
    rule = finding.rule
    if rule.type == "expect_table_row_count_to_be_between":
        return (f"{rule.name}: volume anomaly, {rows} rows now against {previous_rows} in the previous run "
                f"(allowed {parameters['volume_min']}..{parameters['volume_max']}, PANTAU_VOLUME_MIN_RATIO/"
                "PANTAU_VOLUME_MAX_RATIO). Check the extract for truncation or a double load before re-running.")
    if rule.type == "expect_table_columns_to_match_set":
        return f"{rule.name}: columns {finding.observed} do not include the contract's columns."
    return (f"{rule.name} ({rule.type} on {_rule_columns(rule)}): {len(finding.rows)} row(s) failed; "
            f"an aggregate cannot be partly published. {rule.notes or ''}").strip()


def _summary(dataset: str, suite: Suite, run_key: str, as_of: date, frame: pd.DataFrame, findings: list[_Finding],
             quarantine: pd.DataFrame, flagged: pd.DataFrame, skipped: list[str]) -> dict[str, Any]:
    failed = [f for f in findings if not f.success]
    return {
        "dataset": dataset, "suite": suite.name, "run_key": run_key, "as_of": as_of.isoformat(),
        "rows_in": len(frame), "rows_valid": len(frame) - len(quarantine), "rows_quarantined": len(quarantine),
        "rows_flagged": len(flagged),
        "expectations_evaluated": len(findings), "expectations_failed": len(failed),
        "expectations_skipped": skipped,
        "failed_expectations": [{"name": f.rule.name, "type": f.rule.type, "on_failure": f.rule.on_failure,
                                 "reason_code": f.rule.reason_code, "unexpected_count": len(f.rows),
                                 "error": f.error} for f in failed],
        "quarantine_by_reason": {str(k): int(v) for k, v in quarantine["reason_code"].value_counts().items()},
    }


def validate_frame(dataset: str, frame: pd.DataFrame, *, run_key: str, as_of: date, previous_rows: int | None,
                   settings: ValidationSettings, docs_dir: Path | None,
                   references: Mapping[str, Collection[str]] | None = None) -> ValidationOutcome:
    """Validate ``frame`` against ``expectations/<dataset>.json``.

    Rows failing a ``quarantine`` rule leave ``valid`` for ``quarantine`` (one row per record, the
    failing expectation named in ``detail``). ``previous_rows`` is the row count of the same
    dataset in the previous run (None on the first run): validate like with like, e.g. the merged
    current state of a staged source, not an incremental batch. ``references`` maps a column to
    its known keys (``{"nomor_rekomendasi": recommendations["nomor_rekomendasi"]}``) for the
    reference rules, which are skipped without it.

    Raises:
        ValidationFailed: schema or type drift, a volume anomaly, a failed dataset-level rule, or a
            quarantine share above ``settings.max_quarantine_share``. ``args[1]`` is the summary.
            Data Docs are written first, so the failure can be read there.
    """
    started = time.monotonic()
    suite = load_suite(settings.expectations_dir, dataset)
    frame = frame.reset_index(drop=True)
    parameters = _parameters(as_of, previous_rows, settings)
    view = _with_references(comparable_view(frame, suite.columns), references or {})
    runnable = _runnable(suite, view, parameters)
    results, docs_index = run_suite(suite, runnable, view, parameters, run_key, docs_dir)
    findings = _findings(suite, results)
    rows = quarantine_frame(_row_entries(frame, findings, suite, run_key, "quarantine", set()))
    quarantined_positions = _positions(findings, "quarantine")
    flagged = quarantine_frame(_row_entries(frame, findings, suite, run_key, "flag", quarantined_positions))
    skipped = [r.name for r in suite.rules if r.name not in runnable]
    summary = _summary(dataset, suite, run_key, as_of, frame, findings, rows, flagged, skipped)
    summary.update(docs_index=str(docs_index) if docs_index else None, previous_rows=previous_rows,
                   volume_bounds=[parameters["volume_min"], parameters["volume_max"]])
    problems = _dataset_problems(frame, suite, findings, parameters, previous_rows)
    share = len(rows) / len(frame) if len(frame) else 0.0
    if len(frame) >= settings.quarantine_min_rows and share > settings.max_quarantine_share:
        problems.append(f"{len(rows)} of {len(frame)} rows ({share:.1%}) failed row-level expectations, above "
                        f"PANTAU_MAX_QUARANTINE_SHARE={settings.max_quarantine_share:.0%}: the source looks broken, "
                        f"not a few records. Top reasons: {summary['quarantine_by_reason']}.")
    summary.update(success=not problems, problems=problems, duration_s=round(time.monotonic() - started, 3))
    if problems:
        raise ValidationFailed(f"{dataset} failed validation in run {run_key}; nothing from it may be published: "
                               + " | ".join(problems) + (f" (Data Docs: {docs_index})" if docs_index else ""),
                               summary)
    valid = frame.drop(index=sorted(quarantined_positions)).reset_index(drop=True)
    return ValidationOutcome(valid, rows, summary, docs_index, flagged)


def _positions(findings: list[_Finding], on_failure: str) -> set[int]:
    return {int(p) for f in findings if f.rule.on_failure == on_failure and f.error is None for p in f.rows}
