"""evaluate(): the figures are right for a perfect reconciliation and move when one link goes wrong.

The consolidated frames here are built from a dialect-b world's own truth (what a perfect pipeline
would publish), so each figure can be checked exactly, independently of the matcher's quality.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from pantau.matching.evaluate import evaluate, world_as_of, world_dialect
from pantau.simulate.generate import GenerateOptions, generate_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world_b_eval")
    generate_world(out, GenerateOptions(seed=21, registry_size=4000, cases=700, dialect="b"), progress=False)
    return out


def _perfect(world: Path) -> pd.DataFrame:
    """One row per case (and per recommendation), linked exactly as the truth says."""
    t = world / "truth"
    cases = pd.read_parquet(t / "cases.parquet").sort_values(["phase", "updated_at"]).drop_duplicates(
        "nomor_register", keep="last")
    recs = pd.read_parquet(t / "recommendations.parquet").sort_values("phase").drop_duplicates(
        "nomor_rekomendasi", keep="last")
    fu = pd.read_parquet(t / "follow_ups.parquet")
    frame = cases[["nomor_register", "true_nip", "true_category", "true_kode_instansi"]].rename(
        columns={"true_nip": "case_person_nip", "true_category": "category",
                 "true_kode_instansi": "registry_kode_instansi"})
    r = recs[["nomor_register", "nomor_rekomendasi", "true_nip", "proven", "tanggal_rekomendasi"]].rename(
        columns={"true_nip": "rec_person_nip", "proven": "terbukti"})
    r["tanggal_rekomendasi"] = pd.to_datetime(r["tanggal_rekomendasi"]).dt.date
    frame = frame.merge(r, on="nomor_register", how="left")
    usable = fu[fu["reject_reason"].isna() & fu["nomor_rekomendasi"].notna()]
    linked = pd.DataFrame({"nomor_rekomendasi": usable["nomor_rekomendasi"], "follow_up_id": usable["id"],
                           "follow_up_key": usable["bkd"].astype(str) + "#" + usable["id"].astype(str)})
    frame = frame.merge(linked, on="nomor_rekomendasi", how="left")
    orphans = fu[fu["nomor_rekomendasi"].isna()]
    extra = pd.DataFrame({"follow_up_key": orphans["bkd"].astype(str) + "#" + orphans["id"].astype(str),
                          "follow_up_id": orphans["id"]})
    return pd.concat([frame, extra], ignore_index=True)


def test_a_perfect_reconciliation_scores_one_everywhere(world: Path) -> None:
    figures = evaluate(_perfect(world), world)
    assert figures["dialect"] == world_dialect(world) == "b"
    for key in ("person", "case_link", "follow_up_link"):
        assert figures[key]["precision"] == 1.0 and figures[key]["recall"] == 1.0, (key, figures[key])
    assert figures["non_asn_respondents"]["respondents"] > 0
    assert figures["non_asn_respondents"]["linked"] == 0
    shares = figures["published_share"]
    assert shares["cases"]["share"] == 1.0 and shares["recommendations"]["share"] == 1.0, shares
    overdue = figures["overdue"]
    assert overdue["as_of"] == world_as_of(world).isoformat() == "2025-03-01"
    assert overdue["true"] > 0 and overdue["precision"] == 1.0 and overdue["recall"] == 1.0, overdue
    groups = figures["person_by_name_group"].set_index("name_group")
    assert {"balinese", "bugis_buton", "aceh_malay", "javanese_noble", "common", "non_asn"} <= set(groups.index)
    assert (groups.drop(index="non_asn")["recall"] == 1.0).all()
    assert figures["category_accuracy"] == 1.0


def test_a_linked_outsider_and_a_lost_decree_show_in_the_figures(world: Path) -> None:
    frame = _perfect(world)
    cases = pd.read_parquet(world / "truth" / "cases.parquet")
    outsider = cases.loc[cases["respondent"] == "non_asn", "nomor_register"].iloc[0]
    some_nip = cases["true_nip"].dropna().iloc[0]
    frame.loc[frame["nomor_register"] == outsider, "case_person_nip"] = some_nip
    # A proven, past-due recommendation whose decree the pipeline failed to see: a false overdue alert.
    as_of = world_as_of(world)
    answered = frame[frame["follow_up_id"].notna() & frame["terbukti"].eq(True) & frame["nomor_rekomendasi"].notna()
                     & frame["tanggal_rekomendasi"].map(lambda d: isinstance(d, dt.date) and
                                                        d < as_of - dt.timedelta(days=60))]
    lost = answered["nomor_rekomendasi"].iloc[0]
    frame.loc[frame["nomor_rekomendasi"] == lost, ["follow_up_id", "follow_up_key"]] = None
    # A case without a recommendation that never reached the published frame (e.g. quarantined).
    unpublished = frame.loc[frame["nomor_rekomendasi"].isna() & frame["nomor_register"].notna()
                            & (frame["nomor_register"] != outsider), "nomor_register"].iloc[-1]
    frame = frame[frame["nomor_register"] != unpublished]
    figures = evaluate(frame, world)
    assert figures["published_share"]["cases"]["published"] == figures["published_share"]["cases"]["usable"] - 1
    assert figures["non_asn_respondents"]["linked"] == 1
    assert figures["person"]["precision"] < 1.0
    assert figures["person_by_name_group"].set_index("name_group").loc["non_asn", "linked"] == 1
    overdue = figures["overdue"]
    assert overdue["published"] == overdue["true"] + 1 and overdue["precision"] < 1.0 and overdue["recall"] == 1.0


def test_dialect_a_worlds_are_evaluated_too(tmp_path: Path) -> None:
    generate_world(tmp_path, GenerateOptions(seed=4, registry_size=2000, cases=200), progress=False)
    figures = evaluate(_perfect(tmp_path), tmp_path)
    assert figures["dialect"] == "a"
    assert figures["non_asn_respondents"] == {"respondents": 0, "linked": 0}
    assert figures["person"]["recall"] == 1.0 and figures["overdue"]["recall"] == 1.0
    assert "non_asn" not in set(figures["person_by_name_group"]["name_group"])
