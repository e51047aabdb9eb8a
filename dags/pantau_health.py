"""
### Source health for data engineers

Daily, independent of the other DAGs (a source that stopped delivering triggers nothing downstream, so
its silence must be noticed by a clock). Reads the ingest run summaries (`runs/<dag_id>/`) and reports
by e-mail to the data engineers (Variable `pantau_ops_email` or `PANTAU_OPS_EMAIL`), through the SMTP
connection `smtp_default`: a source that has delivered no new record for `PANTAU_STALE_SOURCE_DAYS`
days, and a source whose quarantined share jumped by `PANTAU_QUARANTINE_JUMP` against its previous runs.
Each state is e-mailed once (the state lives in `state/health/state.json`); a recovery is e-mailed once
too. Every check is recorded in `runs/pantau_health/<run>.json`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task

from pantau_airflow.notify import failure_notifier

DEFAULT_ARGS = {"owner": "pantau-data", "retries": 2, "retry_delay": timedelta(minutes=10),
                "on_failure_callback": failure_notifier()}


@dag(
    dag_id="pantau_health",
    schedule="0 8 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["pantau", "health"],
    doc_md=__doc__,
)
def pantau_health() -> None:
    @task
    def check_sources() -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from pantau.pipeline import health
        from pantau.pipeline.runs import write_summary
        from pantau.settings import OPS_EMAIL_VARIABLE, HealthSettings
        from pantau_airflow.context import task_run_key
        from pantau_airflow.hooks import ObjectStoreHook
        from pantau_airflow.notify import ops_recipients, send_ops_mail

        key = task_run_key(get_current_context())
        with ObjectStoreHook() as store:
            report = health.check(store, HealthSettings.from_env())
            for finding in report.findings:
                print(f"health: {finding.sentence}")
            summary = {"run_key": key, **report.summary(), "e_mailed": False}
            if report.changed:
                recipients = ops_recipients()
                if not recipients:
                    write_summary(store, "pantau_health", key, summary)
                    raise AirflowFailException(f"{len(report.new)} new source health finding(s) could not be e-mailed: "
                                               f"set the Variable {OPS_EMAIL_VARIABLE} or PANTAU_OPS_EMAIL to the "
                                               "data engineers' addresses; the findings are in the task log.")
                send_ops_mail(*health.message(report, store.bucket), recipients)
                health.remember(store, report)
                summary["e_mailed"] = True
            write_summary(store, "pantau_health", key, summary)
        print(f"health: {len(report.findings)} finding(s), {len(report.new)} new, {len(report.resolved)} resolved; "
              f"e-mail {'sent' if summary['e_mailed'] else 'not needed'}")
        return summary

    check_sources()


pantau_health()
