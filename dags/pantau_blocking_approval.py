"""
### BKN approves the blocking list

Runs after each reconcile run. Reads the release's **blocking candidates** (PNS whose PPK has not executed a
recommendation past the escalation deadline; Peraturan BKN 1/2023, docs/DOMAIN.md §2.3) and, when there is a
list nobody has decided on yet, asks BKN to **Approve** or **Reject** it here, in Airflow's human-in-the-loop
form ("Required Actions", or the REST API). The request shows the counts per PPK and agency, the candidates
with names and NIPs, the release and the restricted CSV: **this Airflow UI is for BKN operators only.**

- An empty list, or the same list already decided (same candidates, by content digest), asks nothing.
- **Approve**: the decision is recorded (`state/blocking/decisions/<digest>.json`: who, when, release) and the
  list is issued under `published/blocking/issued/<as_of>-<digest12>/` (restricted, national).
- **Reject**: the decision is recorded; nothing is issued; the same list is not asked again.
- No answer within `PANTAU_BLOCKING_APPROVAL_DAYS` (14 calendar days): the request fails without a default
  answer, nothing is issued, the data engineers get the failure e-mail and the next release asks again.

This DAG is never run with `dag.test()` (the demo and the DAG tests leave it out): a waiting approval would
hold the test. It is tested under a real scheduler (`tests/e2e/`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from pantau.settings import BlockingApprovalSettings
from pantau_airflow.assets import RELEASE
from pantau_airflow.notify import failure_notifier

ANSWER_KEY = "answer"
DEFAULT_ARGS = {"owner": "pantau-data", "retries": 2, "retry_delay": timedelta(minutes=2),
                "on_failure_callback": failure_notifier()}


class BlockingListApproval(ApprovalOperator):
    """``ApprovalOperator`` for the list ``prepare`` found. The request's subject and body (names and NIPs)
    are built here from the release, so they reach the approval form and nothing else: not XCom, not the
    rendered template fields, not the logs. An unanswered request fails at once: a retry would put the same
    list to BKN for another full waiting period, while the next release asks again anyway."""

    def execute(self, context: Any) -> Any:
        from pantau.followup.issuing import request_for
        from pantau_airflow.hooks import ObjectStoreHook

        prepared = context["ti"].xcom_pull(task_ids="prepare")
        with ObjectStoreHook() as store:
            request = request_for(store, prepared)
        self.subject, self.body = request["subject"], request["body"]
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        # On Reject the ApprovalOperator skips downstream by raising, so its return value never reaches XCom:
        # the answer is pushed here first, for record_decision to read either way.
        if "error" not in event:
            at = event.get("responded_at")
            context["ti"].xcom_push(key=ANSWER_KEY, value={
                "chosen_options": list(event.get("chosen_options") or []),
                "responded_by_user": event.get("responded_by_user"),
                "responded_at": at.isoformat() if hasattr(at, "isoformat") else at})
        return super().execute_complete(context, event)

    def process_trigger_event_error(self, event: dict[str, Any]) -> None:
        if event.get("error_type") == "timeout":
            raise AirflowFailException(
                f"Nobody approved or rejected the blocking list within {self.response_timeout}; nothing was issued "
                "and no decision recorded. The next release run asks again.")
        super().process_trigger_event_error(event)


@dag(
    dag_id="pantau_blocking_approval",
    schedule=[RELEASE],
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["pantau", "blocking", "approval"],
    doc_md=__doc__,
)
def pantau_blocking_approval() -> None:
    @task.short_circuit
    def prepare() -> dict | None:
        """The approval request, or nothing (empty or already decided list): the rest is skipped."""
        from pantau.followup.issuing import pin_for_approval, prepare_approval, summary
        from pantau_airflow.hooks import ObjectStoreHook

        with ObjectStoreHook() as store:
            try:
                request, why = prepare_approval(store)
            except FileNotFoundError as exc:  # no release, or no blocking list in it: retrying finds the same
                raise AirflowFailException(f"No blocking list to approve: {exc}") from exc
            if request:
                pin_for_approval(store, request)  # kept by retention while BKN decides
        print(why if request else f"{why}; skipping the approval")
        # Only the summary travels (XCom, and the short-circuit's log line): no name, no NIP.
        return summary(request) if request else None

    request = prepare()

    approval = BlockingListApproval(
        task_id="approve_blocking_list",
        subject="Persetujuan BKN: daftar calon pemblokiran",  # replaced in execute() by the list's own
        response_timeout=timedelta(days=BlockingApprovalSettings.from_env().response_days),
    )

    # Skipped by the ApprovalOperator on Reject; the decision is recorded either way (trigger rule below).
    approved = EmptyOperator(task_id="approved")

    @task(trigger_rule="none_failed")
    def record_decision() -> dict:
        from pantau.followup.issuing import settle
        from pantau_airflow.hooks import ObjectStoreHook

        context = get_current_context()
        ti = context["ti"]
        prepared = ti.xcom_pull(task_ids="prepare")
        response = ti.xcom_pull(task_ids="approve_blocking_list", key=ANSWER_KEY)
        if not prepared or not response:
            raise AirflowFailException("The approval step left no answer to record (XCom of prepare or "
                                       "approve_blocking_list is missing); re-run the DAG run from prepare.")
        with ObjectStoreHook() as store:
            result = settle(store, prepared, response, run_id=str(context["run_id"]))
        who = (response.get("responded_by_user") or {}).get("name", "?")
        print(f"blocking list {result['list_digest'][:12]} of release {result['release']}: {result['decision']} "
              f"by {who}; " + (f"issued under {result['issued']}" if result["issued"] else "nothing issued"))
        if result.get("ignored_answer"):
            print(f"an earlier decision on this list stands; this answer was not recorded: {result['ignored_answer']}")
        return result

    request >> approval >> approved >> record_decision()


pantau_blocking_approval()
