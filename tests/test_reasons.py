"""Tests for pantau.reasons, the quarantine reason registry."""

from __future__ import annotations

import re

import pytest

from pantau.reasons import REASONS, Reason, reason

REQUIRED = {
    "missing_field", "wrong_type", "impossible_date", "future_date", "empty_name", "nip_excel_damaged",
    "nip_bad_length", "nip_bad_birth_date", "nip_bad_appointment", "nip_bad_gender", "nip_bad_sequence",
    "nip_missing", "unparseable_date", "unknown_status", "unknown_jenis", "duplicate_record",
    "header_not_found", "total_row", "blank_row", "invalid_json", "unknown_column",
}  # fmt: skip


def test_required_codes_present() -> None:
    assert REQUIRED <= set(REASONS)


@pytest.mark.parametrize("code", sorted(REASONS))
def test_each_reason_is_well_formed(code: str) -> None:
    entry = REASONS[code]
    assert isinstance(entry, Reason) and entry.code == code
    assert re.fullmatch(r"[a-z][a-z0-9_]*", code)
    assert entry.sentence.endswith(".") and "\n" not in entry.sentence
    assert entry.action and "\n" not in entry.action


def test_reason_lookup() -> None:
    assert reason("nip_missing") is REASONS["nip_missing"]
    with pytest.raises(KeyError, match="unknown quarantine reason code 'nope'.*nip_missing"):
        reason("nope")


def test_reason_is_frozen() -> None:
    with pytest.raises(AttributeError):
        REASONS["blank_row"].code = "x"  # type: ignore[misc]
