"""Every expectation of every suite: inject its defect into a clean frame, assert what happens.

Row-level rules must quarantine exactly the defective record with the rule's reason code (and name
the expectation in the detail); dataset-level rules must raise ValidationFailed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from pantau.exceptions import ValidationFailed
from pantau.settings import ValidationSettings
from pantau.validation import DATASETS, validate_frame
from pantau.validation.suites import load_suite
from pantau.validation.validate import BatchRejected

from .conftest import AS_OF, FACTORIES

FUTURE = AS_OF + timedelta(days=3)
FUTURE_TS = datetime(2025, 7, 2, 10, 0, tzinfo=UTC)
Mutation = Callable[[pd.DataFrame], None]


def _set(column: str, value: object, row: int = 1) -> Mutation:
    def mutate(frame: pd.DataFrame) -> None:
        frame[column] = frame[column].astype(object)
        frame.at[row, column] = value
    return mutate


def _copy(column: str, source: int = 0, row: int = 1) -> Mutation:
    def mutate(frame: pd.DataFrame) -> None:
        frame.at[row, column] = frame.at[source, column]
    return mutate


def _days(column: str, delta: int, base: str | None = None, row: int = 1) -> Mutation:
    def mutate(frame: pd.DataFrame) -> None:
        frame.at[row, column] = frame.at[row, base or column] + timedelta(days=delta)
    return mutate


def _both(*mutations: Mutation) -> Mutation:
    def mutate(frame: pd.DataFrame) -> None:
        for m in mutations:
            m(frame)
    return mutate


# (dataset, expectation name, defect, reason code) — one entry per row-level expectation.
ROW_DEFECTS: list[tuple[str, str, Mutation, str]] = [
    ("bawaslu_cases", "nomor_register_present", _set("nomor_register", None), "missing_field"),
    ("bawaslu_cases", "nomor_register_unique", _copy("nomor_register"), "duplicate_key"),
    ("bawaslu_cases", "jenis_allowed", _set("jenis", "aduan"), "unknown_jenis"),
    ("bawaslu_cases", "status_allowed", _set("status", "dibatalkan"), "unknown_status"),
    ("bawaslu_cases", "kategori_allowed", _set("kategori", "KAMPANYE_HITAM"), "unknown_category"),
    ("bawaslu_cases", "nama_raw_present", _set("nama_raw", None), "empty_name"),
    ("bawaslu_cases", "tanggal_register_present", _set("tanggal_register", None), "missing_field"),
    ("bawaslu_cases", "tanggal_register_not_in_future", _both(_set("tanggal_register", FUTURE),
                                                              _set("tanggal_diteruskan", None)), "future_date"),
    ("bawaslu_cases", "tanggal_diteruskan_not_in_future", _set("tanggal_diteruskan", FUTURE), "future_date"),
    ("bawaslu_cases", "updated_at_not_in_future", _set("updated_at", FUTURE_TS), "future_date"),
    ("bawaslu_cases", "forwarded_not_before_registered", _days("tanggal_diteruskan", -1, "tanggal_register"),
     "date_order"),
    ("bawaslu_cases", "nip_18_digits", _set("nip", "19700512200003100"), "nip_format"),
    ("bawaslu_cases", "nip_present_when_valid", _set("nip", None), "nip_format"),
    ("recommendations", "nomor_rekomendasi_present", _set("nomor_rekomendasi", None), "missing_field"),
    ("recommendations", "nomor_rekomendasi_unique", _copy("nomor_rekomendasi"), "duplicate_key"),
    ("recommendations", "nama_raw_present", _set("nama_raw", None), "empty_name"),
    ("recommendations", "tanggal_rekomendasi_present", _set("tanggal_rekomendasi", None), "missing_field"),
    ("recommendations", "tanggal_rekomendasi_not_in_future", _set("tanggal_rekomendasi", FUTURE), "future_date"),
    ("recommendations", "jenis_pelanggaran_allowed", _set("jenis_pelanggaran", "Kampanye hitam"), "unknown_category"),
    ("recommendations", "rekomendasi_sanksi_allowed", _set("rekomendasi_sanksi", "Teguran lisan"), "value_not_allowed"),
    ("recommendations", "nip_18_digits", _set("nip", "1.98004E+17"), "nip_format"),
    ("recommendations", "nip_present_when_valid", _set("nip", None), "nip_format"),
    ("registry", "nip_present", _set("nip", None), "nip_missing"),
    ("registry", "nip_18_digits", _set("nip", "19700512 200003 1 001"), "nip_format"),
    ("registry", "nip_flagged_valid", _set("nip_valid", False), "nip_format"),
    ("registry", "nip_unique", _copy("nip"), "duplicate_key"),
    ("registry", "nama_present", _set("nama", None), "empty_name"),
    ("registry", "jenis_asn_allowed", _set("jenis_asn", "HONORER"), "unknown_jenis"),
    ("registry", "status_allowed", _set("status", "cuti"), "value_not_allowed"),
    ("registry", "tanggal_lahir_not_in_future", _set("tanggal_lahir", "2030-01-01"), "future_date"),
    ("registry", "updated_at_not_in_future", _set("updated_at", pd.Timestamp(FUTURE_TS)), "future_date"),
    ("follow_ups", "id_present", _set("id", None), "missing_field"),
    ("follow_ups", "bkd_id_unique", _copy("id"), "duplicate_key"),
    ("follow_ups", "nomor_sk_present", _set("nomor_sk", None), "missing_field"),
    ("follow_ups", "tanggal_sk_present", _set("tanggal_sk", None), "missing_field"),
    ("follow_ups", "tanggal_sk_not_in_future", _set("tanggal_sk", FUTURE), "future_date"),
    ("follow_ups", "updated_at_not_in_future", _set("updated_at", pd.Timestamp(FUTURE_TS)), "future_date"),
    ("follow_ups", "jenis_sanksi_allowed", _set("jenis_sanksi", "Teguran lisan"), "value_not_allowed"),
    ("follow_ups", "nip_18_digits", _set("nip", "123"), "nip_format"),
    ("follow_ups", "nip_present_when_valid", _set("nip", None), "nip_format"),
    ("consolidated_cases", "case_recommendation_unique",
     _both(_copy("nomor_register"), _copy("nomor_rekomendasi")), "duplicate_key"),
    ("consolidated_cases", "nomor_rekomendasi_unique", _copy("nomor_rekomendasi"), "duplicate_key"),
    ("consolidated_cases", "follow_up_key_unique", _copy("follow_up_key"), "duplicate_key"),
    ("consolidated_cases", "case_status_allowed", _set("case_status", "ditolak"), "unknown_status"),
    ("consolidated_cases", "kategori_allowed", _set("kategori", "X"), "unknown_category"),
    ("consolidated_cases", "rekomendasi_sanksi_allowed", _set("rekomendasi_sanksi", "X"), "value_not_allowed"),
    ("consolidated_cases", "jenis_sanksi_allowed", _set("jenis_sanksi", "X"), "value_not_allowed"),
    ("consolidated_cases", "case_link_allowed", _set("case_link", "guess"), "value_not_allowed"),
    ("consolidated_cases", "person_match_allowed", _set("person_match", "guess"), "value_not_allowed"),
    ("consolidated_cases", "match_confidence_0_to_1", _set("match_confidence", 1.5), "value_out_of_range"),
    ("consolidated_cases", "tanggal_register_not_in_future", _set("tanggal_register", FUTURE), "future_date"),
    ("consolidated_cases", "tanggal_rekomendasi_not_in_future", _set("tanggal_rekomendasi", FUTURE), "future_date"),
    ("consolidated_cases", "tanggal_sk_not_in_future", _set("tanggal_sk", FUTURE, row=0), "future_date"),
    ("consolidated_cases", "recommendation_not_before_registration",
     _days("tanggal_rekomendasi", -1, "tanggal_register"), "date_order"),
    ("consolidated_cases", "decree_not_before_recommendation",
     _days("tanggal_sk", -1, "tanggal_rekomendasi", row=0), "date_order"),
    ("consolidated_cases", "nip_18_digits", _set("nip", "19700512"), "nip_format"),
    ("overdue_recommendations", "nomor_rekomendasi_present", _set("nomor_rekomendasi", None), "missing_field"),
    ("overdue_recommendations", "nomor_rekomendasi_unique", _copy("nomor_rekomendasi"), "duplicate_key"),
    ("overdue_recommendations", "state_allowed", _set("state", "late"), "value_not_allowed"),
    ("overdue_recommendations", "only_proven", _set("terbukti", False), "inconsistent_record"),
    ("overdue_recommendations", "no_follow_up_yet", _set("follow_up_id", "7"), "inconsistent_record"),
    ("overdue_recommendations", "tanggal_rekomendasi_not_in_future",
     _both(_set("tanggal_rekomendasi", FUTURE), _days("due_date", 20, "tanggal_rekomendasi"),
           _days("escalation_date", 40, "tanggal_rekomendasi")), "future_date"),
    ("overdue_recommendations", "due_not_before_recommendation", _days("due_date", -1, "tanggal_rekomendasi"),
     "date_order"),
    ("overdue_recommendations", "escalation_not_before_due", _days("escalation_date", -1, "due_date"), "date_order"),
    ("overdue_recommendations", "days_overdue_not_negative", _set("days_overdue", -1), "value_out_of_range"),
]


def _unknown(column: str, raw: str, row: int = 1) -> Mutation:
    """What staging writes for a value its vocabulary does not know: no code, the raw value, 'unknown'."""
    def mutate(frame: pd.DataFrame) -> None:
        for name, value in ((column, None), (f"{column}_raw", raw), (f"{column}_mapping", "unknown:0.00")):
            frame[name] = frame[name].astype(object)
            frame.at[row, name] = value
    return mutate


# (dataset, expectation name, defect, reason code) — one entry per flag rule: the record stays valid.
FLAG_DEFECTS: list[tuple[str, str, Mutation, str]] = [
    ("bawaslu_cases", "jenis_mapped", _unknown("jenis", "aduan"), "unknown_jenis"),
    ("bawaslu_cases", "status_mapped", _unknown("status", "dibatalkan"), "unknown_status"),
    ("bawaslu_cases", "kategori_mapped", _unknown("kategori", "KAMPANYE_HITAM"), "unknown_category"),
    ("recommendations", "jenis_pelanggaran_mapped", _unknown("jenis_pelanggaran", "Kampanye hitam"),
     "unknown_category"),
    ("recommendations", "rekomendasi_sanksi_mapped", _unknown("rekomendasi_sanksi", "Teguran lisan"),
     "value_not_allowed"),
    ("recommendations", "terbukti_mapped", _unknown("terbukti", "Belum terbukti"), "value_not_allowed"),
    ("registry", "jenis_asn_mapped", _unknown("jenis_asn", "HONORER"), "unknown_jenis"),
    ("registry", "status_mapped", _unknown("status", "Diberhentikan sementara"), "unknown_status"),
    ("follow_ups", "jenis_sanksi_mapped", _unknown("jenis_sanksi", "Teguran tertulis"), "value_not_allowed"),
]


def _run(dataset: str, frame: pd.DataFrame, settings: ValidationSettings, **kwargs: object):
    options: dict[str, object] = {"run_key": "test", "as_of": AS_OF, "previous_rows": None, "settings": settings}
    options.update(kwargs)
    return validate_frame(dataset, frame, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("dataset", DATASETS)
def test_clean_frame_passes(dataset: str, settings: ValidationSettings) -> None:
    frame = FACTORIES[dataset]()
    outcome = _run(dataset, frame, settings, previous_rows=len(frame))
    assert outcome.summary["success"] is True
    assert outcome.summary["expectations_failed"] == 0
    assert outcome.quarantine.empty and len(outcome.valid) == len(frame)


@pytest.mark.parametrize(("dataset", "rule", "defect", "code"), ROW_DEFECTS,
                         ids=[f"{d}.{r}" for d, r, _, _ in ROW_DEFECTS])
def test_row_defect_is_quarantined(dataset: str, rule: str, defect: Mutation, code: str,
                                   settings: ValidationSettings) -> None:
    frame = FACTORIES[dataset]()
    defect(frame)
    outcome = _run(dataset, frame, settings)
    assert outcome.quarantine["reason_code"].tolist()[:1] == [code]
    assert f"{dataset}.{rule} failed" in outcome.quarantine["detail"].iloc[0]
    assert rule in {f["name"] for f in outcome.summary["failed_expectations"]}
    assert len(outcome.valid) + len(outcome.quarantine) == len(frame)
    assert outcome.summary["rows_quarantined"] == len(outcome.quarantine)


def test_every_row_rule_has_a_defect_test(settings: ValidationSettings) -> None:
    covered = {(d, r) for d, r, _, _ in ROW_DEFECTS}
    for dataset in DATASETS:
        suite = load_suite(settings.expectations_dir, dataset)
        rules = {(dataset, r.name) for r in suite.rules if r.on_failure == "quarantine"}
        assert rules <= covered, rules - covered


@pytest.mark.parametrize(("dataset", "rule", "defect", "code"), FLAG_DEFECTS,
                         ids=[f"{d}.{r}" for d, r, _, _ in FLAG_DEFECTS])
def test_unknown_vocabulary_value_is_flagged_not_quarantined(dataset: str, rule: str, defect: Mutation, code: str,
                                                             settings: ValidationSettings) -> None:
    frame = FACTORIES[dataset]()
    defect(frame)
    outcome = _run(dataset, frame, settings)
    assert outcome.quarantine.empty and len(outcome.valid) == len(frame)
    assert outcome.flagged["reason_code"].tolist() == [code]
    assert f"{dataset}.{rule} failed" in outcome.flagged["detail"].iloc[0]
    assert outcome.summary["rows_flagged"] == 1


def test_every_flag_rule_has_a_test(settings: ValidationSettings) -> None:
    covered = {(d, r) for d, r, _, _ in FLAG_DEFECTS} | {("follow_ups", "recommendation_known")}
    for dataset in DATASETS:
        suite = load_suite(settings.expectations_dir, dataset)
        rules = {(dataset, r.name) for r in suite.rules if r.on_failure == "flag"}
        assert rules <= covered, rules - covered


def test_batch_of_unknown_labels_still_publishes() -> None:
    # Issue 9: every recommendation wrote its category in words nobody listed. They are counted and
    # flagged, none is quarantined, so the share rule (which stops a broken source) does not fire.
    settings = ValidationSettings(quarantine_min_rows=1, max_quarantine_share=0.2)
    frame = FACTORIES["recommendations"](30)
    frame["jenis_pelanggaran"] = None
    frame["jenis_pelanggaran_raw"] = "Pelanggaran kode etik netralitas"
    frame["jenis_pelanggaran_mapping"] = "unknown:0.00"
    outcome = _run("recommendations", frame, settings)
    assert outcome.summary["success"] and len(outcome.valid) == 30 and outcome.quarantine.empty
    failed = {f["name"]: f["unexpected_count"] for f in outcome.summary["failed_expectations"]}
    assert failed == {"jenis_pelanggaran_mapped": 30}
    assert outcome.summary["rows_flagged"] == 30


def test_unknown_reference_is_flagged_not_quarantined(settings: ValidationSettings) -> None:
    frame = FACTORIES["follow_ups"]()
    known = ["R-0000/KASN/2024", "R-0001/KASN/2024"]  # row 2 refers to R-0002, unknown; row 3 has none
    outcome = _run("follow_ups", frame, settings, references={"nomor_rekomendasi": known})
    assert outcome.quarantine.empty and len(outcome.valid) == len(frame)
    assert outcome.flagged["reason_code"].tolist() == ["unknown_reference"]
    assert outcome.flagged["record_key"].tolist() == ["sumbar|3"]
    assert outcome.summary["rows_flagged"] == 1


def test_reference_rule_is_skipped_without_references(settings: ValidationSettings) -> None:
    outcome = _run("follow_ups", FACTORIES["follow_ups"](), settings)
    assert outcome.summary["expectations_skipped"] == ["recommendation_known"]


COMPLIANCE_DEFECTS: list[tuple[str, Mutation]] = [
    ("group_unique", _copy("kabkota_code")),
    *[(f"{c}_not_negative", _set(c, -1)) for c in ("reported", "forwarded", "recommended", "proven", "followed_up")],
    ("median_working_days_to_follow_up_not_negative", _set("median_working_days_to_follow_up", -2.0)),
    ("follow_up_rate_not_negative", _set("follow_up_rate", -0.1)),
    ("forwarded_within_reported", _set("forwarded", 11)),
    ("proven_within_recommended", _set("proven", 7)),
    ("followed_up_within_recommended", _set("followed_up", 7)),
    ("follow_up_rate_at_most_one", _set("follow_up_rate", 1.5)),
    ("level_known", _set("level", "desa")),
]


@pytest.mark.parametrize(("rule", "defect"), COMPLIANCE_DEFECTS, ids=[r for r, _ in COMPLIANCE_DEFECTS])
def test_compliance_defect_fails_dataset(rule: str, defect: Mutation, settings: ValidationSettings) -> None:
    frame = FACTORIES["compliance_statistics"]()
    defect(frame)
    with pytest.raises(ValidationFailed, match=rule) as caught:
        _run("compliance_statistics", frame, settings)
    assert caught.value.args[1]["success"] is False


@pytest.mark.parametrize("dataset", DATASETS)
def test_dropped_column_fails_dataset(dataset: str, settings: ValidationSettings) -> None:
    suite = load_suite(settings.expectations_dir, dataset)
    column = next(c for c in suite.columns if c not in suite.key)
    with pytest.raises(ValidationFailed, match=rf"schema drift: missing column\(s\) \['{column}'\]"):
        _run(dataset, FACTORIES[dataset]().drop(columns=[column]), settings)


@pytest.mark.parametrize("dataset", ["bawaslu_cases", "registry", "consolidated_cases"])
def test_renamed_column_fails_dataset(dataset: str, settings: ValidationSettings) -> None:
    frame = FACTORIES[dataset]()
    column = "status" if "status" in frame.columns else "case_status"
    with pytest.raises(ValidationFailed, match=r"columns not in the contract \['status_kasus'\] \(renamed\?\)"):
        _run(dataset, frame.rename(columns={column: "status_kasus"}), settings)


def test_wrong_type_fails_dataset(settings: ValidationSettings) -> None:
    frame = FACTORIES["bawaslu_cases"]()
    frame["tanggal_register"] = "kemarin"
    with pytest.raises(ValidationFailed, match="type drift: column 'tanggal_register' should hold date"):
        _run("bawaslu_cases", frame, settings)


def test_volume_drop_fails_dataset(settings: ValidationSettings) -> None:
    with pytest.raises(ValidationFailed, match="volume anomaly, 4 rows now against 1000"):
        _run("registry", FACTORIES["registry"](), settings, previous_rows=1000)


def test_volume_jump_fails_dataset() -> None:
    settings = ValidationSettings(quarantine_min_rows=1000, volume_min_rows=1)
    with pytest.raises(ValidationFailed, match="volume_vs_previous_run: volume anomaly, 4 rows now against 1 "):
        _run("recommendations", FACTORIES["recommendations"](), settings, previous_rows=1)


def test_small_previous_run_is_not_judged_by_volume(settings: ValidationSettings) -> None:
    outcome = _run("registry", FACTORIES["registry"](), settings, previous_rows=1)
    assert outcome.summary["success"] and outcome.summary["volume_bounds"] == [0, None]


def test_quarantine_share_above_threshold_fails_dataset() -> None:
    frame = FACTORIES["registry"]()
    frame.loc[[0, 1], "status"] = "cuti"
    settings = ValidationSettings(quarantine_min_rows=1, max_quarantine_share=0.2)
    with pytest.raises(ValidationFailed, match=r"2 of 4 rows \(50.0%\).*PANTAU_MAX_QUARANTINE_SHARE=20%"):
        _run("registry", frame, settings)


def test_outcome_carries_gx_results_for_every_evaluated_rule(settings: ValidationSettings) -> None:
    outcome = _run("recommendations", FACTORIES["recommendations"](), settings, run_key="manual__2025-06-30T01_00")
    evaluated = {r.name for r in load_suite(settings.expectations_dir, "recommendations").rules} \
        - set(outcome.summary["expectations_skipped"])
    assert set(outcome.results) == evaluated and all(r.success for r in outcome.results.values())
    assert "docs_index" not in outcome.summary  # the caller names the page it stores


def test_rejected_batch_carries_gx_results(settings: ValidationSettings) -> None:
    frame = FACTORIES["bawaslu_cases"]().drop(columns=["status"])
    with pytest.raises(BatchRejected) as caught:
        _run("bawaslu_cases", frame, settings, run_key="scheduled__broken")
    assert not caught.value.results["columns_present"].success
    assert "Data Docs" not in caught.value.args[0]


def test_quarantine_row_names_record_and_keeps_raw(settings: ValidationSettings) -> None:
    frame = FACTORIES["bawaslu_cases"]()
    frame.at[2, "status"] = "dibatalkan"
    frame.at[2, "jenis"] = "aduan"
    row = _run("bawaslu_cases", frame, settings).quarantine.iloc[0]
    assert row["record_key"] == frame.at[2, "nomor_register"]
    assert row["source"] == "bawaslu_cases" and row["run_key"] == "test"
    assert row["reason_code"] == "unknown_jenis" and "also failed: status_allowed" in row["detail"]
    assert '"status": "dibatalkan"' in row["raw"]


def test_summary_is_json_ready(settings: ValidationSettings) -> None:
    import json

    summary = _run("overdue_recommendations", FACTORIES["overdue_recommendations"](), settings).summary
    assert json.loads(json.dumps(summary))["expectations_evaluated"] == 11
    assert summary["as_of"] == date(2025, 6, 30).isoformat()
