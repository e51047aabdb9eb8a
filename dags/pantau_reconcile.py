"""
### Reconcile and publish

Runs when any staged source changes (Assets, not clock guesses). `validate_sources` checks each
staged table with its Great Expectations suite (`expectations/`): rows failing a row-level
expectation are quarantined with that expectation as the reason; a dataset-level failure (schema
drift, volume anomaly, too much quarantine) stops the run and nothing is published. A report page of
every validation lands in `published/validation/`. `reconcile_and_publish` then matches each case and
recommendation to a registry person in stages (exact NIP, NIP repair, Excel-damaged prefix, name in
agency or region), links case, recommendation and follow-up, flags conflicts (lighter sanction,
decree for someone inactive, transfer between BKDs from `staging/transfers`, ...), applies stewards'
decisions from `review/decisions.csv`, derives the overdue recommendations under the follow-up policy
(`PANTAU_FOLLOW_UP_DAYS`, `PANTAU_ESCALATION_DAYS`, working days by default), and publishes **one release**:
consolidated cases, overdue recommendations, review queue and BKN blocking candidates (restricted:
national files plus one extract per PPK office, with an access policy each), compliance statistics after
small-cell disclosure control and the quarantine summary (public), a Data Package, a DCAT record and a
catalog page. The pointer `published/current.json` moves only after every file is written and read back;
a run whose data equals the current release publishes nothing; `PANTAU_RELEASES_KEEP` releases are kept.
Until every source has been staged once (a new installation), a run is skipped, not failed: it waits
for the other ingest DAGs, whose Assets trigger it again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, get_current_context, task

from pantau_airflow.assets import BAWASLU_CASES, FOLLOW_UPS, RECOMMENDATIONS, REGISTRY, RELEASE
from pantau_airflow.notify import failure_notifier

DEFAULT_ARGS = {"owner": "pantau-data", "retries": 2, "retry_delay": timedelta(minutes=2),
                "on_failure_callback": failure_notifier()}


def sources_not_staged(store: Any) -> list[str]:
    """The source tables with no staged version at all (``staging/<table>/_current.json`` absent)."""
    from pantau.pipeline.quality import SOURCE_TABLES

    return [table for table in SOURCE_TABLES if not store.exists(f"staging/{table}/_current.json")]


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
    @task
    def validate_sources() -> dict:
        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

        from pantau.exceptions import ValidationFailed
        from pantau.pipeline.quality import validate_sources as run
        from pantau.settings import ValidationSettings
        from pantau_airflow.context import as_of_date, task_run_key
        from pantau_airflow.hooks import ObjectStoreHook

        context = get_current_context()
        with ObjectStoreHook() as store:
            missing = sources_not_staged(store)
            if missing:
                # Under a real scheduler the first ingest DAG to finish on a new installation triggers this
                # run before the other sources were ever staged. That is waiting, not failure: skip (no
                # release, no retry, no failure e-mail); the next source's Asset event runs reconcile again.
                raise AirflowSkipException(
                    f"Nothing reconciled yet: {', '.join(missing)} has never been staged; reconcile runs again "
                    "when its ingest DAG delivers.")
            try:
                results = run(store, task_run_key(context), as_of_date(context), ValidationSettings.from_env())
            except ValidationFailed as exc:
                # Retrying cannot fix bad data: fail now, with the message a data engineer acts on.
                raise AirflowFailException(str(exc.args[0])) from exc
        for table, result in results.items():
            print(f"validated {table}: " + (result.get("skipped") or
                  f"{result['rows_in']} in = {result['rows_valid']} valid + {result['rows_quarantined']} quarantined"))
        return {t: {k: v for k, v in r.items() if k != "summary"} for t, r in results.items()}

    @task(outlets=[RELEASE])
    def reconcile_and_publish() -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from pantau.exceptions import ValidationFailed
        from pantau.pipeline.service import reconcile_and_publish as run
        from pantau.settings import FollowUpPolicy
        from pantau_airflow.context import as_of_date, task_run_key
        from pantau_airflow.hooks import ObjectStoreHook

        context = get_current_context()
        with ObjectStoreHook() as store:
            try:
                result = run(store, str(context["run_id"]), task_run_key(context), as_of_date(context),
                             FollowUpPolicy.from_env())
            except ValidationFailed as exc:
                raise AirflowFailException(str(exc.args[0])) from exc
        verb = {"unchanged": "unchanged, nothing new published", "completed": "completed an interrupted release"}
        print(f"release {result['release']}: {verb.get(result['status'], 'published')}; figures {result['figures']}")
        return result

    validate_sources() >> reconcile_and_publish()


pantau_reconcile()
