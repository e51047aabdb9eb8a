"""Incremental validation gives what a full validation of the same new version gives.

Each test validates an old version (keeping its per-row verdicts), changes it, then validates the new
version twice: incrementally from the old verdicts, and whole. Valid rows, quarantine (with reasons
and details), flags, counts, per-rule results and the verdicts kept for the next run must be equal.
"""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from pantau.settings import ValidationSettings
from pantau.validation import validate_frame
from pantau.validation.incremental import prior_from
from pantau.validation.report import expectation_rows
from pantau.validation.suites import load_suite
from pantau.validation.validate import BatchRejected

from .conftest import AS_OF, follow_ups, registry

#: Summary fields that describe how a validation ran, not what it found.
HOW = ("duration_s", "validation_mode", "full_reason", "rows_checked", "rows_reused", "rows_new")


def _validate(dataset: str, frame: pd.DataFrame, settings: ValidationSettings, *, as_of: date = AS_OF,
              references: dict | None = None, prior=None, run_key: str = "r2"):
    return validate_frame(dataset, frame, run_key=run_key, as_of=as_of, previous_rows=None, settings=settings,
                          references=references, track_rows=True, prior=prior)


def _prior(dataset: str, old: pd.DataFrame, settings: ValidationSettings, *, as_of: date = AS_OF,
           references: dict | None = None):
    first = _validate(dataset, old, settings, as_of=as_of, references=references, run_key="r1")
    # Through Parquet, as the pipeline keeps it.
    state = pd.read_parquet(_roundtrip(first.verdicts))
    return prior_from(state, len(old), as_of.isoformat(), first.fingerprint)


def _roundtrip(frame: pd.DataFrame) -> io.BytesIO:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    buffer.seek(0)
    return buffer


def _assert_same(dataset: str, incremental, full, settings: ValidationSettings) -> None:
    assert incremental.summary["validation_mode"] == "incremental", incremental.summary["full_reason"]
    assert full.summary["validation_mode"] == "full"
    pd.testing.assert_frame_equal(incremental.valid, full.valid)
    pd.testing.assert_frame_equal(incremental.quarantine, full.quarantine)
    pd.testing.assert_frame_equal(incremental.flagged, full.flagged)
    pd.testing.assert_frame_equal(incremental.verdicts, full.verdicts)
    assert {k: v for k, v in incremental.summary.items() if k not in HOW} == \
        {k: v for k, v in full.summary.items() if k not in HOW}
    suite = load_suite(settings.expectations_dir, dataset)
    rows = incremental.summary["rows_in"]
    assert expectation_rows(incremental.results, suite, rows) == expectation_rows(full.results, suite, rows)
    assert incremental.summary["rows_checked"] + incremental.summary["rows_reused"] == rows


def test_registry_change_adds_removes_and_flips_rows(settings):
    old = registry(40)
    old.loc[3, "nip"] = "123"                       # invalid, fixed below
    old.loc[6, "nip"] = old.loc[5, "nip"]           # duplicate pair, resolved below by changing row 6
    old.loc[31, "nip"] = old.loc[30, "nip"]         # duplicate pair, resolved below by removing row 31
    old.loc[9, "status_mapping"] = "unknown:0.00"   # flagged, unchanged
    new = old.copy()
    new.loc[10, "nama"] = "Orang Sepuluh"           # valid stays valid
    new.loc[3, "nip"] = "197005122000031099"        # invalid -> valid
    new.loc[12, "nip"] = "12"                       # valid -> invalid
    new.loc[6, "nip"] = "197005122000031098"        # row 5, unchanged, is no longer a duplicate
    new.loc[14, "nip"] = new.loc[15, "nip"]         # row 15, unchanged, becomes a duplicate
    added = pd.concat([registry(40).iloc[[25]].assign(nama="Orang Baru"), old.iloc[[33]]], ignore_index=True)
    new = pd.concat([new.drop(index=[20, 21, 31]), added], ignore_index=True)  # row 25's NIP and an exact copy
    prior = _prior("registry", old, settings)
    incremental = _validate("registry", new, settings, prior=prior)
    full = _validate("registry", new, settings)
    _assert_same("registry", incremental, full, settings)
    assert incremental.summary["rows_new"] == 7
    assert incremental.summary["rows_checked"] < len(new) / 2
    reasons = dict(zip(full.quarantine["record_key"], full.quarantine["reason_code"], strict=True))
    assert reasons["12"] == "nip_format" and reasons[old.loc[15, "nip"]] == "duplicate_key"
    assert old.loc[5, "nip"] not in reasons and old.loc[30, "nip"] not in reasons and "123" not in reasons
    assert (full.quarantine["record_key"] == old.loc[33, "nip"]).sum() == 2  # a copied row: both copies


def test_as_of_moving_rechecks_the_rows_between_the_dates(settings):
    old = registry(30)
    old["tanggal_lahir"] = old["tanggal_lahir"].astype(object)
    old.loc[2, "tanggal_lahir"] = "2025-07-03"                                  # future on 30 June, not on 5 July
    old["updated_at"] = old["updated_at"].astype(object)
    old.loc[4, "updated_at"] = pd.Timestamp(datetime(2025, 7, 1, 3, 0, tzinfo=UTC))  # 1 July WIB
    old.loc[7, "tanggal_lahir"] = "2025-06-29"                                  # past on 30 June, future on 28 June
    prior = _prior("registry", old, settings)
    assert prior.as_of == AS_OF
    quarantined = {}
    for after in (AS_OF + timedelta(days=5), AS_OF - timedelta(days=2)):
        incremental = _validate("registry", old, settings, as_of=after, prior=prior)
        full = _validate("registry", old, settings, as_of=after)
        _assert_same("registry", incremental, full, settings)
        assert incremental.summary["rows_new"] == 0
        assert 1 <= incremental.summary["rows_checked"] < len(old)
        quarantined[after] = set(full.quarantine["record_key"])
    # The verdicts did flip both ways, so the comparisons above were about real changes.
    assert quarantined[AS_OF + timedelta(days=5)] == set()
    assert quarantined[AS_OF - timedelta(days=2)] == {old.loc[i, "nip"] for i in (2, 4, 7)}


def test_follow_ups_recheck_references_and_compound_keys(settings):
    old = follow_ups(8)
    old["bkd"] = ["sumbar"] * 4 + ["jatim"] * 4
    old.loc[6, "id"] = old.loc[5, "id"]  # (jatim, id) repeated
    known_old = {f"R-{i:04d}/KASN/2024" for i in (0, 1, 3, 4)}
    known_new = {f"R-{i:04d}/KASN/2024" for i in (1, 2, 3, 4)}  # R-0000 gone, R-0002 appeared
    new = old.copy()
    new.loc[6, "id"] = "70"             # the pair resolves: row 5 is unchanged
    new.loc[7, "id"] = new.loc[4, "id"]  # new pair with unchanged row 4 (same bkd)
    prior = _prior("follow_ups", old, settings, references={"nomor_rekomendasi": known_old})
    incremental = _validate("follow_ups", new, settings, references={"nomor_rekomendasi": known_new}, prior=prior)
    full = _validate("follow_ups", new, settings, references={"nomor_rekomendasi": known_new})
    _assert_same("follow_ups", incremental, full, settings)
    flagged = set(full.flagged["detail"].str.extract(r"nomor_rekomendasi='([^']+)'")[0])
    assert "R-0000/KASN/2024" in flagged and "R-0002/KASN/2024" not in flagged
    assert incremental.summary["rows_checked"] < len(new)


def test_a_changed_suite_or_setting_forces_full_validation(settings, tmp_path):
    old = registry(12)
    new = old.copy()
    new.loc[1, "nama"] = "Orang Satu"
    prior = _prior("registry", old, settings)
    folder = tmp_path / "expectations"
    shutil.copytree(settings.expectations_dir, folder)
    suite = json.loads((folder / "registry.json").read_text())
    nama = next(e for e in suite["expectations"] if e["meta"]["name"] == "nama_present")
    nama["kwargs"]["column"] = "unit_kerja"
    (folder / "registry.json").write_text(json.dumps(suite))
    for changed in (ValidationSettings(quarantine_min_rows=1000, expectations_dir=folder),
                    ValidationSettings(quarantine_min_rows=1000, max_quarantine_share=0.3)):
        outcome = _validate("registry", new, changed, prior=prior)
        assert outcome.summary["validation_mode"] == "full"
        assert "suite" in outcome.summary["full_reason"]
        assert outcome.summary["rows_checked"] == len(new)
    # With the changed suite, the row whose unit_kerja is empty is now quarantined: it was checked.
    new.loc[2, "unit_kerja"] = None
    outcome = _validate("registry", new, ValidationSettings(quarantine_min_rows=1000, expectations_dir=folder),
                        prior=prior)
    assert outcome.summary["rows_quarantined"] == 1


def test_unusable_prior_state_is_refused():
    state = pd.DataFrame({"row_hash": pd.Series([1, 2], dtype="uint64"), "failed": ["", ""]})
    for frame, rows in ((state, 3), (state.rename(columns={"failed": "x"}), 2)):
        with pytest.raises(ValueError):
            prior_from(frame, rows, "2025-06-30", "f")


def test_dataset_level_failures_are_judged_on_the_whole_version():
    tight = ValidationSettings(quarantine_min_rows=10)
    old = registry(30)
    new = old.copy()
    new.loc[0:9, "nip"] = "1"  # a third of the rows now fail: above the 20 % quarantine share
    prior = _prior("registry", old, tight)
    failures = []
    for given in (prior, None):
        with pytest.raises(BatchRejected) as caught:
            # 1000 rows last time: the row count rule, judged on the placeholder frame, fails too.
            validate_frame("registry", new, run_key="r2", as_of=AS_OF, previous_rows=1000, settings=tight,
                           track_rows=True, prior=given)
        failures.append(caught.value)
    incremental, full = failures
    assert incremental.summary["validation_mode"] == "incremental"
    assert incremental.args[0] == full.args[0]
    assert "volume anomaly" in full.args[0] and "PANTAU_MAX_QUARANTINE_SHARE" in full.args[0]
    pd.testing.assert_frame_equal(incremental.rejected, full.rejected)
