"""The DAG chain, run by Airflow (``dag.test()``) against the simulators over HTTP, SQL, S3 and SMTP."""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from pantau.demo import ensure_world, local_stack, run_pipeline

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("world")
    ensure_world(path, {"seed": 7, "registry_size": 3000, "cases": 80}, progress=False)
    return path


@pytest.fixture(scope="module")
def first_run(world, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    with local_stack(home, world) as stack:
        status = run_pipeline(stack)
        summaries = {key: _json(stack, key) for key in stack.store.client().list_objects(
            "pantau", prefix="runs/", recursive=True) for key in [key.object_name]}
        objects = sorted(o.object_name for o in stack.store.client().list_objects("pantau", recursive=True))
        pointer = _json(stack, "published/current.json") if "published/current.json" in objects else None
    return {"home": home, "status": status, "summaries": summaries, "objects": objects, "pointer": pointer}


def _json(stack, key):
    response = stack.store.client().get_object("pantau", key)
    try:
        return json.loads(response.read())
    finally:
        response.close()
        response.release_conn()


def test_every_dag_succeeds(first_run):
    log = (first_run["home"] / "logs" / "airflow.log").read_text(encoding="utf-8")
    assert first_run["status"] == 0, log[-3000:]
    for dag_id in ("pantau_ingest_bawaslu", "pantau_ingest_recommendations", "pantau_ingest_bkd",
                   "pantau_reconcile", "pantau_alerts"):
        assert f"==> {dag_id}: success" in log


def test_counts_reconcile_per_source(first_run):
    counted = 0
    for key, summary in first_run["summaries"].items():
        counts = summary.get("counts", []) + [c for b in summary.get("bkds", []) for c in b["counts"]]
        for count in counts:
            assert count["records_in"] == count["staged"] + count["quarantined"], (key, count)
            assert count["quarantined"] == sum(count["by_reason"].values()), (key, count)
            counted += 1
    assert counted >= 4  # bawaslu, recommendations, and two tables per BKD


def test_raw_staged_published_present(first_run):
    objects = first_run["objects"]
    for prefix in ("raw/bawaslu/", "raw/recommendations/", "raw/bkd/", "staging/bawaslu_cases/",
                   "staging/registry/", "quarantine/"):
        assert any(o.startswith(prefix) for o in objects), prefix
    assert "published/current.json" in objects and "published/index.html" in objects
    pointer = first_run["pointer"]
    base = f"published/releases/{pointer['release']}"
    assert pointer["manifest"] == f"{base}/release.json" and pointer["manifest"] in objects
    for path in ("restricted/national/consolidated_cases", "restricted/national/overdue_recommendations",
                 "restricted/national/review_queue", "restricted/national/blocking_candidates",
                 "public/compliance_statistics", "public/quarantine_summary"):
        for fmt in ("data.parquet", "data.csv", "data.xlsx"):
            assert f"{base}/{path}/{fmt}" in objects, (path, fmt)
    for document in ("datapackage.json", "dcat.jsonld", "index.html"):
        assert f"{base}/{document}" in objects
    assert any(o.startswith(f"{base}/restricted/ppk/") for o in objects), "no per-PPK extract"
    assert any(o.startswith(f"{base}/access/") and o.endswith(".policy.json") for o in objects)


def test_outputs_persist_as_files_and_mail_went_over_smtp(first_run):
    home = first_run["home"]
    assert (home / "objectstore" / "pantau" / "published").is_dir()
    emails = sorted((home / "outbox").glob("*.eml"))
    assert emails, "no alert e-mail reached the SMTP sink"
    message = BytesParser(policy=policy.default).parsebytes(emails[0].read_bytes())
    assert message["Subject"].startswith("[Pantau]")
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}
    assert "Yth." in message.get_body(("plain",)).get_content()


def test_rerun_sends_no_duplicate_email(first_run, world):
    home = first_run["home"]
    before = len(list((home / "outbox").glob("*.eml")))
    with local_stack(home, world) as stack:
        assert run_pipeline(stack, ["pantau_reconcile", "pantau_alerts"]) == 0
        releases = {o.object_name.split("/")[2] for o in stack.store.client().list_objects(
            "pantau", prefix="published/releases/", recursive=True)}
        pointer = _json(stack, "published/current.json")
    assert len(list((home / "outbox").glob("*.eml"))) == before
    # Same inputs, same content: the re-run published nothing new and the pointer did not move.
    assert pointer == first_run["pointer"] and releases == {pointer["release"]}
