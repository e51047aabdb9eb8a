"""Load the Great Expectations suites in ``expectations/`` and the Pantau rules written in their meta.

A suite is plain GX 1.x JSON (``name``, ``expectations``, ``meta``) so GX tools read it unchanged.
Pantau adds two things in ``meta``:

- suite ``meta.pantau``: ``key`` (the record key columns, used in quarantine rows) and ``columns``
  (every required column and its kind: text, date, timestamp, boolean, number, any);
- expectation ``meta``: ``name`` (stable, shown in quarantine details and report pages), ``reason_code``
  (from :mod:`pantau.reasons`) and ``on_failure``: ``quarantine`` (the failing rows are quarantined,
  the rest flows on), ``flag`` (rows are kept and reported) or ``fail_dataset`` (nothing is published).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pantau.exceptions import ConfigError
from pantau.reasons import reason

#: Every dataset that has a suite: the four staged sources and the three published datasets.
DATASETS: tuple[str, ...] = (
    "bawaslu_cases", "recommendations", "registry", "follow_ups",
    "consolidated_cases", "overdue_recommendations", "compliance_statistics",
)  # fmt: skip
ON_FAILURE = ("quarantine", "flag", "fail_dataset")
KINDS = ("text", "date", "timestamp", "boolean", "number", "any")


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite, with what Pantau does when it fails."""

    name: str
    type: str
    kwargs: dict[str, Any]
    reason_code: str
    on_failure: str
    notes: str | None

    @property
    def columns(self) -> list[str]:
        """The columns the expectation names (``column``, ``column_A``/``column_B``, ``column_list``)."""
        named = [self.kwargs[k] for k in ("column", "column_A", "column_B") if isinstance(self.kwargs.get(k), str)]
        return named + list(self.kwargs.get("column_list") or [])

    @property
    def parameters(self) -> set[str]:
        """Names of the ``{"$PARAMETER": name}`` values this expectation needs at run time."""
        return {v["$PARAMETER"] for v in self.kwargs.values() if isinstance(v, dict) and "$PARAMETER" in v}


@dataclass(frozen=True)
class Suite:
    name: str
    key: tuple[str, ...]
    columns: dict[str, str]
    rules: tuple[Rule, ...]
    raw: dict[str, Any]

    def rule(self, name: str) -> Rule:
        return next(r for r in self.rules if r.name == name)


def _rule(suite: str, entry: dict[str, Any]) -> Rule:
    meta = entry.get("meta") or {}
    name = meta.get("name")
    if not name:
        raise ConfigError(f"suite {suite}: an expectation of type {entry.get('type')} has no meta.name")
    on_failure = meta.get("on_failure", "quarantine")
    if on_failure not in ON_FAILURE:
        raise ConfigError(f"suite {suite}, {name}: on_failure must be one of {ON_FAILURE}, got {on_failure!r}")
    code = meta.get("reason_code", "")
    reason(code)  # an unknown code fails at load time, not when a row first trips the rule
    return Rule(name, entry["type"], dict(entry.get("kwargs") or {}), code, on_failure, entry.get("notes"))


def parse_suite(raw: dict[str, Any]) -> Suite:
    name = raw["name"]
    pantau = (raw.get("meta") or {}).get("pantau") or {}
    columns: dict[str, str] = dict(pantau.get("columns") or {})
    bad_kinds = {c: k for c, k in columns.items() if k not in KINDS}
    if bad_kinds:
        raise ConfigError(f"suite {name}: unknown column kinds {bad_kinds}; use one of {KINDS}")
    rules = tuple(_rule(name, e) for e in raw.get("expectations", []))
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ConfigError(f"suite {name}: expectation names must be unique, got {names}")
    return Suite(name, tuple(pantau.get("key") or ()), columns, rules, raw)


@lru_cache(maxsize=32)
def load_suite(folder: Path, dataset: str) -> Suite:
    """Read ``<folder>/<dataset>.json``; cached, since suites change only with a deployment."""
    if dataset not in DATASETS:
        raise ConfigError(f"no validation suite for dataset {dataset!r}; known datasets: {', '.join(DATASETS)}")
    path = folder / f"{dataset}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"validation suite {path} is missing; set PANTAU_EXPECTATIONS_DIR to the "
                          "folder holding the suites") from exc
    return parse_suite(raw)
