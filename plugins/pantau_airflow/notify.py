"""Failure e-mails for data engineers, sent through the SMTP provider (``smtp_default``).

Every DAG puts :func:`failure_notifier` in its ``default_args`` as ``on_failure_callback`` (task-level
``email_on_failure`` is deprecated in Airflow 3). It runs when a task fails for good (after its retries, or
at once on ``AirflowFailException``) and e-mails the data engineers named by the Variable
``pantau_ops_email`` or the setting ``PANTAU_OPS_EMAIL``: DAG, task, run, try, log location and the error
in one message. The error text passes Airflow's secrets masker and a URL-credential scrub first, so a
connection password in an exception never reaches a mailbox. Heavy imports happen only when a task fails,
keeping DAG files light to parse.
"""

from __future__ import annotations

import html
import logging
import os
import re
from typing import Any

from airflow.sdk import BaseNotifier

from pantau import settings

log = logging.getLogger(__name__)

#: The error is cut here: a validation failure's message is long, and the log holds all of it.
MAX_ERROR_CHARS = 4000
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@")
_SECRET_PAIRS = re.compile(r"(?i)\b(password|passwd|secret|token|api_key|access_key|secret_key)\b(\s*[=:]\s*)\S+")


def ops_recipients() -> tuple[str, ...]:
    """The data engineers' addresses: the Variable ``pantau_ops_email``, else ``PANTAU_OPS_EMAIL``."""
    from airflow.sdk import Variable

    try:
        raw = Variable.get(settings.OPS_EMAIL_VARIABLE, default=None)
    except Exception:  # no metadata DB or API reachable: the environment setting still works
        raw = None
    return settings.address_list(raw) or settings.HealthSettings.from_env().ops_email


def sender(smtp_conn_id: str = settings.SMTP_CONN_ID) -> str:
    """``PANTAU_MAIL_FROM``, else the connection's ``from_email`` extra, passed to the provider explicitly."""
    explicit = settings.HealthSettings.from_env().mail_from
    if explicit:
        return explicit
    from airflow.sdk import BaseHook

    extra = BaseHook.get_connection(smtp_conn_id).extra_dejson or {}
    return str(extra.get("from_email") or "pantau@localhost")


def scrub(text: str) -> str:
    """Error text safe for a mailbox: masked secrets, no ``user:password@`` in URLs, no ``password=...``."""
    try:
        from airflow.sdk._shared.secrets_masker import redact

        text = str(redact(text))
    except Exception:  # the masker's location is internal to Airflow; the scrubs below still apply
        pass
    text = _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)
    text = _SECRET_PAIRS.sub(r"\1\2***", text)
    if len(text) > MAX_ERROR_CHARS:
        text = text[:MAX_ERROR_CHARS] + " … (cut; the task log holds the whole message)"
    return text


def log_location(dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> str:
    """Where the task's log file is under the log folder (Airflow's default file name template)."""
    base = os.environ.get("AIRFLOW__LOGGING__BASE_LOG_FOLDER")
    if base is None:
        try:
            from airflow.configuration import conf

            base = conf.get("logging", "base_log_folder")
        except Exception:
            base = "<base_log_folder>"
    mapped = f"map_index={map_index}/" if map_index is not None and map_index >= 0 else ""
    return f"{base}/dag_id={dag_id}/run_id={run_id}/task_id={task_id}/{mapped}attempt={try_number}.log"


def failure_message(context: dict[str, Any]) -> tuple[str, str]:
    """Subject and HTML body for a failed task, from the callback's context."""
    ti = context["ti"]
    dag_id, task_id, run_id = ti.dag_id, ti.task_id, ti.run_id
    map_index = getattr(ti, "map_index", -1)
    map_index = -1 if map_index is None else int(map_index)
    try_number = int(getattr(ti, "try_number", 0) or 0)
    error = context.get("exception")
    kind = type(error).__name__ if isinstance(error, BaseException) else "error"
    error_text = scrub(str(error) if error is not None else "no exception was passed to the callback")
    try:
        url = str(ti.log_url)
    except Exception:
        url = ""
    final = kind == "AirflowFailException"
    task_label = task_id + (f"[{map_index}]" if map_index >= 0 else "")
    subject = f"[Pantau] {dag_id}.{task_label} failed (run {run_id})"
    rows = [("DAG", dag_id), ("Task", task_label), ("Run", run_id), ("Try", str(try_number)),
            ("Log (web UI)", url or "not available"),
            ("Log file", log_location(dag_id, run_id, task_id, map_index, try_number))]
    table = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    advice = ("The task stopped without retrying: the error says what to fix before re-running it."
              if final else "The task failed after its retries; the log above has the full traceback.")
    body = (f"<html><body><p>Pantau task <b>{html.escape(dag_id)}.{html.escape(task_label)}</b> failed.</p>"
            f"<table role=\"presentation\">{table}</table>"
            f"<p><b>{html.escape(kind)}</b>:</p><pre style=\"white-space: pre-wrap\">{html.escape(error_text)}</pre>"
            f"<p>{html.escape(advice)}</p></body></html>")
    return subject, body


class PantauFailureNotifier(BaseNotifier):
    """Sends :func:`failure_message` with the SMTP provider's ``SmtpNotifier`` (its ``SmtpHook`` reads the
    connection: host, port, login/password, SSL or STARTTLS by the extras ``disable_ssl``/``disable_tls``)."""

    template_fields = ()

    def __init__(self, smtp_conn_id: str = settings.SMTP_CONN_ID) -> None:
        super().__init__()
        self.smtp_conn_id = smtp_conn_id

    def notify(self, context: Any) -> None:
        recipients = ops_recipients()
        if not recipients:
            log.warning("task failed but no data engineer is named to tell: set the Variable %s or "
                        "PANTAU_OPS_EMAIL", settings.OPS_EMAIL_VARIABLE)
            return
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        subject, body = failure_message(context)
        SmtpNotifier(to=list(recipients), from_email=sender(self.smtp_conn_id), subject=subject,
                     html_content=body, smtp_conn_id=self.smtp_conn_id).notify(context)
        log.info("failure e-mail sent to %d data engineer address(es)", len(recipients))


def failure_notifier() -> PantauFailureNotifier:
    """The ``on_failure_callback`` every Pantau DAG uses (in ``default_args``)."""
    return PantauFailureNotifier()


def send_ops_mail(subject: str, text: str, recipients: tuple[str, ...],
                  smtp_conn_id: str = settings.SMTP_CONN_ID) -> None:
    """A plain-text message to the data engineers through the provider's ``SmtpHook`` (health e-mails)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    body = f"<html><body><pre style=\"white-space: pre-wrap\">{html.escape(text)}</pre></body></html>"
    with SmtpHook(smtp_conn_id=smtp_conn_id) as hook:
        hook.send_email_smtp(to=list(recipients), from_email=sender(smtp_conn_id), subject=subject,
                             html_content=body)
