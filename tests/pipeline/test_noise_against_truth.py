"""Every noise switch of the simulator gives the correct normalised value or the expected
quarantine reason, checked against the world's ground truth."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest

from pantau.bench.runner import ingest_bawaslu, ingest_recommendations
from pantau.simulate.servers import BawasluApiServer, ExportsServer
from pantau.sources.bawaslu import BawasluClient
from pantau.sources.recommendations import RecommendationsClient

TOKEN = "test-token"
EXCEL_DAMAGE = {"nip_excel_sci", "nip_excel_float", "nip_excel_dot0"}
NIP_CHANGED = {"nip_typo", "nip_transposed"}


def _switches(noise: object) -> set[str]:
    return set(str(noise).split(";")) if isinstance(noise, str) and noise else set()


def _same(a: object, b: object) -> bool:
    return not pd.isna(a) and not pd.isna(b) and str(a) == str(b)


def _check_nip(row: pd.Series, where: str) -> str | None:
    """Which switch decided this NIP, after asserting the staged value is right for it."""
    switches = _switches(row["noise"])
    if switches & EXCEL_DAMAGE:
        assert row["nip_excel_damaged"] and not row["nip_valid"], where
        return next(iter(switches & EXCEL_DAMAGE))
    if "nip_missing" in switches:
        assert row["nip_reason"] == "nip_missing" and not row["nip_valid"], where
        return "nip_missing"
    if switches & NIP_CHANGED:
        # A typo can still look valid (there is no check digit): it must never equal the true NIP.
        assert not _same(row["nip"], row["true_nip"]), where
        return next(iter(switches & NIP_CHANGED))
    assert _same(row["nip"], row["true_nip"]) and row["nip_valid"], where
    return next(iter(switches & {"nip_spaced", "nip_dotted"}), "clean")


@pytest.fixture(scope="module")
def landed(world, s3):
    from .conftest import new_store

    store = new_store(s3)
    with BawasluApiServer(world, TOKEN) as api, ExportsServer(world) as feed:
        cases = ingest_bawaslu(BawasluClient(api.url, TOKEN), store, "run2", per_page=100)
        recs = ingest_recommendations(RecommendationsClient(feed.url), store, "run2")
    return {"cases": cases, "recs": recs}


def _nip_sent_as_json_integer(world) -> set[str]:
    """Register numbers whose NIP the API sent as a JSON integer. The simulator's truth calls them
    ``wrong_type``, but an integer holds all 18 digits: Pantau stages them (issue 9)."""
    with (world / "bawaslu" / "cases_phase2.jsonl").open(encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    return {r["nomor_register"] for r in records if isinstance(r.get("terlapor"), dict)
            and isinstance(r["terlapor"].get("nip"), int) and isinstance(r.get("nomor_register"), str)}


def test_bawaslu_nips_and_rejects_match_truth(world, landed):
    truth = pd.read_parquet(world / "truth" / "cases.parquet").query("phase == 2")
    integer_nip = truth["nomor_register"].isin(_nip_sent_as_json_integer(world))
    truth = truth.assign(reject_reason=truth["reject_reason"].where(~integer_nip))
    assert Counter(landed["cases"]["quarantine"]["reason_code"]) == Counter(truth["reject_reason"].dropna())
    staged = landed["cases"]["new"].merge(truth, on="nomor_register", validate="one_to_one")
    assert len(staged) == truth["reject_reason"].isna().sum()
    seen = {_check_nip(row, row["nomor_register"]) for _, row in staged.iterrows()}
    assert {"nip_spaced", "nip_missing", "clean"} <= seen
    extra = staged[staged["noise"].fillna("").str.contains("extra_field")]
    assert len(extra) > 0  # unknown fields are tolerated, the record is staged


def test_recommendations_nips_dates_rejects_and_layout_match_truth(world, landed):
    truth = pd.read_parquet(world / "truth" / "recommendations.parquet").query("phase == 2")
    files = pd.read_parquet(world / "truth" / "export_files.parquet").query("phase == 2")
    recs = landed["recs"]
    assert recs["count"].records_in == len(truth)  # title, total and note rows are not records
    assert Counter(recs["quarantine"]["reason_code"]) == Counter(truth["reject_reason"].dropna())
    staged = recs["new"].merge(truth, left_on=["source_file", "source_row"], right_on=["file", "row_number"],
                               validate="one_to_one", suffixes=("", "_truth"))
    assert len(staged) == truth["reject_reason"].isna().sum()
    assert (staged["nomor_rekomendasi"] == staged["nomor_rekomendasi_truth"]).all()
    seen = {_check_nip(row, f"{row['file']}#{row['row_number']}") for _, row in staged.iterrows()}
    assert {"nip_spaced", "nip_missing", "nip_excel_sci"} <= seen
    # Dates in every style: the follow-up truth carries each recommendation's true date.
    dates = pd.read_parquet(world / "truth" / "follow_ups.parquet")[["nomor_rekomendasi", "tanggal_rekomendasi"]]
    dated = staged.merge(dates.drop_duplicates("nomor_rekomendasi"), on="nomor_rekomendasi")
    assert len(dated) > 0
    assert (pd.to_datetime(dated["tanggal_rekomendasi_x"].astype(str)) ==
            pd.to_datetime(dated["tanggal_rekomendasi_y"].astype(str))).all()
    styles = set(files.loc[files["file"].isin(dated["file"]), "date_style"])
    assert {"iso", "id_long", "dmy"} <= styles


def test_corrected_republication_supersedes(world, store):
    files = pd.read_parquet(world / "truth" / "export_files.parquet")
    corrected = files.query("phase == 2 and corrected")
    assert len(corrected) > 0
    with ExportsServer(world) as feed:
        client = RecommendationsClient(feed.url)
        feed.set_phase(1)
        ingest_recommendations(client, store, "run1")
        feed.set_phase(2)
        ingest_recommendations(client, store, "run2")
    pointer = store.get_json("staging/recommendations/_current.json")
    current = store.get_parquet(pointer["key"])
    assert current["nomor_rekomendasi"].is_unique
    for _, file in corrected.iterrows():
        rows = current[current["source_file"] == file["file"]]
        assert len(rows) > 0 and (rows["source_sha256"] == file["sha256"]).all(), file["file"]
