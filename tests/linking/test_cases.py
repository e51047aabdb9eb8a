"""Case ⟷ recommendation linking: shared forwarding letters, unknown categories, written references."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pantau.linking import link_by_person, link_by_reference, normalize_reference

LETTER = "045/PM.00.02/K.SB-06/11/2023"


def _cases(rows: list[dict[str, object]]) -> pd.DataFrame:
    base = {"nomor_surat_penerusan": None, "tanggal_register": date(2023, 11, 1),
            "tanggal_diteruskan": date(2023, 11, 10), "case_person_nip": None, "category": "MEDSOS_INTERAKSI"}
    return pd.DataFrame([{**base, **r} for r in rows])


def _recs(rows: list[dict[str, object]]) -> pd.DataFrame:
    base = {"referensi_bawaslu": None, "tanggal_rekomendasi": date(2023, 12, 1), "rec_person_nip": None,
            "rec_category": "MEDSOS_INTERAKSI"}
    return pd.DataFrame([{**base, **r} for r in rows])


@pytest.mark.parametrize(("written", "key"), [
    ("012/Reg/LP/PB/Kab/13.06/XI/2023", "12/REG/LP/PB/KAB/13.6/11/2023"),
    ("No. 012 / Reg / LP / PB / Kab / 13.06 / XI / 2023.", "12/REG/LP/PB/KAB/13.6/11/2023"),
    ("Nomor: 12/reg/lp/pb/kab/13.06/xi/2023", "12/REG/LP/PB/KAB/13.6/11/2023"),
    ("B-20/KASN/03/2024", "20/KASN/3/2024"),
    ("b-20 / kasn / III / 2024", "20/KASN/3/2024"),  # Roman month, lower case, spaces
    ("20/KASN/03/2024", "20/KASN/3/2024"),  # letter class left out
    ("  ", None), (None, None),
])
def test_reference_keys_ignore_how_people_write_them(written: object, key: str | None) -> None:
    assert normalize_reference(written) == key


def test_shared_forwarding_letter_is_settled_by_the_person() -> None:
    # One letter forwarded three respondents of one office; two recommendations cite it.
    cases = _cases([
        {"nomor_register": "001/Reg/LP/PB/Kab/13.06/XI/2023", "nomor_surat_penerusan": LETTER,
         "case_person_nip": "198001012005011001"},
        {"nomor_register": "002/Reg/LP/PB/Kab/13.06/XI/2023", "nomor_surat_penerusan": LETTER,
         "case_person_nip": "198202022006042002"},
        {"nomor_register": "003/Reg/LP/PB/Kab/13.06/XI/2023", "nomor_surat_penerusan": LETTER},
    ])
    recs = _recs([
        {"nomor_rekomendasi": "B-1/KASN/12/2023", "referensi_bawaslu": LETTER,
         "rec_person_nip": "198202022006042002"},
        {"nomor_rekomendasi": "B-2/KASN/12/2023", "referensi_bawaslu": LETTER.lower()},  # person unmatched
        {"nomor_rekomendasi": "B-3/KASN/12/2023", "referensi_bawaslu": LETTER},  # nobody fits
    ])
    case_names = pd.Series(["budi santoso", "sri wahyuni", "i wayan sudarsana"])
    rec_names = pd.Series(["sri wahyuni", "wayan sudarsana", "joko widodo"])
    links, ambiguous = link_by_reference(cases, recs, case_names, rec_names)
    got = dict(zip(links["nomor_rekomendasi"], links["nomor_register"], strict=True))
    assert got == {"B-1/KASN/12/2023": "002/Reg/LP/PB/Kab/13.06/XI/2023",
                   "B-2/KASN/12/2023": "003/Reg/LP/PB/Kab/13.06/XI/2023"}
    assert links["case_link"].eq("reference").all()
    assert links["case_link_detail"].str.contains("letter shared by 3 cases").all()
    assert ambiguous.set_index("nomor_rekomendasi").loc["B-3/KASN/12/2023", "candidates"].count(";") == 2


def test_register_number_still_links_alone() -> None:
    cases = _cases([{"nomor_register": "001/Reg/LP/PB/Kab/13.06/XI/2023"}])
    recs = _recs([{"nomor_rekomendasi": "B-1/KASN/12/2023", "referensi_bawaslu": "1/Reg/LP/PB/Kab/13.06/XI/2023"}])
    links, ambiguous = link_by_reference(cases, recs)
    assert links["nomor_register"].tolist() == ["001/Reg/LP/PB/Kab/13.06/XI/2023"] and ambiguous.empty


def test_a_letter_naming_another_respondent_is_not_linked() -> None:
    # Only one case of the batch was staged, and it is someone else: the letter does not identify it.
    cases = _cases([{"nomor_register": "001/Reg", "nomor_surat_penerusan": LETTER,
                     "case_person_nip": "198001012005011001"}])
    recs = _recs([{"nomor_rekomendasi": "B-1", "referensi_bawaslu": LETTER, "rec_person_nip": "198202022006042002"}])
    links, _ = link_by_reference(cases, recs, pd.Series(["budi santoso"]), pd.Series(["sri wahyuni"]))
    assert links.empty


@pytest.mark.parametrize("unknown", [None, pd.NA, "LAINNYA"])
def test_unknown_category_links_by_person_and_window(unknown: object) -> None:
    cases = _cases([{"nomor_register": "001/Reg", "case_person_nip": "198001012005011001"}])
    recs = _recs([{"nomor_rekomendasi": "B-1", "rec_person_nip": "198001012005011001", "rec_category": unknown}])
    # Staged columns are Arrow-backed strings, where a missing category compares as NA, not False.
    recs["rec_category"] = recs["rec_category"].astype("string[pyarrow]")
    cases["category"] = cases["category"].astype("string[pyarrow]")
    links, ambiguous = link_by_person(cases, recs)
    assert links["nomor_register"].tolist() == ["001/Reg"], links
    assert links["case_link_detail"].iloc[0].endswith("category unknown")
    assert ambiguous.empty


def test_categories_rank_candidates_but_do_not_veto() -> None:
    nip = "198001012005011001"
    cases = _cases([{"nomor_register": "001/Reg", "case_person_nip": nip, "category": "ALAT_PERAGA"},
                    {"nomor_register": "002/Reg", "case_person_nip": nip, "category": "MEDSOS_INTERAKSI"}])
    recs = _recs([{"nomor_rekomendasi": "B-1", "rec_person_nip": nip, "rec_category": "MEDSOS_INTERAKSI"}])
    links, _ = link_by_person(cases, recs)
    assert links["nomor_register"].tolist() == ["002/Reg"]
    # Alone, a case of another category still links: a category from free text may be wrong.
    links, _ = link_by_person(cases.iloc[:1], recs)
    assert links["nomor_register"].tolist() == ["001/Reg"]
    assert links["case_link_detail"].iloc[0].endswith("category differs")


def test_two_equal_candidates_go_to_review() -> None:
    nip = "198001012005011001"
    cases = _cases([{"nomor_register": "001/Reg", "case_person_nip": nip},
                    {"nomor_register": "002/Reg", "case_person_nip": nip}])
    recs = _recs([{"nomor_rekomendasi": "B-1", "rec_person_nip": nip}])
    links, ambiguous = link_by_person(cases, recs)
    assert links.empty and ambiguous["candidates"].tolist() == ["001/Reg;002/Reg"]


def test_window_is_respected() -> None:
    nip = "198001012005011001"
    cases = _cases([{"nomor_register": "001/Reg", "case_person_nip": nip}])
    late = _recs([{"nomor_rekomendasi": "B-1", "rec_person_nip": nip, "tanggal_rekomendasi": date(2024, 12, 1)}])
    early = _recs([{"nomor_rekomendasi": "B-1", "rec_person_nip": nip, "tanggal_rekomendasi": date(2023, 11, 5)}])
    assert link_by_person(cases, late)[0].empty and link_by_person(cases, early)[0].empty


def test_a_persons_cases_and_recommendations_pair_in_date_order() -> None:
    # Two cases of one person forwarded weeks apart, two recommendations: both recommendations fit
    # both cases by window and (unknown) category; the order of forwarding decides.
    nip = "198001012005011001"
    cases = _cases([{"nomor_register": "001/Reg", "case_person_nip": nip, "tanggal_diteruskan": date(2020, 10, 21)},
                    {"nomor_register": "002/Reg", "case_person_nip": nip, "tanggal_diteruskan": date(2020, 11, 6)}])
    recs = _recs([{"nomor_rekomendasi": "B-1", "rec_person_nip": nip, "tanggal_rekomendasi": date(2020, 11, 12),
                   "rec_category": None},
                  {"nomor_rekomendasi": "B-2", "rec_person_nip": nip, "tanggal_rekomendasi": date(2020, 12, 16),
                   "rec_category": None}])
    cases["category"] = None
    links, ambiguous = link_by_person(cases, recs)
    assert dict(zip(links["nomor_rekomendasi"], links["nomor_register"], strict=True)) == {
        "B-1": "001/Reg", "B-2": "002/Reg"}
    assert links["case_link_detail"].str.endswith("in order of forwarding").all() and ambiguous.empty


def test_a_case_answers_one_recommendation() -> None:
    # The later recommendation can only be the second case's once the first case is taken.
    nip = "198001012005011001"
    cases = _cases([{"nomor_register": "001/Reg", "case_person_nip": nip, "tanggal_diteruskan": date(2020, 10, 1)},
                    {"nomor_register": "002/Reg", "case_person_nip": nip, "tanggal_diteruskan": date(2020, 11, 20)}])
    recs = _recs([{"nomor_rekomendasi": "B-1", "rec_person_nip": nip, "tanggal_rekomendasi": date(2020, 11, 1)},
                  {"nomor_rekomendasi": "B-2", "rec_person_nip": nip, "tanggal_rekomendasi": date(2020, 12, 1)}])
    links, _ = link_by_person(cases, recs)
    assert dict(zip(links["nomor_rekomendasi"], links["nomor_register"], strict=True)) == {
        "B-1": "001/Reg", "B-2": "002/Reg"}


def test_same_written_name_links_when_the_registry_could_not_place_the_person() -> None:
    from pantau.linking import link_by_name

    cases = _cases([{"nomor_register": "001/Reg", "case_person_nip": "198001012005011001"},
                    {"nomor_register": "002/Reg", "case_person_nip": None},
                    {"nomor_register": "003/Reg", "case_person_nip": "198202022006042002"}])
    recs = _recs([{"nomor_rekomendasi": "B-1", "rec_person_nip": None},
                  {"nomor_rekomendasi": "B-2", "rec_person_nip": None},
                  {"nomor_rekomendasi": "B-3", "rec_person_nip": "198303032007011003"}])
    case_names = pd.Series(["i wayan sudarsana", "siti aminah", "budi santoso"])
    rec_names = pd.Series(["wayan sudarsana", "siti aminah", "budi santoso"])
    regions = pd.Series(["51.04", "51.04", "51.04"])
    links = link_by_name(cases, recs, case_names, rec_names, regions, pd.Series(["51.04", "51.71", "51.04"]))
    got = dict(zip(links["nomor_rekomendasi"], links["nomor_register"], strict=True))
    # B-2 is in the same province (51); B-3 and case 003 name two different registry persons.
    assert got == {"B-1": "001/Reg", "B-2": "002/Reg"}
    assert links["case_link_detail"].str.startswith("same written name").all()
