"""A second run pulls exactly what changed between two phases, per the ground truth."""

from __future__ import annotations

import pandas as pd

from pantau.bench.runner import ingest_all_bkds, ingest_bawaslu, ingest_recommendations
from pantau.simulate.servers import BawasluApiServer, ExportsServer
from pantau.simulate.world import world_bkd_sources
from pantau.sources.bawaslu import BawasluClient
from pantau.sources.recommendations import RecommendationsClient

TOKEN = "test-token"


def _changed_case_versions(world) -> int:
    truth = pd.read_parquet(world / "truth" / "cases.parquet")
    first = set(truth.loc[truth.phase == 1, ["nomor_register", "updated_at"]].itertuples(index=False))
    second = truth.loc[truth.phase == 2, ["nomor_register", "updated_at"]].itertuples(index=False)
    return sum(1 for version in second if version not in first)


def test_bawaslu_second_run_lands_only_changed_records(world, store):
    with BawasluApiServer(world, TOKEN) as api:
        client = BawasluClient(api.url, TOKEN)
        api.set_phase(1)
        first = ingest_bawaslu(client, store, "run1", per_page=40)
        api.set_phase(2)
        second = ingest_bawaslu(client, store, "run2", per_page=40)
    truth = pd.read_parquet(world / "truth" / "cases.parquet")
    assert first["count"].records_in == int((truth.phase == 1).sum())
    assert second["count"].records_in == _changed_case_versions(world)
    assert second["manifest"]["updated_since"] == first["count"].watermark["updated_since"]


def test_recommendations_second_run_fetches_only_new_or_changed_files(world, store):
    files = pd.read_parquet(world / "truth" / "export_files.parquet")
    first_sha = set(files.loc[files.phase == 1, "sha256"])
    expected = sorted(files.loc[(files.phase == 2) & ~files.sha256.isin(first_sha), "file"])
    with ExportsServer(world) as feed:
        client = RecommendationsClient(feed.url)
        feed.set_phase(1)
        ingest_recommendations(client, store, "run1")
        feed.set_phase(2)
        second = ingest_recommendations(client, store, "run2")
    assert sorted(f["name"] for f in second["manifest"]["files"]) == expected
    truth = pd.read_parquet(world / "truth" / "recommendations.parquet")
    assert second["count"].records_in == int(((truth.phase == 2) & truth.file.isin(expected)).sum())


def test_bkd_second_run_reads_only_new_follow_ups(world, store):
    ingest_all_bkds(world_bkd_sources(world, phase1_follow_ups=True), store, "run1")
    second = ingest_all_bkds(world_bkd_sources(world), store, "run2")
    truth = pd.read_parquet(world / "truth" / "follow_ups.parquet")
    new_per_bkd = truth.loc[~truth.in_phase1].groupby("bkd").size().to_dict()
    for count in second["counts"]:
        _, code, table = count.source.split(":")
        expected = 0 if table == "pegawai" else new_per_bkd.get(code, 0)
        assert count.records_in == expected, count
    assert second["follow_ups"] == len(truth) - int(truth.reject_reason.notna().sum())
