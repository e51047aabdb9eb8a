"""Failure e-mails through the SMTP provider, against the aiosmtpd sink (issue 11, item 6)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from pantau.simulate.servers import SmtpSink
from pantau_airflow import notify


@pytest.fixture
def sink(tmp_path, monkeypatch):
    with SmtpSink(tmp_path / "outbox") as server:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": server.port,
            "extra": {"from_email": "pantau@pantau.local", "disable_ssl": True, "disable_tls": True}}))
        monkeypatch.delenv("PANTAU_MAIL_FROM", raising=False)
        yield server


def _ti(**overrides):
    values = {"dag_id": "pantau_ingest_bkd", "task_id": "ingest_bkd", "run_id": "scheduled__2026-03-01T05:00:00+07:00",
              "map_index": 2, "try_number": 3, "log_url": "http://airflow.example/dags/pantau_ingest_bkd/runs/x"}
    return SimpleNamespace(**{**values, **overrides})


def test_failure_e_mail_names_dag_task_run_and_log_without_secrets(sink, monkeypatch):
    monkeypatch.setenv("PANTAU_OPS_EMAIL", "de1@bkn.example; de2@bkn.example")
    error = OSError("could not connect to postgresql+psycopg2://simpeg:Rahasia99@bkd-sumbar.example/simpeg "
                    "(password=Rahasia99)")
    notify.failure_notifier()({"ti": _ti(), "exception": error})
    [message] = sink.messages()
    text = message.get_body(("html",)).get_content()
    assert message["Subject"] == "[Pantau] pantau_ingest_bkd.ingest_bkd[2] failed (run scheduled__2026-03-01T05:00:00+07:00)"
    assert message["From"] == "pantau@pantau.local"
    assert sorted(message["X-RcptTo"].split(", ")) == ["de1@bkn.example", "de2@bkn.example"]
    for expected in ("pantau_ingest_bkd", "ingest_bkd[2]", "scheduled__2026-03-01T05:00:00+07:00", "OSError",
                     "http://airflow.example/dags/pantau_ingest_bkd/runs/x",
                     "task_id=ingest_bkd/map_index=2/attempt=3.log", "bkd-sumbar.example"):
        assert expected in text, expected
    assert "Rahasia99" not in message.as_string()


def test_sender_setting_wins_over_the_connection(sink, monkeypatch):
    monkeypatch.setenv("PANTAU_OPS_EMAIL", "de@bkn.example")
    monkeypatch.setenv("PANTAU_MAIL_FROM", "noreply@pantau.go.id")
    notify.failure_notifier()({"ti": _ti(map_index=-1), "exception": RuntimeError("x")})
    [message] = sink.messages()
    assert message["From"] == "noreply@pantau.go.id" and "ingest_bkd failed" in message["Subject"]


def test_no_recipient_sends_nothing_and_says_so(sink, monkeypatch, caplog):
    monkeypatch.delenv("PANTAU_OPS_EMAIL", raising=False)
    notify.failure_notifier()({"ti": _ti(), "exception": RuntimeError("x")})
    assert sink.messages() == []
    assert "PANTAU_OPS_EMAIL" in caplog.text


def test_fail_fast_failures_say_no_retry_helps():
    from airflow.sdk.exceptions import AirflowFailException

    _, body = notify.failure_message({"ti": _ti(), "exception": AirflowFailException("No alert was sent: x")})
    assert "stopped without retrying" in body


def test_scrub_removes_credentials_and_cuts_long_text():
    assert notify.scrub("s3://AKIA:verysecret@minio:9000/x token=abc") == "s3://***@minio:9000/x token=***"
    assert len(notify.scrub("x" * 10_000)) < notify.MAX_ERROR_CHARS + 100
