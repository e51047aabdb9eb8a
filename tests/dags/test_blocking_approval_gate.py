"""The approval gate of ``pantau_blocking_approval`` without a scheduler: what a timeout and a Reject do.

The DAG itself runs under a real scheduler in tests/e2e (never with ``dag.test()``: a waiting approval
there does not finish); these tests call the operator's resume method the way the scheduler would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"


class FakeTI:
    map_index = -1

    def __init__(self) -> None:
        self.pushed: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.pushed[key] = value


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS / "pantau_blocking_approval.py")).dags["pantau_blocking_approval"]


def test_shape_no_default_and_configured_timeout(dag):
    gate = dag.get_task("approve_blocking_list")
    assert gate.options == ["Approve", "Reject"] and gate.defaults is None
    assert gate.response_timeout == timedelta(days=14)
    assert dag.get_task("record_decision").trigger_rule == "none_failed"
    assert dag.get_task("approved").upstream_task_ids == {"approve_blocking_list"}
    assert dag.get_task("record_decision").upstream_task_ids == {"approved"}


def test_timeout_fails_without_retry(dag):
    from airflow.sdk.exceptions import AirflowFailException

    gate = dag.get_task("approve_blocking_list")
    with pytest.raises(AirflowFailException, match="nothing was issued"):
        gate.execute_complete({"ti": FakeTI(), "task": gate}, {"error": "timed out", "error_type": "timeout"})


@pytest.mark.parametrize("option", ["Approve", "Reject"])
def test_answer_reaches_xcom_on_approve_and_reject(dag, option):
    """On Reject the stock operator skips downstream by raising, so its return value is never pushed: the
    answer the record task reads is pushed before that."""
    gate = dag.get_task("approve_blocking_list")
    ti = FakeTI()
    event = {"chosen_options": [option], "params_input": {}, "responded_at": datetime(2025, 3, 4, 2, 30, tzinfo=UTC),
             "responded_by_user": {"id": "bkn_approver", "name": "bkn_approver"}}
    if option == "Reject":
        from airflow.sdk.exceptions import DownstreamTasksSkipped

        with pytest.raises(DownstreamTasksSkipped) as skipped:
            gate.execute_complete({"ti": ti, "task": gate}, event)
        assert list(skipped.value.tasks) == ["approved"]
    else:
        gate.execute_complete({"ti": ti, "task": gate}, event)
    assert ti.pushed["answer"] == {"chosen_options": [option], "responded_at": "2025-03-04T02:30:00+00:00",
                                   "responded_by_user": {"id": "bkn_approver", "name": "bkn_approver"}}
