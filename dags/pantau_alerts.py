"""
### Alert PPK offices

Runs after each reconcile run (its release, new or unchanged, holds the overdue recommendations). Sends one digest e-mail per
PPK office (Bahasa Indonesia, HTML and plain text) listing its overdue and soon-due
recommendations, and one escalation digest to BKN/Kemendagri (contacts from the directory named by
the Variable `pantau_contacts`). An alert already sent for the same state is never sent again; when
the mail server is down the task fails and its retry sends only what is left. Without a published release, or
with a contacts directory it cannot read or use, it fails at once (no retry could help) with the sentence that
says what to fix; every task failure is e-mailed to the data engineers (`pantau_ops_email`).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task

from pantau_airflow.assets import RELEASE
from pantau_airflow.notify import failure_notifier

DEFAULT_ARGS = {"owner": "pantau-data", "retries": 3, "retry_delay": timedelta(minutes=5),
                "on_failure_callback": failure_notifier()}


@dag(
    dag_id="pantau_alerts",
    schedule=[RELEASE],
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["pantau", "alerts"],
    doc_md=__doc__,
)
def pantau_alerts() -> None:
    @task
    def send_alerts() -> dict:
        from airflow.sdk import Variable
        from airflow.sdk.exceptions import AirflowFailException

        from pantau.exceptions import ConfigError
        from pantau.pipeline.service import send_alerts as run
        from pantau.settings import CONTACTS_VARIABLE, FollowUpPolicy
        from pantau_airflow.context import as_of_date, task_run_key
        from pantau_airflow.hooks import MailHook, ObjectStoreHook

        context = get_current_context()
        contacts = Variable.get(CONTACTS_VARIABLE, default=None)
        if not contacts:
            raise AirflowFailException(f"No alert was sent: the Variable {CONTACTS_VARIABLE} is not set; set it to the "
                                       "path or object key of the alert-contacts directory (format in README).")
        with ObjectStoreHook() as store, MailHook() as smtp:
            try:
                result = run(store, smtp, contacts, task_run_key(context),
                             as_of_date(context), FollowUpPolicy.from_env())
            except (FileNotFoundError, ConfigError) as exc:
                # No published release, or a contacts directory that cannot be read or used: a retry five
                # minutes later finds the same, so fail now with the sentence that says what to fix.
                raise AirflowFailException(f"No alert was sent: {exc}") from exc
        print(f"alerts: {len(result['sent'])} digests sent, {len(result['skipped_already_sent'])} already sent "
              f"for the same state, {len(result['failed'])} failed, {result['unroutable_items']} items with "
              "no contact in the directory")
        if result["failed"]:
            raise RuntimeError(f"{len(result['failed'])} digests could not be sent (mail server down?); "
                               "the retry will send only those")
        return result

    send_alerts()


pantau_alerts()
