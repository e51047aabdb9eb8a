"""A dataset-level failure a data engineer can act on: every failing rule, its top values and counts,
no personal values, and the whole rejected batch with the rules each row failed."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from pantau.exceptions import ValidationFailed
from pantau.settings import ValidationSettings
from pantau.validation import DATASETS, validate_frame
from pantau.validation.suites import load_suite
from pantau.validation.validate import BatchRejected, describe_rule

from .conftest import AS_OF, FACTORIES


def _reject(dataset: str, frame: pd.DataFrame, settings: ValidationSettings, **kwargs: object) -> BatchRejected:
    options: dict[str, object] = {"run_key": "run9", "as_of": AS_OF, "previous_rows": None, "settings": settings}
    options.update(kwargs)
    with pytest.raises(BatchRejected) as caught:
        validate_frame(dataset, frame, **options)  # type: ignore[arg-type]
    return caught.value


def _broken_recommendations(n: int = 60) -> pd.DataFrame:
    frame = FACTORIES["recommendations"](n)
    frame.loc[:29, "jenis_pelanggaran"] = "Medsos Interaksi"
    frame.loc[30:36, "jenis_pelanggaran"] = "Foto Bersama Paslon"
    for i, label in enumerate(["Kampanye A", "Kampanye B", "Kampanye C", "Kampanye D", "Kampanye E"]):
        frame.loc[37 + i, "jenis_pelanggaran"] = label
    frame.loc[[1, 2, 50], "rekomendasi_sanksi"] = "Teguran lisan"
    return frame


def test_every_failing_rule_is_named_with_top_values_and_counts() -> None:
    settings = ValidationSettings(quarantine_min_rows=20, max_quarantine_share=0.2)
    error = _reject("recommendations", _broken_recommendations(), settings)
    message = error.args[0]
    assert "recommendations failed validation in run run9" in message
    assert "43 of 60 rows (71.7%) failed row-level expectations, above PANTAU_MAX_QUARANTINE_SHARE=20%" in message
    assert ("jenis_pelanggaran_allowed (quarantine, unknown_category): jenis_pelanggaran not in the category "
            "vocabulary: 'Medsos Interaksi' x30, 'Foto Bersama Paslon' x7, ") in message
    assert "... 2 other value(s) (42 of 60 rows)" in message  # 7 distinct values, 5 shown
    assert "rekomendasi_sanksi_allowed (quarantine, value_not_allowed): rekomendasi_sanksi not in the " \
           "recommended sanction vocabulary: 'Teguran lisan' x3 (3 of 60 rows)" in message
    assert "Failing rule 1/2" in message and "Failing rule 2/2" in message
    assert "Next: Add the spelling as a synonym in PANTAU_REFERENCE_DIR/vocabularies.csv" in message  # per rule
    summary = error.args[1]
    failed = {e["name"]: e for e in summary["failed_expectations"]}
    assert failed["jenis_pelanggaran_allowed"]["top_values"][0] == {"value": "'Medsos Interaksi'", "count": 30}
    assert failed["jenis_pelanggaran_allowed"]["distinct_values"] == 7


def test_personal_values_stay_out_of_the_message() -> None:
    frame = FACTORIES["registry"](40)
    secret_nips = ["19700512 SECRET 1", "19700512 SECRET 2"]
    frame.loc[[3, 4], "nip"] = secret_nips
    frame.loc[5:, "status"] = "cuti"
    error = _reject("registry", frame, ValidationSettings(quarantine_min_rows=20, max_quarantine_share=0.2))
    message = error.args[0]
    assert "nip_18_digits (quarantine, nip_format)" in message
    assert "2 of 40 rows; values not shown (personal data), see the rejected rows" in message
    assert "SECRET" not in message and "SECRET" not in repr(error.args[1])
    assert "'cuti' x35 (35 of 40 rows)" in message
    assert error.rejected is not None
    assert error.rejected.loc[3, "failed_rules"] == "nip_18_digits"  # the values are in the quarantine file


def test_type_drift_of_a_personal_column_shows_no_example() -> None:
    frame = FACTORIES["registry"]()
    frame["nama"] = [1970, 1971, 1972, 1973]
    message = _reject("registry", frame, ValidationSettings(quarantine_min_rows=1000)).args[0]
    assert "type drift: column 'nama' should hold text values but holds integer" in message
    assert "e.g." not in message


def test_rejected_batch_holds_every_row_with_the_rules_it_failed() -> None:
    frame = FACTORIES["bawaslu_cases"](6).drop(columns=["provinsi"])
    frame.loc[1, "status"] = "dibatalkan"
    frame.loc[1, "jenis"] = "aduan"
    frame.loc[2, "status"] = "dibatalkan"
    error = _reject("bawaslu_cases", frame, ValidationSettings(quarantine_min_rows=1000))
    rejected = error.rejected
    assert rejected is not None and len(rejected) == len(frame)
    assert rejected["record_key"].tolist() == frame["nomor_register"].tolist()
    assert rejected["failed_rules"].tolist()[:3] == ["", "jenis_allowed;status_allowed", "status_allowed"]
    assert rejected["reason_code"].tolist()[:3] == ["batch_rejected", "unknown_jenis", "unknown_status"]
    assert rejected["detail"].str.contains("schema drift").all()
    assert rejected["reason"].notna().all() and rejected["action"].notna().all()
    assert list(rejected.columns[8:]) == list(frame.columns)  # the row itself, as it was staged
    assert rejected.loc[1, "status"] == "dibatalkan"


def test_failure_survives_pickling_as_airflow_may_need() -> None:
    frame = FACTORIES["compliance_statistics"]()
    frame.loc[1, "reported"] = -1
    error = _reject("compliance_statistics", frame, ValidationSettings(quarantine_min_rows=1000))
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, ValidationFailed) and copy.args == error.args
    assert "reported_not_negative (fail_dataset, value_out_of_range): reported below 0: -1 x1" in error.args[0]


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_rule_is_described_in_words(dataset: str, settings: ValidationSettings) -> None:
    suite = load_suite(settings.expectations_dir, dataset)
    for rule in suite.rules:
        assert not describe_rule(rule, {}).startswith(rule.type), rule.name
