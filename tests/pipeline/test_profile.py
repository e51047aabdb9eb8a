"""``pantau profile``: the onboarding report, over the real protocols, publishing and e-mailing nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from pantau.pipeline.profile import ProfileSources, render_text, run_profile
from pantau.simulate.servers import BawasluApiServer, ExportsServer
from pantau.simulate.world import world_bkd_sources
from pantau.sources.bawaslu import BawasluClient
from pantau.sources.recommendations import RecommendationsClient

from .conftest import TOKEN


@pytest.fixture(scope="module")
def report(world: Path, s3) -> dict:
    from .conftest import new_store

    store = new_store(s3)
    with BawasluApiServer(world, TOKEN, None) as bawaslu, ExportsServer(world, None) as exports:
        bkds = [(sa.create_engine(s.url), s) for s in world_bkd_sources(world)]
        sources = ProfileSources(bawaslu=BawasluClient(bawaslu.url, TOKEN),
                                 recommendations=RecommendationsClient(exports.url), bkds=bkds,
                                 contacts=str(world / "contacts.json"))
        result = run_profile(sources, store, "profile-test", date(2025, 3, 1), per_page=50)
    result["_objects"] = [o.object_name for o in store.client.list_objects(store.bucket, recursive=True)]
    return result


def test_every_source_is_counted_and_reconciles(report: dict) -> None:
    sources = {row["source"] for row in report["sources"]}
    assert "bawaslu" in sources and "recommendations" in sources
    assert any(s.endswith(":pegawai") for s in sources) and any(s.endswith(":tindak_lanjut") for s in sources)
    for row in report["sources"]:
        assert row["records_in"] == row["staged"] + row["quarantined"], row
        assert sum(r["count"] for r in row["reasons"]) == row["quarantined"]
        assert all(r["sentence"] for r in row["reasons"])
    assert not report["problems"], report["problems"]


def test_matching_rates_cover_every_record(report: dict) -> None:
    matching = report["matching"]
    for side in ("cases", "recommendations", "case_links"):
        assert abs(sum(r["share"] for r in matching[side]) - 1.0) < 1e-3
        assert {r["value"] for r in matching[side]}
    assert matching["figures"]["cases"] > 0


def test_contacts_directory_is_checked(report: dict) -> None:
    assert report["contacts"]["agencies"] > 0
    assert report["contacts"]["escalation_contacts"] > 0


def test_nothing_is_published_or_sent(report: dict) -> None:
    published = [k for k in report["_objects"] if k.startswith(("published/restricted", "published/public"))]
    assert published == []
    assert not any(k.startswith("state/alerts") for k in report["_objects"])


def test_report_renders_every_section(report: dict) -> None:
    text = render_text(report)
    for heading in ("1. Records per source", "2. What would be quarantined", "3. Values and headers",
                    "4. Validation", "5. Matching against the registry", "6. Agency and region texts"):
        assert heading in text
    assert "nothing was published and nothing was e-mailed" in text


@pytest.mark.integration
def test_cli_profiles_the_demo_world(tmp_path: Path) -> None:
    """`pantau profile --demo` through the deployment path: Connections read by the DAGs' own hooks."""
    env = {**os.environ, "PANTAU_HOME": str(tmp_path / "home"), "NO_COLOR": "1"}
    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "pantau.cli", "profile", "--demo", "--registry-size", "3000",
                           "--cases", "80", "--json", str(out)], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "5. Matching against the registry" in done.stdout
    assert done.stdout.startswith("Pantau profile"), done.stdout[:500]  # logs go to stderr, the report to stdout
    assert "[info" not in done.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {r["source"] for r in report["sources"]} >= {"bawaslu", "recommendations"}
    assert not (tmp_path / "home" / "objectstore").exists()  # the demo's store was never started
    assert not (tmp_path / "home" / "outbox").exists()
