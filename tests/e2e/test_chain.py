"""The whole chain under Airflow's real components, as an operator would run it.

The session's cluster (scheduler, dag-processor, triggerer, api-server; LocalExecutor) reads the repository's
DAGs; its Connections point at the simulators (Bawaslu API and exports server with the world's HTTP faults,
four BKD SQLite databases), the S3 server and the SMTP sink. The test unpauses every DAG and triggers the
three ingest DAGs through REST API v2. Nothing else is triggered: the staged Assets start
``pantau_reconcile``, its release starts ``pantau_alerts`` and ``pantau_blocking_approval``. The approval is
answered through the API by BKN's account. When no run is queued or running and no Asset event waits, the
store, the mail server and every task instance are checked.
"""

from __future__ import annotations

import time
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from conftest import APPROVER

from pantau.followup import issuing
from pantau.publishing import release
from pantau.simulate.world import world_bkd_sources

pytestmark = pytest.mark.integration

INGEST = ("pantau_ingest_bawaslu", "pantau_ingest_recommendations", "pantau_ingest_bkd")
ASSET_SCHEDULED = ("pantau_reconcile", "pantau_alerts", "pantau_blocking_approval")
APPROVAL, GATE = "pantau_blocking_approval", "approve_blocking_list"
#: Wall-clock budget of the chain once the cluster is up (`make test` must stay under 15 minutes).
CHAIN_TIMEOUT_S = 420


def all_dag_ids() -> list[str]:
    return sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "dags").glob("pantau_*.py"))


def runs_of(cluster, dag_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return list(cluster.api("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})["dag_runs"])


def task_instances(cluster, dag_id: str, run_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    found = cluster.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})
    return list(found["task_instances"])


def queued_asset_events(cluster, dag_id: str) -> int:  # type: ignore[no-untyped-def]
    found = cluster.api("GET", f"/dags/{dag_id}/assets/queuedEvents", expect=(200, 404))
    return int((found or {}).get("total_entries", 0))


def run_chain(cluster) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Unpause, trigger the ingest DAGs, answer every approval request; returns when all is quiet."""
    for dag_id in all_dag_ids():
        cluster.wait_for_dag(dag_id)
    # Unpausing a cron DAG (catchup=False) makes the scheduler start its latest interval at once, so each ingest
    # DAG runs twice here: that scheduled run and the one triggered through the API (max_active_runs=1: one
    # after the other; the second finds little or nothing new). pantau_health runs on its own schedule too.
    for dag_id in ASSET_SCHEDULED:
        cluster.unpause(dag_id)
    for dag_id in sorted(set(all_dag_ids()) - set(ASSET_SCHEDULED)):
        cluster.unpause(dag_id)
    triggered = {dag_id: cluster.trigger(dag_id) for dag_id in INGEST}
    answered: dict[str, dict[str, Any]] = {}
    deadline, quiet_since = time.monotonic() + CHAIN_TIMEOUT_S, None
    while True:
        cluster._check_alive()
        active = cluster.api("GET", "/dags/~/dagRuns", params=[("state", "queued"), ("state", "running"),
                                                                ("limit", 100)])["dag_runs"]
        for run in active:
            if run["dag_id"] == APPROVAL and run["dag_run_id"] not in answered and \
                    cluster.task_state(APPROVAL, run["dag_run_id"], GATE) == "awaiting_input":
                answered[run["dag_run_id"]] = answer_approval(cluster, run["dag_run_id"])
        waiting = sum(queued_asset_events(cluster, d) for d in ASSET_SCHEDULED)
        if active or waiting:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 6:  # a scheduler loop or two with nothing left to start
            return {"triggered": triggered, "answered": answered}
        if time.monotonic() > deadline:
            raise TimeoutError(f"the chain did not finish in {CHAIN_TIMEOUT_S} s; still active: "
                               f"{[(r['dag_id'], r['state']) for r in active]}\n{cluster.log_tails()}")
        time.sleep(1.5)


def answer_approval(cluster, run_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    cluster.wait_for_parked(APPROVAL, run_id, GATE)
    path = f"/dags/{APPROVAL}/dagRuns/{run_id}/taskInstances/{GATE}/-1/hitlDetails"
    detail = cluster.api("GET", path, user=APPROVER)
    response = cluster.api("PATCH", path, user=APPROVER, json={"chosen_options": ["Approve"]})
    return {"detail": detail, "response": response}


@pytest.fixture(scope="module")
def chain(airflow_cluster, e2e_store, e2e_stack):  # type: ignore[no-untyped-def]
    outbox = e2e_stack.smtp.outbox
    before = set(outbox.glob("*.eml"))
    # The session's cluster may already hold other modules' runs (test_blocking_approval's): not this chain's.
    earlier = {(d, r["dag_run_id"]) for d in all_dag_ids() if _parsed(airflow_cluster, d)
               for r in runs_of(airflow_cluster, d)}
    started = time.monotonic()
    outcome = run_chain(airflow_cluster)
    outcome["seconds"] = time.monotonic() - started
    print(f"\nwhole chain under the real scheduler: {outcome['seconds']:.0f} s "
          f"({airflow_cluster.metadata} metadata)")
    outcome["runs"] = {d: [r for r in runs_of(airflow_cluster, d) if (d, r["dag_run_id"]) not in earlier]
                       for d in all_dag_ids()}
    outcome["tis"] = {(d, r["dag_run_id"]): task_instances(airflow_cluster, d, r["dag_run_id"])
                      for d, runs in outcome["runs"].items() for r in runs}
    outcome["emails"] = sorted(set(outbox.glob("*.eml")) - before)
    return outcome


def _parsed(cluster, dag_id: str) -> bool:  # type: ignore[no-untyped-def]
    return cluster.api("GET", f"/dags/{dag_id}", expect=(200, 404)).get("dag_id") == dag_id


def summaries(store, dag_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return [store.get_json(k) for k in store.list(f"runs/{dag_id}/") if k.endswith(".json")]


def test_every_run_succeeded_and_no_task_failed_or_retried(chain):
    runs = chain["runs"]
    for dag_id, run_id in chain["triggered"].items():
        assert run_id in {r["dag_run_id"] for r in runs[dag_id]}
    assert {r["state"] for rs in runs.values() for r in rs} <= {"success"}, \
        {d: [(r["dag_run_id"], r["state"]) for r in rs] for d, rs in runs.items()}
    # The Asset-scheduled DAGs were started by the scheduler, not by anyone's trigger.
    for dag_id in ASSET_SCHEDULED:
        assert runs[dag_id] and {r["run_type"] for r in runs[dag_id]} == {"asset_triggered"}, dag_id
    tries = {(d, r, ti["task_id"], ti["map_index"]): ti["try_number"] for (d, r), tis in chain["tis"].items()
             for ti in tis}
    bad = {(d, r, ti["task_id"], ti["map_index"]): ti["state"] for (d, r), tis in chain["tis"].items()
           for ti in tis if ti["state"] not in ("success", "skipped")}
    assert not bad, bad
    retried = {k: n for k, n in tries.items() if n > 1}
    assert not retried, f"tasks that needed an Airflow retry: {retried}"


def test_bkd_tasks_were_mapped_one_per_connection(chain, e2e_world):
    codes = sorted(s.code for s in world_bkd_sources(e2e_world))
    run_id = chain["triggered"]["pantau_ingest_bkd"]
    mapped = [ti for ti in chain["tis"][("pantau_ingest_bkd", run_id)] if ti["task_id"] == "ingest_bkd"]
    assert sorted(ti["map_index"] for ti in mapped) == list(range(len(codes)))
    assert sorted(ti["rendered_map_index"] for ti in mapped) == sorted(f"bkd_{c}".lower() for c in codes)


def test_reconcile_waited_for_every_source_then_published_one_release(chain, e2e_store):
    store = e2e_store
    reconciled = [(r["dag_run_id"], {ti["task_id"]: ti["state"] for ti in chain["tis"][("pantau_reconcile",
                                                                                         r["dag_run_id"])]})
                  for r in chain["runs"]["pantau_reconcile"]]
    published = [run for run, states in reconciled if states["reconcile_and_publish"] == "success"]
    assert published, reconciled
    # A run started before all four sources were staged skipped, it did not fail.
    for _run, states in reconciled:
        assert states["validate_sources"] in ("success", "skipped")
    pointer = store.get_json(release.POINTER_KEY)
    manifest = store.get_json(pointer["manifest"])
    assert set(manifest["datasets"]) >= {"consolidated_cases", "overdue_recommendations", "review_queue",
                                         "blocking_candidates", "compliance_statistics", "quarantine_summary"}
    for name in manifest["datasets"]:
        assert len(release.read_dataset(store, name, manifest)) == manifest["datasets"][name]["rows"], name
    assert manifest["datasets"]["consolidated_cases"]["rows"] > 0


def test_counts_reconcile_per_source(chain, e2e_store, e2e_world):
    counted: dict[str, int] = {}
    for dag_id in INGEST:
        found = summaries(e2e_store, dag_id)
        assert found, dag_id
        for summary in found:
            for count in summary.get("counts", []) + [c for b in summary.get("bkds", []) for c in b["counts"]]:
                assert count["records_in"] == count["staged"] + count["quarantined"], (dag_id, count)
                assert count["quarantined"] == sum(count["by_reason"].values()), (dag_id, count)
                counted[count["source"]] = counted.get(count["source"], 0) + count["records_in"]
    bkds = len(world_bkd_sources(e2e_world))
    assert len(counted) >= 2 + 2 * bkds, counted  # Bawaslu, exports, registry and follow-ups per BKD
    assert all(n > 0 for n in counted.values()), counted


def test_emails_one_per_recipient_set_and_no_duplicates(chain, e2e_store, e2e_stack):
    parsed = [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in chain["emails"]]
    ops = {a.strip().lower() for a in e2e_stack.env["PANTAU_OPS_EMAIL"].replace(";", ",").split(",")}
    to_ops = [m for m in parsed if {a.strip().lower() for a in m["X-RcptTo"].split(",")} <= ops]
    # The data engineers may get pantau_health's report, never a task failure e-mail.
    assert not [m["Subject"] for m in to_ops if " failed (run " in str(m["Subject"])]
    messages = [m for m in parsed if m not in to_ops]
    assert messages, "no alert digest reached the SMTP sink"
    ids = [m["Message-ID"] for m in messages]
    assert len(ids) == len(set(ids)), "the same message was delivered twice"
    recipient_sets = [frozenset(a.strip().lower() for a in m["X-RcptTo"].split(",")) for m in messages]
    assert len(recipient_sets) == len(set(recipient_sets)), "a recipient set received two digests"
    sent = [entry for s in summaries(e2e_store, "pantau_alerts") for entry in s["sent"]]
    assert sorted(e["message_id"] for e in sent) == sorted(ids)
    for message in messages:
        assert str(message["Subject"]).strip().startswith("[Pantau]")
        assert {p.get_content_type() for p in message.walk()} >= {"text/plain", "text/html"}
    assert any(m.get_filename() and m.get_filename().startswith("kandidat-pemblokiran-")
               for msg in messages for m in msg.iter_attachments()), "no escalation digest with the candidates"


def test_blocking_list_approved_through_the_api_and_issued(chain, e2e_store):
    store = e2e_store
    assert chain["answered"], "the blocking list was never put to BKN"
    for answer in chain["answered"].values():
        assert answer["response"]["responded_by"]["name"] == APPROVER
        assert answer["detail"]["options"] == ["Approve", "Reject"]
    pointer = store.get_json(issuing.ISSUED_POINTER)
    issued = store.get_json(pointer["manifest"])
    assert issued["decision"]["decision"] == "approved" and issued["decision"]["responded_by"]["name"] == APPROVER
    asked = store.get_json(f"{release.RELEASES_PREFIX}/{issued['decision']['release']}/release.json")
    candidates = release.read_dataset(store, "blocking_candidates", asked)
    assert issued["rows"] == len(candidates) > 0
    assert issued["decision"]["run_id"] in chain["answered"]
    assert store.get_json(release.PINNED_KEY) == []
