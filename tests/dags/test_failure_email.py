"""Acceptance (issue 11): a failing DAG run by Airflow produces a failure e-mail over real SMTP.

The alerts DAG with nothing published fails at once (AirflowFailException: no retry can publish a
release) and the failure callback, run by ``dag.test()`` in-process, sends the message through the SMTP
provider to the aiosmtpd sink.
"""

from __future__ import annotations

import json
import sys

import pytest

from pantau.demo import airflow_env, dags_folder, migrate, run_airflow
from pantau.simulate.servers import EmbeddedObjectStore, SmtpSink

pytestmark = pytest.mark.integration


def test_alerts_without_a_release_fail_once_and_e_mail_the_data_engineers(tmp_path):
    home = tmp_path / "home"
    with EmbeddedObjectStore(None, access_key="ak-health-7f3e", secret_key="sk-health-91c2d") as s3, SmtpSink(tmp_path / "outbox") as sink:
        host, port = s3.endpoint.split(":")
        env = {
            **airflow_env(home),
            "AIRFLOW_CONN_PANTAU_OBJECT_STORE": json.dumps({
                "conn_type": "generic", "host": host, "port": int(port), "login": s3.access_key,
                "password": s3.secret_key, "extra": {"bucket": "pantau", "secure": False}}),
            "AIRFLOW_CONN_SMTP_DEFAULT": json.dumps({
                "conn_type": "smtp", "host": "127.0.0.1", "port": sink.port,
                "extra": {"from_email": "pantau@pantau.local", "disable_ssl": True, "disable_tls": True}}),
            "AIRFLOW_VAR_PANTAU_CONTACTS": str(tmp_path / "contacts.json"),
            "AIRFLOW_VAR_PANTAU_OPS_EMAIL": "data-engineers@pantau.local",
        }
        log_path = home / "logs" / "airflow.log"
        migrate(env, log_path)
        status = run_airflow(env, [sys.executable, "-m", "pantau_airflow.run", "--dags-folder",
                                   str(dags_folder()), "pantau_alerts"], log_path)
        log = log_path.read_text(encoding="utf-8")
        messages = sink.messages()
    assert status != 0 and "==> pantau_alerts: failed" in log, log[-3000:]
    assert len(messages) == 1, log[-3000:]  # one try, one e-mail: no retry of what cannot succeed
    [message] = messages
    body = message.get_body(("html",)).get_content()
    assert message["Subject"].startswith("[Pantau] pantau_alerts.send_alerts failed (run ")
    assert message["X-RcptTo"] == "data-engineers@pantau.local"
    assert "AirflowFailException" in body and "nothing is published yet" in body and "run pantau_reconcile" in body
    assert "<td>Try</td><td>1</td>" in body and "dag_id=pantau_alerts/run_id=" in body and "task_id=send_alerts" in body
    for secret in (s3.secret_key, s3.access_key):
        assert secret not in body and secret not in message.as_string()
