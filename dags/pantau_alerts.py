"""
### Alert PPK offices

Runs after each reconcile run (its release, new or unchanged, holds the overdue recommendations). Sends one digest e-mail per
PPK office (recipient set; Bahasa Indonesia, HTML and plain text) carrying the recommendations that are new or
entered a new step, are due for a repeat reminder, or were answered since the last message, with a summary
of the office's other open items; and one escalation digest to BKN/Kemendagri (contacts from the directory
named by the Variable `pantau_contacts`). The alert ledger (connection `pantau_alert_ledger`, else
`PANTAU_ALERT_LEDGER_URL`, else a SQLite file under `PANTAU_HOME`; a shared PostgreSQL with several workers)
records each item per step and recipient set, so nothing is sent twice; when the mail server is down the
task fails and its retry sends only what is left. Without a published release, with a contacts directory
it cannot read or use, or with a message the mailer refuses (reported by agency, the others are sent), it
fails without retrying (no retry could help) with the sentence that says what to fix; every task failure is
e-mailed to the data engineers (`pantau_ops_email`).
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
        from pantau.pipeline.service import alerts_line
        from pantau.pipeline.service import send_alerts as run
        from pantau.settings import CONTACTS_VARIABLE, FollowUpPolicy
        from pantau_airflow.context import as_of_date, task_run_key
        from pantau_airflow.hooks import AlertLedgerHook, MailHook, ObjectStoreHook

        context = get_current_context()
        contacts = Variable.get(CONTACTS_VARIABLE, default=None)
        if not contacts:
            raise AirflowFailException(f"No alert was sent: the Variable {CONTACTS_VARIABLE} is not set; set it to the "
                                       "path or object key of the alert-contacts directory (format in README).")
        with ObjectStoreHook() as store, MailHook() as smtp, AlertLedgerHook() as ledger_url:
            try:
                # A LedgerUnavailable propagates: the database may be back for the retry, which sends
                # only what was not sent.
                result = run(store, smtp, contacts, task_run_key(context),
                             as_of_date(context), FollowUpPolicy.from_env(), ledger=ledger_url)
            except (FileNotFoundError, ConfigError) as exc:
                # No published release, a contacts directory that cannot be read or used, or a ledger URL
                # that cannot work: a retry five minutes later finds the same, so fail now with the sentence.
                raise AirflowFailException(f"No alert was sent: {exc}") from exc
        print(alerts_line(result))
        if result["failed"]:
            raise RuntimeError(f"{len(result['failed'])} digests could not be sent (mail server down?); "
                               "the retry will send only those")
        if result["refused"]:
            offices = ", ".join(sorted(r["office"] for r in result["refused"]))
            raise AirflowFailException(f"{len(result['refused'])} digests were refused before sending (agencies "
                                       f"{offices}); every other digest was sent. {result['refused'][0]['error']}")
        return result

    send_alerts()


pantau_alerts()
