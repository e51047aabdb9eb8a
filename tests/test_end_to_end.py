"""The DAG chain, run by Airflow (``dag.test()``) against the simulators over HTTP, SQL, S3 and SMTP."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pandas as pd
import pytest

from pantau.demo import (
    BucketSnapshot,
    DemoDay,
    ensure_world,
    format_changes,
    local_stack,
    release_changes,
    run_pipeline,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("world")
    ensure_world(path, {"seed": 7, "registry_size": 3000, "cases": 80}, progress=False)
    return path


@pytest.fixture(scope="module")
def first_run(world, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    # Day 1 of the world (its first phase); test_day_two_... serves the next phase into the same home.
    with local_stack(home, world, phase=1) as stack:
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


def _bucket(first_run) -> Path:
    return first_run["home"] / "objectstore" / "pantau"


def _readable_by_offices(first_run) -> list[str]:
    """Every object an office's policy lets it read, other than its own restricted extracts."""
    from pantau.publishing import access

    policy = access.policy_for("bupati-contoh", "pantau")
    return [o for o in first_run["objects"] if "/restricted/" not in o
            and access.evaluate(policy, "s3:GetObject", "pantau", o)]


def test_no_public_file_holds_a_nip_a_registry_name_or_a_small_cell(first_run):
    from pantau.publishing import release
    from pantau.settings import DisclosureSettings

    bucket = _bucket(first_run)
    manifest = json.loads((bucket / first_run["pointer"]["manifest"]).read_text(encoding="utf-8"))
    consolidated = pd.read_parquet(bucket / release.dataset_key(manifest, "consolidated_cases"))
    nips = set(consolidated["nip"].dropna().astype(str)) | set(consolidated["case_nip"].dropna().astype(str))
    names = {n for n in consolidated["registry_nama"].dropna().astype(str) if len(n) >= 8}
    public = _readable_by_offices(first_run)
    assert any(k.endswith("public/compliance_statistics/data.csv") for k in public)
    assert any(k.endswith("/datapackage.json") for k in public) and "published/index.html" in public
    assert not any(k.endswith("release.json") for k in public)  # per-office row counts are small cells
    for key in public:
        text = (bucket / key).read_bytes().decode("utf-8", errors="replace") if not key.endswith(
            (".parquet", ".xlsx")) else _tabular_text(bucket / key)
        assert not re.search(r"(?<!\d)\d{18}(?!\d)", text), f"an 18-digit number (NIP) in public {key}"
        leaked = [n for n in names if n in text]
        assert not leaked, f"registry names in public {key}: {leaked[:3]}"
        assert not any(nip in text for nip in nips), key
    statistics = pd.read_parquet(bucket / release.dataset_key(manifest, "compliance_statistics"))
    shown = statistics[~statistics["suppressed"]]
    assert len(shown) and (shown["persons"] >= DisclosureSettings().k).all()
    assert statistics.loc[statistics["suppressed"], ["reported", "followed_up"]].isna().all().all()


def _tabular_text(path: Path) -> str:
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv(index=False)
    import openpyxl

    sheet = openpyxl.load_workbook(path, read_only=True).active
    return "\n".join(",".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True))


def test_the_release_is_complete_and_its_extracts_add_up(first_run):
    from pantau.storage import sha256_hex

    bucket = _bucket(first_run)
    manifest = json.loads((bucket / first_run["pointer"]["manifest"]).read_text(encoding="utf-8"))
    for entry in manifest["datasets"].values():
        for info in entry["files"].values():
            assert sha256_hex((bucket / info["key"]).read_bytes()) == info["sha256"], info["key"]
        if entry["access"] == "restricted":
            extract_rows = sum(e["rows"] for e in entry["extracts"].values())
            assert extract_rows + entry["unassigned_rows"] == entry["rows"]
    assert set(manifest["datasets"]) == {"consolidated_cases", "overdue_recommendations", "review_queue",
                                         "blocking_candidates", "compliance_statistics", "quarantine_summary"}
    assert manifest["sources"]["registry"]["sha256"] and manifest["code_version"].startswith("pantau")
    # Lineage: the validated inputs it was built from, and every file it wrote, each with its sha256.
    inputs = {i["key"]: i["sha256"] for i in manifest["lineage"]["inputs"]}
    assert inputs == {s["key"]: s["sha256"] for s in manifest["sources"].values() if s.get("key")}
    assert all(sha256_hex((bucket / key).read_bytes()) == digest for key, digest in inputs.items())
    outputs = {o["key"] for o in manifest["lineage"]["outputs"]}
    listed = {f["key"] for e in manifest["datasets"].values() for f in e["files"].values()}
    listed |= {f["key"] for e in manifest["datasets"].values() for x in e.get("extracts", {}).values()
               for f in x["files"].values()}
    assert outputs == listed | {d["key"] for d in manifest["documents"].values()}
    quarantine = pd.read_parquet(bucket / manifest["datasets"]["quarantine_summary"]["files"]["data.parquet"]["key"])
    counted = sum(c["quarantined"] for s in first_run["summaries"].values()
                  for c in s.get("counts", []) + [c for b in s.get("bkds", []) for c in b["counts"]])
    assert quarantine.loc[quarantine["stage"] == "ingest", "records"].sum() == counted


def test_the_catalog_page_renders_in_chromium_from_the_bucket_mirror(first_run, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Chromium is not installed: run `make browser`"
    page = _bucket(first_run) / "published" / "index.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path}",
             "--host-resolver-rules=MAP * ~NOTFOUND"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, timeout=120,
                         check=True).stdout.decode()
    manifest = json.loads((_bucket(first_run) / first_run["pointer"]["manifest"]).read_text(encoding="utf-8"))
    assert first_run["pointer"]["release"] in dom
    rows = manifest["datasets"]["consolidated_cases"]["rows"]
    assert re.search(rf'data-figure="rows-consolidated_cases"[^>]*data-value="{rows}"', dom) or \
        re.search(rf'data-value="{rows}"[^>]*data-figure="rows-consolidated_cases"', dom), "row count not shown"
    assert dom.count("<svg") >= 4
    for link in re.findall(r'href="([^"#]+)"', dom):
        assert not link.startswith(("http:", "https:", "//")), link
        target = (page.parent / link).resolve()
        assert target.exists(), f"the catalog page links to {link}, which is not in the bucket"


def _message_ids(outbox: Path) -> list[str]:
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes())["Message-ID"]
            for p in sorted(outbox.glob("*.eml"))]


# Last in the module: these runs move the home to day 2, after every day-1 assertion above.
def test_day_two_publishes_what_changed_and_sends_only_new_items(first_run, world):
    """The world's next phase (new and updated cases, corrected exports, new decrees) read incrementally
    into a new release, with its changes against day 1 and only new or due alert items."""
    home = first_run["home"]
    bucket, outbox = home / "objectstore" / "pantau", home / "outbox"
    sent1 = _message_ids(outbox)
    before = BucketSnapshot.of(bucket)
    with local_stack(home, world, phase=2) as stack:
        assert run_pipeline(stack) == 0
    pointer = json.loads((bucket / "published" / "current.json").read_text(encoding="utf-8"))
    assert pointer["release"] != first_run["pointer"]["release"] and pointer["as_of"] == "2025-03-03"
    manifest = json.loads((bucket / pointer["manifest"]).read_text(encoding="utf-8"))
    assert manifest["previous_release"] == first_run["pointer"]["release"]
    cases = manifest["datasets"]["consolidated_cases"]
    assert cases["changes"]["added"] > 0 and cases["changes"]["changed"] > 0, cases["changes"]
    # The demo's end-of-run table carries the manifest's figures.
    printed = "\n".join(format_changes(DemoDay(phase=2, phases=(1, 2), as_of="2025-03-03", fresh=True), release_changes(bucket, before)))
    assert re.search(rf"consolidated_cases\s+{cases['rows']:,}\s+{cases['changes']['added']:,}\s+"
                     rf"{cases['changes']['removed']:,}\s+{cases['changes']['changed']:,}", printed), printed
    # Incremental: day 2's Bawaslu pull read fewer records than it now holds.
    day2 = json.loads(sorted((bucket / "runs" / "pantau_ingest_bawaslu").glob("*.json"))[-1].read_text("utf-8"))
    assert 0 < day2["counts"][0]["records_in"] < day2["current_rows"]
    sent2 = _message_ids(outbox)
    assert len(sent2) == len(set(sent2)) and set(sent1) < set(sent2)
    alerts = [json.loads(p.read_text("utf-8")) for p in sorted((bucket / "runs" / "pantau_alerts").glob("*.json"))]
    assert alerts[-1]["as_of"] == "2025-03-03" and alerts[-1]["items_new"] > 0, alerts[-1]


def test_rerun_of_the_same_day_publishes_nothing_and_sends_no_e_mail(first_run, world):
    """Same inputs again: no new release, the pointer stays, no e-mail."""
    home = first_run["home"]
    before = len(list((home / "outbox").glob("*.eml")))
    pointer_before = json.loads((home / "objectstore" / "pantau" / "published" / "current.json").read_text("utf-8"))
    with local_stack(home, world, phase=2) as stack:
        assert run_pipeline(stack, ["pantau_reconcile", "pantau_alerts"]) == 0
        pointer = _json(stack, "published/current.json")
    assert len(list((home / "outbox").glob("*.eml"))) == before
    assert pointer == pointer_before
