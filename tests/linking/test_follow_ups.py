"""Recommendation ⟷ follow-up decree linking."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pantau.linking import attach_follow_ups, reconcile_persons

NIP = "198001012005011001"


def _frame(**kw: object) -> pd.DataFrame:
    row = {"nomor_register": "001/Reg", "nomor_rekomendasi": "B-17/KASN/03/2024",
           "tanggal_rekomendasi": date(2024, 3, 1), "nip": NIP, "rec_nip": None, "case_nip": None}
    row.update(kw)
    return pd.DataFrame([row])


def _decrees(**kw: object) -> pd.DataFrame:
    row = {"id": "7", "nomor_rekomendasi": "B-17/KASN/03/2024", "nip": NIP, "nomor_sk": "800/12/BKPSDM/2024",
           "tanggal_sk": date(2024, 3, 20), "jenis_sanksi": "MORAL_TERTUTUP", "bkd": "bkd_a"}
    row.update(kw)
    return pd.DataFrame([row])


def _link(frame: pd.DataFrame, decrees: pd.DataFrame) -> tuple[object, int]:
    out, orphans = attach_follow_ups(frame, decrees)
    return out["follow_up_link"].iloc[0], len(orphans)


@pytest.mark.parametrize("written", ["No. B-017/KASN/03/2024", "Nomor: b-17 / kasn / 03 / 2024",
                                     "17/KASN/III/2024"])
def test_by_number_as_written(written: str) -> None:
    assert _link(_frame(), _decrees(nomor_rekomendasi=written)) == ("reference", 0)


def test_mistyped_number_falls_back_to_the_person() -> None:
    assert _link(_frame(), _decrees(nomor_rekomendasi="B-71/KASN/03/2024")) == ("same_person_after", 0)


def test_unrelated_number_is_not_pulled_onto_another_recommendation() -> None:
    # It cites a recommendation we do not have: the same person's other recommendation is not it.
    link, orphans = _link(_frame(), _decrees(nomor_rekomendasi="R-5/BKN/DP.02/11/2024"))
    assert pd.isna(link) and orphans == 1


def test_unmatched_person_links_through_the_written_nip() -> None:
    # The matcher could not place the recommendation's person, but it wrote a valid NIP: the BKD's
    # decree for that NIP without a number is the follow-up.
    frame = _frame(nip=None, rec_nip=NIP)
    assert _link(frame, _decrees(nomor_rekomendasi=None)) == ("same_person_after", 0)
    link, orphans = _link(_frame(nip=None), _decrees(nomor_rekomendasi=None))
    assert pd.isna(link) and orphans == 1


def test_decree_before_the_recommendation_is_not_its_follow_up() -> None:
    link, orphans = _link(_frame(), _decrees(nomor_rekomendasi=None, tanggal_sk=date(2024, 2, 1)))
    assert pd.isna(link) and orphans == 1


def test_reconcile_persons_prefers_the_case_and_flags_disagreement() -> None:
    frame = pd.DataFrame({"case_person_nip": [NIP, None, NIP], "rec_person_nip": [NIP, NIP, "198202022006042002"],
                          "case_person_match": ["exact_nip", "unmatched", "exact_nip"],
                          "rec_person_match": ["exact_nip", "name_agency", "exact_nip"],
                          "case_match_confidence": [1.0, 0.0, 1.0], "rec_match_confidence": [1.0, 0.9, 1.0],
                          "case_match_explanation": ["a", None, "a"], "rec_match_explanation": ["b", "b", "b"]})
    out = reconcile_persons(frame)
    assert out["nip"].tolist() == [NIP, NIP, NIP]
    assert out["person_match"].tolist() == ["exact_nip", "name_agency", "exact_nip"]
    assert out["person_conflict"].tolist() == [False, False, True]


def test_vocabulary_evidence_travels_with_the_decree() -> None:
    decrees = _decrees(nomor_rekomendasi=None).assign(jenis_sanksi_raw="Hukdis sedang",
                                                      jenis_sanksi_mapping="synonym:1.0")
    out, _ = attach_follow_ups(_frame(), decrees)
    assert (out["jenis_sanksi_raw"].iloc[0], out["jenis_sanksi_mapping"].iloc[0]) == ("Hukdis sedang", "synonym:1.0")
