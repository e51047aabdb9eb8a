"""Unit behaviour of the matching building blocks."""

from __future__ import annotations

import pandas as pd
import pytest

from pantau.matching.categories import CATEGORY_BY_CODE, CATEGORY_RULES, categorize
from pantau.matching.persons import RegistryIndex, excel_prefix, match_persons

REGISTRY = pd.DataFrame({
    "nip": ["198004112005011009", "198004112005011008", "197005121995031002", "197005121995031003"],
    "name_key": ["budi santoso", "sri wahyuni", "agus setiawan", "agus setiawan"],
    "kode_instansi": ["13.06.02", "13.06.02", "13.71.03", "13.71.03"],
    "kode_wilayah": ["13.06", "13.06", "13.71", "13.71"],
})


def _query(**kw: object) -> pd.DataFrame:
    row = {"nip": None, "nip_raw": None, "nip_excel_damaged": False, "name_key": "budi santoso",
           "kode_instansi": "13.06.02", "kode_wilayah": "13.06"}
    row.update(kw)
    return pd.DataFrame([row])


@pytest.mark.parametrize(("query", "method", "nip"), [
    (_query(nip="198004112005011009", nip_raw="198004112005011009"), "exact_nip", "198004112005011009"),
    (_query(nip_raw="198004112005011090"), "nip_repair", "198004112005011009"),  # transposed tail
    (_query(nip_raw="1.98004E+17", nip_excel_damaged=True), "nip_prefix", "198004112005011009"),
    (_query(), "name_agency", "198004112005011009"),
    (_query(name_key="agus setiawan", kode_instansi="13.71.03", kode_wilayah="13.71"), "review", None),
    (_query(name_key="joko widodo"), "unmatched", None),
])
def test_stages(query: pd.DataFrame, method: str, nip: str | None) -> None:
    result = match_persons(query, RegistryIndex.build(REGISTRY)).iloc[0]
    assert result["person_match"] == method
    assert (None if pd.isna(result["person_nip"]) else result["person_nip"]) == nip
    if method == "review":
        assert result["review_candidates"].count(";") == 1  # both namesakes shown, none picked


def test_typo_onto_another_person_is_not_trusted() -> None:
    # A valid-looking NIP of Sri Wahyuni, written for Budi Santoso: the name decides, repair finds Budi.
    result = match_persons(_query(nip="198004112005011008", nip_raw="198004112005011008"),
                           RegistryIndex.build(REGISTRY)).iloc[0]
    assert (result["person_match"], result["person_nip"]) == ("nip_repair", "198004112005011009")


@pytest.mark.parametrize(("raw", "prefix"), [("1.98004E+17", "198004"), ("198004112005011000", "198004112005011"),
                                             ("198004112005011009.0", "198004112005011"), ("abc", None)])
def test_excel_prefix(raw: str, prefix: str | None) -> None:
    assert excel_prefix(raw) == prefix


def test_categories_record_rule_and_keep_unknown_text() -> None:
    texts = pd.Series(["Terlapor mengikuti (follow) akun Instagram resmi tim pemenangan calon dan menyukai postingannya.",
                       "Terlapor tercatat sebagai anggota tim kampanye pasangan calon.",
                       "Sesuatu yang tidak dikenal."])
    out = categorize(texts, pd.Series([None, None, None]))
    assert out["category"].tolist() == ["MEDSOS_INTERAKSI", "TIM_KAMPANYE", "LAINNYA"]
    assert out["category_rule"].tolist() == ["medsos_akun_tim", "tim_kampanye", "no_rule"]
    assert set(CATEGORY_BY_CODE) >= set(out["category"])


def test_category_rules_ignore_case() -> None:
    out = categorize(pd.Series(["TERLAPOR TERCATAT SEBAGAI ANGGOTA TIM KAMPANYE.", "Memasang BALIHO calon"]))
    assert out["category"].tolist() == ["TIM_KAMPANYE", "ALAT_PERAGA"]
    # Texts are lower-cased before matching, so a rule with a capital letter could never fire.
    assert all(pattern == pattern.lower() for _, _, pattern in CATEGORY_RULES)


def test_category_from_label_and_given_codes_use_the_vocabulary() -> None:
    from pantau.matching.categories import category_from_label

    assert category_from_label("Medsos Interaksi") == "MEDSOS_INTERAKSI"  # issue 9's short label
    assert category_from_label("FOTO_POSE") == "FOTO_POSE"
    assert category_from_label("Kampanye hitam") is None
    # A given code wins over the text; a given value that maps to nothing falls back to the text.
    out = categorize(pd.Series(["Terlapor memasang baliho calon.", "Terlapor memasang baliho calon."]),
                     pd.Series(["Pose jari", "Kampanye hitam"]))
    assert out["category"].tolist() == ["FOTO_POSE", "ALAT_PERAGA"]
    assert out["category_rule"].tolist() == ["given", "alat_peraga"]


def test_sanction_severity_codes_in() -> None:
    from pantau.matching.categories import sanction_severity

    values = pd.Series(["MORAL_TERTUTUP", "DISIPLIN_SEDANG", "Hukdis berat", "PTDH", "TANPA_SANKSI", None,
                        "Teguran lisan"])
    severity = sanction_severity(values)
    assert severity.tolist()[:5] == [1, 3, 4, 5, 0]
    assert severity.isna().tolist()[5:] == [True, True]
    # "Disiplin sedang" was the decree spelling that got dropped (issue 9): it now compares as sedang.
    assert (sanction_severity(pd.Series(["Disiplin sedang"])) < sanction_severity(pd.Series(["DISIPLIN_BERAT"]))).all()
