"""validate_sources validates a changed staged version incrementally, from the verdicts it kept, and
falls back to a full validation when they are missing or unreadable; the outcome is always the
full validation's (tests/validation/test_incremental.py compares the two row by row)."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pandas as pd

from pantau.pipeline import quality
from pantau.settings import ValidationSettings

AS_OF = date(2025, 6, 30)
SETTINGS = ValidationSettings(quarantine_min_rows=1000)


def _frames() -> dict[str, pd.DataFrame]:
    # The hand-built clean frames of the validation tests (that folder's conftest is not importable by name).
    path = Path(__file__).parents[1] / "validation" / "conftest.py"
    spec = importlib.util.spec_from_file_location("validation_frames", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {"bawaslu_cases": module.bawaslu_cases(4), "recommendations": module.recommendations(4),
            "registry": module.registry(30), "follow_ups": module.follow_ups(4)}


def _stage(store, table: str, frame: pd.DataFrame, version: str) -> None:
    key = store.put_parquet(f"staging/{table}/{version}.parquet", frame)
    store.put_json(f"staging/{table}/_current.json", {"key": key})


def _assert_quarantine(store, pointer: dict, expected: dict[str, list[str]]) -> None:
    """The registry's validation quarantine holds exactly ``expected`` (record key -> reason codes)."""
    quarantine = store.get_parquet(pointer["quarantine_key"])
    found: dict[str, list[str]] = {}
    for key, code in zip(quarantine["record_key"], quarantine["reason_code"], strict=True):
        found.setdefault(key, []).append(code)
    assert found == expected
    validated = store.get_parquet(pointer["key"])
    assert pointer["rows_valid"] == len(validated) == pointer["rows_in"] - len(quarantine)
    assert not set(validated["nip"]) & set(expected)


def test_changed_registry_is_validated_incrementally_then_whole_when_state_is_lost(store):
    frames = _frames()
    for table, frame in frames.items():
        _stage(store, table, frame, "v1")
    first = quality.validate_sources(store, "run1", AS_OF, SETTINGS)
    assert first["registry"]["summary"]["full_reason"] == "no previous validation state"
    assert first["registry"]["verdicts_key"] == "validated/registry/run1.verdicts.parquet"

    registry = frames["registry"].copy()
    registry.loc[1, "nip"] = "12"                                         # valid -> quarantined
    registry = pd.concat([registry, registry.iloc[[4]]], ignore_index=True)  # a copy: both rows duplicates
    _stage(store, "registry", registry, "v2")
    second = quality.validate_sources(store, "run2", AS_OF, SETTINGS)
    pointer = second["registry"]
    assert pointer["validation_mode"] == "incremental"
    assert pointer["rows_checked"] < pointer["rows_in"] == len(registry)
    assert all("skipped" in second[t] for t in ("bawaslu_cases", "recommendations", "follow_ups"))
    copied = registry.loc[4, "nip"]
    _assert_quarantine(store, pointer, {"12": ["nip_format"], copied: ["duplicate_key", "duplicate_key"]})
    page = store.get_bytes(pointer["docs_index"]).decode()
    assert f"{pointer['rows_checked']} checked by the row-level rules" in page

    store.put_bytes(pointer["verdicts_key"], b"not parquet")  # lost or damaged state
    registry.loc[2, "nama"] = "Orang Dua"
    _stage(store, "registry", registry, "v3")
    third = quality.validate_sources(store, "run3", AS_OF, SETTINGS)["registry"]
    assert third["validation_mode"] == "full" and third["rows_checked"] == len(registry)
    assert third["summary"]["full_reason"].startswith("previous validation state unusable")
    _assert_quarantine(store, third, {"12": ["nip_format"], copied: ["duplicate_key", "duplicate_key"]})
