"""The DAG chain on dialect b (docs/SIMULATOR.md "Dialect b"): data written independently of the first world.

Same simulators, same contracts, other people's conventions: label spellings, names, whole-government
agencies, contacts as CSV, respondents who are no civil servants. Pantau must accept what they send,
publish anyway, and never link an outsider to a civil servant.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pantau.demo import S3_BUCKET, ensure_world, local_stack, run_pipeline
from pantau.publishing import release
from pantau.storage import ObjectStore

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("world_b")
    ensure_world(path, {"seed": 7, "registry_size": 3000, "cases": 120, "dialect": "b"}, progress=False)
    return path


@pytest.fixture(scope="module")
def first_run(world, tmp_path_factory):
    home = tmp_path_factory.mktemp("home_b")
    with local_stack(home, world) as stack:
        status = run_pipeline(stack)
        client = stack.store.client()
        summaries = {o.object_name: _json(client, o.object_name)
                     for o in client.list_objects("pantau", prefix="runs/", recursive=True)}
        objects = sorted(o.object_name for o in client.list_objects("pantau", recursive=True))
        store = ObjectStore.connect(stack.store.endpoint, stack.store.access_key, stack.store.secret_key, S3_BUCKET)
        try:
            consolidated = release.read_dataset(store, "consolidated_cases")
        except FileNotFoundError:
            consolidated = None
    return {"home": home, "status": status, "summaries": summaries, "objects": objects,
            "consolidated": consolidated}


def _json(client, key):
    response = client.get_object("pantau", key)
    try:
        return json.loads(response.read())
    finally:
        response.close()
        response.release_conn()


def _log(first_run) -> str:
    return (first_run["home"] / "logs" / "airflow.log").read_text(encoding="utf-8")


def test_every_dag_succeeds(first_run):
    log = _log(first_run)
    assert first_run["status"] == 0, log[-3000:]
    for dag_id in ("pantau_ingest_bawaslu", "pantau_ingest_recommendations", "pantau_ingest_bkd",
                   "pantau_reconcile", "pantau_alerts"):
        assert f"==> {dag_id}: success" in log, log[-3000:]


def test_counts_reconcile_per_source(first_run):
    counted = 0
    for key, summary in first_run["summaries"].items():
        counts = summary.get("counts", []) + [c for b in summary.get("bkds", []) for c in b["counts"]]
        for count in counts:
            assert count["records_in"] == count["staged"] + count["quarantined"], (key, count)
            counted += 1
    assert counted >= 4


def test_cases_and_recommendations_are_published_not_rejected(first_run, world):
    consolidated = first_run["consolidated"]
    assert consolidated is not None, "nothing was published: " + _log(first_run)[-2000:]
    truth = world / "truth"
    cases = pd.read_parquet(truth / "cases.parquet")
    cases = cases[(cases.phase == 2) & cases.reject_reason.isna()]
    recs = pd.read_parquet(truth / "recommendations.parquet")
    recs = recs[(recs.phase == 2) & recs.reject_reason.isna()]
    published_cases = set(consolidated["nomor_register"].dropna())
    published_recs = set(consolidated["nomor_rekomendasi"].dropna())
    assert len(published_cases & set(cases.nomor_register)) >= 0.95 * len(cases)
    assert len(published_recs & set(recs.nomor_rekomendasi)) >= 0.95 * len(recs)


def test_no_outsider_is_linked_to_a_civil_servant(first_run, world):
    consolidated = first_run["consolidated"]
    assert consolidated is not None, "nothing was published"
    cases = pd.read_parquet(world / "truth" / "cases.parquet")
    outsiders = set(cases.loc[cases.respondent == "non_asn", "nomor_register"])
    rows = consolidated[consolidated["nomor_register"].isin(outsiders)]
    assert len(rows) > 0
    assert rows["case_person_nip"].isna().all(), rows[["nomor_register", "case_person_nip"]]


def test_alerts_reach_the_ppk_offices_from_the_csv_directory(first_run):
    emails = sorted((first_run["home"] / "outbox").glob("*.eml"))
    assert emails, "no alert e-mail reached the SMTP sink"
    assert any(o.startswith("published/releases/") and "/restricted/national/overdue_recommendations/" in o
               for o in first_run["objects"])
