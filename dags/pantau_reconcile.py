"""
### Reconcile and publish

Runs when any staged source changes (Assets, not clock guesses). Links each Bawaslu case to its
recommendation and follow-up and to the registry person, derives the overdue recommendations under
the follow-up policy (`PANTAU_FOLLOW_UP_DAYS`, `PANTAU_ESCALATION_DAYS`, working days by default),
and publishes immutable dataset versions (Parquet + CSV + manifest) whose `_current.json` pointer
moves only after the version is complete.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task

from pantau_airflow.assets import (
    BAWASLU_CASES,
    COMPLIANCE_SUMMARY,
    CONSOLIDATED_CASES,
    FOLLOW_UPS,
    OVERDUE,
    RECOMMENDATIONS,
    REGISTRY,
)

DEFAULT_ARGS = {"owner": "pantau-data", "retries": 2, "retry_delay": timedelta(minutes=2)}


@dag(
    dag_id="pantau_reconcile",
    schedule=(BAWASLU_CASES | RECOMMENDATIONS | REGISTRY | FOLLOW_UPS),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["pantau", "reconcile", "publish"],
    doc_md=__doc__,
)
def pantau_reconcile() -> None:
    @task(outlets=[CONSOLIDATED_CASES, OVERDUE, COMPLIANCE_SUMMARY])
    def reconcile_and_publish() -> dict:
        from pantau.pipeline.service import reconcile_and_publish as run
        from pantau.settings import FollowUpPolicy
        from pantau_airflow.context import as_of_date, task_run_key
        from pantau_airflow.hooks import ObjectStoreHook

        context = get_current_context()
        with ObjectStoreHook() as store:
            result = run(store, str(context["run_id"]), task_run_key(context), as_of_date(context),
                         FollowUpPolicy.from_env())
        print(f"published: {result['figures']}")
        return result

    reconcile_and_publish()


pantau_reconcile()
