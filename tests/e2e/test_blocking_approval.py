"""BKN approves or rejects the blocking list under a real Airflow scheduler, answering through REST API v2.

One cluster for the module (scheduler, dag-processor, triggerer, api-server; LocalExecutor). The store
holds releases built with the library; ``pantau_blocking_approval`` is triggered through the API, the
approval task is found waiting for input, its request is read and answered through the API by the
approver's account, and the store is checked for what was recorded and issued.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pantau.followup import blocking_candidates, issuing
from pantau.publishing import release

pytestmark = pytest.mark.integration

DAG_ID = "pantau_blocking_approval"
GATE = "approve_blocking_list"
OPERATOR, APPROVER = "pantau_ops", "bkn_approver"


def candidates(n: int, as_of: date, first: int = 0) -> pd.DataFrame:
    rows = [{"state": "escalated", "follow_up_state": None, "registry_nama": f"Pegawai {i:03d}",
             "nip": f"19800101200501{i:04d}", "registry_kode_instansi": "33.10.01" if i % 2 else "13.06.01",
             "registry_nama_instansi": "Dinas Pendidikan Kabupaten Klaten" if i % 2 else "Dinas Pendidikan Kabupaten Agam",
             "ppk": "Bupati Klaten" if i % 2 else "Bupati Agam", "pemilihan": "PILKADA 2024",
             "nomor_register": f"{i:03d}/REG/2024", "nomor_rekomendasi": f"R-{i:03d}/KASN/2024",
             "tanggal_rekomendasi": date(2024, 11, 1), "rekomendasi_sanksi": "hukuman disiplin sedang",
             "due_date": date(2024, 11, 21), "escalation_date": date(2024, 12, 11)} for i in range(first, first + n)]
    return blocking_candidates(pd.DataFrame(rows), as_of)


def publish(store, frame: pd.DataFrame, as_of: date, run: str) -> dict:  # type: ignore[no-untyped-def]
    return release.publish_release(store, {"blocking_candidates": frame}, extracts={}, unassigned={}, as_of=as_of,
                                   facts={"run_id": run, "run_key": run}).manifest


def run_until_asked(cluster, store) -> tuple[str, dict]:  # type: ignore[no-untyped-def]
    run_id = cluster.trigger(DAG_ID)
    state = cluster.wait_for_task(DAG_ID, run_id, GATE, ("awaiting_input", "deferred"), timeout=150)
    assert state == "awaiting_input"  # Airflow 3.3 parks a waiting HITL task without a trigger
    cluster.wait_for_parked(DAG_ID, run_id, GATE)
    detail = cluster.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{GATE}/-1/hitlDetails",
                         user=APPROVER)
    return run_id, detail


def answer(cluster, run_id: str, option: str) -> dict:  # type: ignore[no-untyped-def]
    return cluster.api("PATCH", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{GATE}/-1/hitlDetails",
                       user=APPROVER, json={"chosen_options": [option]})


def test_approve_then_reject_then_nothing_to_ask(airflow_cluster, e2e_store):
    cluster, store = airflow_cluster, e2e_store
    first = publish(store, candidates(4, date(2025, 3, 3)), date(2025, 3, 3), "reconcile-1")
    cluster.wait_for_dag(DAG_ID)
    cluster.unpause(DAG_ID)

    # 1. the approver sees the list and approves it
    run_id, detail = run_until_asked(cluster, store)
    assert detail["options"] == ["Approve", "Reject"] and not detail["defaults"]  # no default answer
    assert detail["response_received"] is False
    assert first["release"] in detail["subject"] and "4 rekomendasi" in detail["subject"]
    body = detail["body"]
    assert first["release"] in body and "blocking_candidates/data.csv" in body
    assert "| Bupati Klaten | 33.10.01 | Dinas Pendidikan Kabupaten Klaten | 2 |" in body
    for i in range(4):
        assert f"19800101200501{i:04d}" in body and f"R-{i:03d}/KASN/2024" in body
    pins = store.get_json(release.PINNED_KEY)  # kept from retention while BKN decides
    assert [p["release"] for p in pins if p["by"] == "pantau_blocking_approval"] == [first["release"]]
    response = answer(cluster, run_id, "Approve")
    assert response["responded_by"]["name"] == APPROVER
    assert cluster.wait_for_run(DAG_ID, run_id) == "success"
    assert cluster.task_states(DAG_ID, run_id)["record_decision"] == "success"

    digest = issuing.list_digest(release.read_dataset(store, "blocking_candidates", first))
    decision = store.get_json(issuing.decision_key(digest))
    assert decision["decision"] == "approved" and decision["responded_by"]["name"] == APPROVER
    assert decision["release"] == first["release"] and decision["run_id"] == run_id
    prefix = issuing.issued_prefix("2025-03-03", digest)
    issued = store.get_json(f"{prefix}/issued.json")
    assert issued["rows"] == 4 and issued["decision"]["responded_by"]["name"] == APPROVER
    assert store.get_bytes(f"{prefix}/data.csv") == store.get_bytes(
        release.dataset_key(first, "blocking_candidates", "data.csv"))
    assert store.get_json(issuing.ISSUED_POINTER)["manifest"] == f"{prefix}/issued.json"
    assert store.get_json(release.PINNED_KEY) == []

    # 2. a different list (one more candidate) is asked again, and rejected: recorded, not issued
    second = publish(store, candidates(5, date(2025, 3, 4)), date(2025, 3, 4), "reconcile-2")
    run_id, detail = run_until_asked(cluster, store)
    assert second["release"] in detail["body"] and "5 rekomendasi" in detail["subject"]
    answer(cluster, run_id, "Reject")
    assert cluster.wait_for_run(DAG_ID, run_id) == "success"
    states = cluster.task_states(DAG_ID, run_id)
    assert states["approved"] == "skipped" and states["record_decision"] == "success"
    digest2 = issuing.list_digest(release.read_dataset(store, "blocking_candidates", second))
    rejected = store.get_json(issuing.decision_key(digest2))
    assert rejected["decision"] == "rejected" and rejected["responded_by"]["name"] == APPROVER
    assert not store.exists(f"{issuing.issued_prefix('2025-03-04', digest2)}/issued.json")
    assert [k for k in store.list(issuing.ISSUED_PREFIX + "/") if k.endswith("issued.json")] == [f"{prefix}/issued.json"]
    assert store.get_json(issuing.ISSUED_POINTER)["manifest"] == f"{prefix}/issued.json"

    # 3. the same list in the next day's release is not asked again: the gate is skipped
    publish(store, candidates(5, date(2025, 3, 5)), date(2025, 3, 5), "reconcile-3")
    run_id = cluster.trigger(DAG_ID)
    assert cluster.wait_for_run(DAG_ID, run_id) == "success"
    states = cluster.task_states(DAG_ID, run_id)
    assert states["prepare"] == "success"
    assert {states[GATE], states["approved"], states["record_decision"]} == {"skipped"}
