"""Validation report pages: one self-contained HTML page per validated table and run, and an index.

These pages replace GX's Data Docs, which load bootstrap, jQuery, Vega and Font Awesome from CDNs
(the deployment has no network) and list unexpected values, i.e. full NIPs and names, in pages under
``published/`` (public). A page here is rendered from the counts GX reports and from the suite, never
from a value of the data: no unexpected-value lists, no partial lists, no sample rows, no observed
values except row counts and the contract's own column names. Where the failing records are is said
by naming the quarantine object, which is restricted.

Pages carry inline CSS only, no script, no external URL and a Content-Security-Policy that forbids
fetching anything, so a page opened from a download or from the local mirror of the bucket works as
it does on S3 static hosting. Links are relative (``<run_key>/<table>.html`` from the index,
``../index.html`` back). Output is deterministic for the same inputs (no clock, no duration), so a
retried run produces the same bytes and the write-once store accepts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from pantau.reasons import reason
from pantau.validation.suites import Rule, Suite
from pantau.validation.validate import KNOWN_SUFFIX, describe_rule

#: Object-store prefix of the pages; ``<prefix>/<run_key>/<table>.html`` and ``<prefix>/index.html``.
REPORT_PREFIX = "published/validation"
#: Validations the index page lists (newest first); older pages stay where they are.
INDEX_LIMIT = 1000
#: Kwargs that name columns (shown as the rule's columns) or are GX's bookkeeping.
_COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")
_HIDDEN_KWARGS = ("batch_id", "condition_parser")
#: Summary fields an index entry keeps (counts and names only).
_ENTRY_FIELDS = ("run_key", "dataset", "suite", "as_of", "rows_in", "rows_valid", "rows_quarantined",
                 "rows_flagged", "expectations_evaluated", "expectations_failed")

_env = Environment(loader=PackageLoader("pantau.validation", "templates"),
                   autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def report_key(run_key: str, dataset: str) -> str:
    """``published/validation/<run_key>/<dataset>.html``."""
    return f"{REPORT_PREFIX}/{run_key}/{dataset}.html"


def verdict(summary: Mapping[str, Any]) -> str:
    """``rejected`` (dataset-level failure), ``rows quarantined`` or ``passed``."""
    if not summary.get("success", False):
        return "rejected"
    return "rows quarantined" if summary.get("rows_quarantined") else "passed"


def _parameters(rule: Rule, config_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    # GX substitutes {"$PARAMETER": p} in the result's copy of the kwargs: read the values back from there.
    return {v["$PARAMETER"]: config_kwargs.get(k) for k, v in rule.kwargs.items()
            if isinstance(v, dict) and "$PARAMETER" in v}


def _shown_setting(value: Any, resolved: Any) -> str:
    if isinstance(value, dict) and "$PARAMETER" in value:
        name = value["$PARAMETER"]
        if isinstance(resolved, list | tuple | set | frozenset):
            return f"{name} ({len(resolved)} values)"
        if isinstance(resolved, pd.Timestamp):
            resolved = resolved.date().isoformat()
        return f"{name} = {resolved}"
    if isinstance(value, list | tuple):
        return f"{len(value)} values"
    if isinstance(value, dict):  # row_condition in GX's structured form
        return str(value.get("pass_through_filter") or value)
    return str(value)


def _settings(rule: Rule, config_kwargs: Mapping[str, Any]) -> list[str]:
    """The rule's kwargs that are configuration, not columns: every one comes from the suite or the
    run's parameters (vocabulary names, bounds, regexes), none from the data."""
    return [f"{k}: {_shown_setting(v, config_kwargs.get(k))}" for k, v in rule.kwargs.items()
            if k not in _COLUMN_KWARGS and k not in _HIDDEN_KWARGS]


def _columns(rule: Rule) -> list[str]:
    named = [rule.kwargs[k] for k in ("column", "column_A", "column_B") if isinstance(rule.kwargs.get(k), str)]
    return [c.removesuffix(KNOWN_SUFFIX) for c in named + list(rule.kwargs.get("column_list") or [])]


def _observed(rule: Rule, result: Any) -> str | None:
    """The only observed values a page shows: a row count, and contract columns the table lacks."""
    outcome = result.result or {}
    if rule.type == "expect_table_row_count_to_be_between":
        return f"{outcome.get('observed_value')} rows"
    if rule.type == "expect_table_columns_to_match_set":
        # Column names outside the contract are not shown: a misread spreadsheet can turn a data row
        # (names, NIPs) into the header. Only the contract's names, and how many others there are.
        present = set(outcome.get("observed_value") or [])
        contract = list(rule.kwargs.get("column_set") or [])
        missing = [c for c in contract if c not in present]
        others = len(present - set(contract))
        text = f"missing contract column(s): {', '.join(missing)}" if missing else "every contract column present"
        return text + (f"; {others} other column(s)" if others else "")
    return None


def _rule_row(rule: Rule, result: Any | None, rows_in: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": rule.name, "type": rule.type, "columns": _columns(rule), "on_failure": rule.on_failure,
        "reason_code": rule.reason_code, "reason": reason(rule.reason_code).sentence,
        "status": "not evaluated", "unexpected_count": None, "unexpected_percent": None, "observed": None,
    }
    if result is None:
        row["checks"] = describe_rule(rule, {})
        row["settings"] = _settings(rule, {})
        return row
    config_kwargs = dict(result.expectation_config.kwargs or {})
    row["checks"] = describe_rule(rule, _parameters(rule, config_kwargs))
    row["settings"] = _settings(rule, config_kwargs)
    info = result.exception_info or {}
    if info.get("raised_exception"):
        # GX's exception text may quote the data; the failure message and task log carry it.
        row["status"] = "error"
        return row
    row["status"] = "passed" if result.success else "failed"
    count = (result.result or {}).get("unexpected_count")
    if count is not None:
        row["unexpected_count"] = int(count)
        row["unexpected_percent"] = round(100 * int(count) / rows_in, 2) if rows_in else None
    row["observed"] = _observed(rule, result)
    return row


def _rule_from_result(name: str, result: Any) -> Rule:
    config = result.expectation_config
    meta = dict(config.meta or {})
    kwargs = {k: v for k, v in dict(config.kwargs or {}).items() if k not in _HIDDEN_KWARGS}
    return Rule(name, config.type, kwargs, meta.get("reason_code", ""), meta.get("on_failure", "quarantine"), None)


def expectation_rows(gx_results: Mapping[str, Any], suite: Suite | None, rows_in: int) -> list[dict[str, Any]]:
    """One row per expectation, suite order; rules the run could not evaluate are listed too.

    Without ``suite`` the rules are read back from GX's results (kwargs with parameters substituted).
    """
    if suite is not None:
        return [_rule_row(rule, gx_results.get(rule.name), rows_in) for rule in suite.rules]
    return [_rule_row(_rule_from_result(name, result), result, rows_in) for name, result in gx_results.items()]


def _problem_headlines(summary: Mapping[str, Any]) -> list[str]:
    # The cause before the first ":" (the convention of validate.rejected_batch); what follows may
    # quote offending values, which a page never shows.
    return [str(p).split(":", 1)[0] for p in summary.get("problems") or []]


def _location(bucket: str | None, key: str | None) -> str | None:
    if not key:
        return None
    return f"s3://{bucket}/{key}" if bucket else key


def render_validation_report(dataset: str, run_key: str, summary: Mapping[str, Any], gx_results: Mapping[str, Any],
                             *, suite: Suite | None = None, version: str | None = None,
                             quarantine_key: str | None = None, rejected_key: str | None = None,
                             bucket: str | None = None, index_href: str = "../index.html") -> str:
    """The report page of one validation of ``dataset`` in run ``run_key``.

    ``summary`` is :func:`pantau.validation.validate_frame`'s summary (counts, problems),
    ``gx_results`` GX's results by rule name (read for counts and success only), ``version`` the
    version validated (staged object key or candidate), ``quarantine_key``/``rejected_key`` the
    restricted objects holding the quarantined rows or the rejected batch.
    """
    rows_in = int(summary.get("rows_in") or 0)
    rows = expectation_rows(gx_results, suite, rows_in)
    by_reason = [{"code": code, "reason": reason(code).sentence, "count": int(count)}
                 for code, count in sorted((summary.get("quarantine_by_reason") or {}).items())]
    held = rows_in and (summary.get("rows_quarantined") or summary.get("rows_flagged"))
    return _env.get_template("validation_report.html.j2").render(
        dataset=dataset, run_key=run_key, suite=summary.get("suite") or dataset, as_of=summary.get("as_of"),
        version=version, verdict=verdict(summary), summary=summary, rules=rows, by_reason=by_reason,
        problems=_problem_headlines(summary), type_drift=summary.get("type_drift") or [],
        quarantine=_location(bucket, quarantine_key) if held else None,
        rejected=_location(bucket, rejected_key), index_href=index_href,
        failed=sum(r["status"] in ("failed", "error") for r in rows),
        not_evaluated=sum(r["status"] == "not evaluated" for r in rows))


def index_entry(summary: Mapping[str, Any], key: str, version: str | None = None) -> dict[str, Any]:
    """What the index keeps of one validation: counts, names and the page's key (no record content)."""
    entry = {k: summary.get(k) for k in _ENTRY_FIELDS}
    entry.update(verdict=verdict(summary), version=version, key=key)
    return entry


def merge_index(entries: Iterable[Mapping[str, Any]], entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``entries`` (oldest first) with ``entry`` appended; a retry of the same run and table replaces its
    earlier entry; at most :data:`INDEX_LIMIT` kept."""
    same = (entry["run_key"], entry["dataset"])
    kept = [dict(e) for e in entries if (e.get("run_key"), e.get("dataset")) != same]
    return (kept + [dict(entry)])[-INDEX_LIMIT:]


def render_validation_index(entries: Iterable[Mapping[str, Any]]) -> str:
    """The index page at ``published/validation/index.html``: ``entries`` oldest first, shown newest first,
    each linked relatively to its page."""
    shown = []
    blank = dict.fromkeys((*_ENTRY_FIELDS, "verdict", "version", "key"))
    for entry in reversed(list(entries)):
        entry = {**blank, **entry}  # an entry written by an older version may lack a field
        key = str(entry.get("key") or "")
        relative = key.removeprefix(f"{REPORT_PREFIX}/") if key.startswith(f"{REPORT_PREFIX}/") else None
        shown.append({**entry, "href": quote(relative) if relative else None})
    return _env.get_template("validation_index.html.j2").render(entries=shown, limit=INDEX_LIMIT)
