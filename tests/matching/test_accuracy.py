"""Accuracy floors of the reconcile stage on a seeded world with default noise (issue 5)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pantau.matching.evaluate import evaluate
from pantau.matching.world import load_world
from pantau.pipeline import reconcile
from pantau.simulate.generate import GenerateOptions, generate_world


# A seeded dialect-b world (docs/SIMULATOR.md "Dialect b"): data written independently of the first
# simulator, for accuracy tests on conventions the matcher was not written against.
@pytest.fixture(scope="session")
def world_dir_b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world_b")
    generate_world(out, GenerateOptions(seed=11, registry_size=30_000, cases=1_500, dialect="b"), False)
    return out


@pytest.fixture(scope="session")
def consolidated_b(world_dir_b: Path) -> pd.DataFrame:
    staged = load_world(world_dir_b, cache=False)
    return reconcile.link_cases(staged.cases, staged.recs, staged.follow_ups, staged.registry,
                                transfers=staged.transfers)


def test_accuracy_floors(consolidated: pd.DataFrame, world_dir: Path) -> None:
    figures = evaluate(consolidated, world_dir)
    person = figures["person"]
    assert person["precision"] >= 0.999, figures
    assert person["recall"] >= 0.95, figures
    assert person["recall"] >= figures["person_recall_ceiling"] - 0.02, figures
    assert figures["case_link"]["precision"] >= 0.995, figures
    assert figures["case_link"]["recall"] >= 0.98, figures
    assert figures["follow_up_link"]["precision"] >= 0.995, figures
    assert figures["category_accuracy"] >= 0.95, figures


def test_every_noise_type_keeps_precision(consolidated: pd.DataFrame, world_dir: Path) -> None:
    by_noise = evaluate(consolidated, world_dir)["person_by_noise"].set_index("noise")
    assert (by_noise["precision"] >= 0.99).all(), by_noise
    for damaged in ("nip_typo", "nip_transposed", "nip_excel_sci", "nip_excel_float"):
        if damaged in by_noise.index:
            assert by_noise.loc[damaged, "recall"] >= 0.9, by_noise


def test_one_row_per_case_and_methods_explained(consolidated: pd.DataFrame) -> None:
    cases = consolidated.dropna(subset=["nomor_register"])
    assert not cases["nomor_register"].duplicated().any()
    matched = consolidated[consolidated["nip"].notna()]
    assert matched["match_explanation"].notna().all()
    assert set(consolidated["person_match"]) <= {"exact_nip", "nip_repair", "nip_prefix", "name_agency",
                                                 "name_region", "review", "unmatched", "steward_accept",
                                                 "steward_override", "steward_reject"}


def test_dialect_b_floors(consolidated_b: pd.DataFrame, world_dir_b: Path) -> None:
    """Issue 9's targets on data written independently of the first simulator (docs/SIMULATOR.md
    "Dialect b"): whole-government agencies with the office in unit_kerja, regional naming
    conventions, non-ASN respondents, shared forwarding letters, another region numbering."""
    figures = evaluate(consolidated_b, world_dir_b)
    assert figures["published_share"]["cases"]["share"] >= 0.95, figures["published_share"]
    assert figures["person"]["precision"] >= 0.999, figures["person"]
    assert figures["person"]["recall"] >= 0.97, figures["person"]
    assert figures["case_link"]["recall"] >= 0.97, figures["case_link"]
    assert figures["case_link"]["precision"] >= 0.995, figures["case_link"]
    assert figures["follow_up_link"]["recall"] >= 0.99, figures["follow_up_link"]
    assert figures["overdue"]["precision"] >= 0.99 and figures["overdue"]["recall"] >= 0.99, figures["overdue"]
    assert figures["non_asn_respondents"]["respondents"] > 0
    assert figures["non_asn_respondents"]["linked"] == 0, figures["non_asn_respondents"]


def test_dialect_b_every_name_group_keeps_precision(consolidated_b: pd.DataFrame, world_dir_b: Path) -> None:
    by_group = evaluate(consolidated_b, world_dir_b)["person_by_name_group"].set_index("name_group")
    asn = by_group.drop(index=["non_asn"], errors="ignore")
    assert (asn["precision"] >= 0.99).all(), by_group
    assert (asn["recall"] >= 0.95).all(), by_group


def test_linked_person_carries_the_registry_position(consolidated: pd.DataFrame, staged) -> None:
    """Alerts name the person's position (jabatan): it comes from the registry row the person matched."""
    linked = consolidated.dropna(subset=["nip"]).drop_duplicates("nip")
    linked = linked[linked["registry_nama"].notna()]
    assert len(linked) > 100
    positions = staged.registry.drop_duplicates("nip", keep="last").set_index("nip")["jabatan"]
    assert linked["registry_jabatan"].tolist() == positions.reindex(linked["nip"]).tolist()
