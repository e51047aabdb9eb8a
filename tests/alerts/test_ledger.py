"""The alert ledger: each message delivered exactly once in total over real SMTP (aiosmtpd on 127.0.0.1),
whatever fails in between: re-runs, the mail server down, dropped connections, the ledger database.

Every test runs on SQLite and, when ``PANTAU_TEST_PG_URL`` is set, on PostgreSQL (a fresh schema each)."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from pantau import cli
from pantau.alerts.ledger import (
    SCHEMA_VERSION,
    Ledger,
    LedgerUnavailable,
    Outgoing,
    deliver,
    message_id_for,
    metadata,
    recipient_set,
)
from pantau.alerts.mailer import SmtpSettings
from pantau.exceptions import ConfigError
from pantau.followup.states import overdue_recommendations
from pantau.normalize.dates import working_days_between
from pantau.pipeline.service import send_alerts
from pantau.publishing import release
from pantau.settings import FollowUpPolicy, SenderSettings, alert_ledger_url
from pantau.simulate.servers import EmbeddedObjectStore, SmtpSink
from pantau.storage import ObjectStore

AS_OF = date(2025, 3, 3)


# --- the ledger database -------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        base = sa.create_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
        yield base
        base.dispose()
        return
    url = os.environ.get("PANTAU_TEST_PG_URL")
    if not url:
        pytest.skip("PANTAU_TEST_PG_URL is not set (CI sets it when it can start PostgreSQL; see .ci/run)")
    schema = f"ledger_{uuid.uuid4().hex[:12]}"
    base = sa.create_engine(url)
    with base.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield base.execution_options(schema_translate_map={None: schema})
    with base.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    base.dispose()


class CommitFault:
    """Makes the ledger database fail at its ``n``-th commit from now (as a disk or server going away)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.countdown: int | None = None
        sa.event.listen(engine, "commit", self._on_commit)

    def at(self, n: int) -> None:
        self.countdown = n

    def _on_commit(self, conn: Any) -> None:
        if self.countdown is None:
            return
        self.countdown -= 1
        if self.countdown == 0:
            self.countdown = None
            raise sa.exc.OperationalError("COMMIT", {}, Exception("disk I/O error (simulated)"))

    def remove(self) -> None:
        sa.event.remove(self.engine, "commit", self._on_commit)


# --- SMTP with faults ----------------------------------------------------------------------------------

class FaultyHandler:
    """The sink's handler with faults a real mail server shows: dropping the connection at MAIL once
    ``drop_after`` messages were accepted (the server going away mid-run), or storing a message and
    dropping the connection before the ``250`` reaches the client (``drop_after_data``: the n-th message)."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        self.accepted = 0
        self.drop_after: int | None = None
        self.drop_after_data: set[int] = set()

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          mail_options: list[str]) -> str:
        if self.drop_after is not None and self.accepted >= self.drop_after:
            server.transport.abort()
            return "421 4.3.2 closing (simulated)"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.sink._take_failure():
            from pantau.simulate.servers.smtp_sink import TEMPORARY_FAILURE
            return TEMPORARY_FAILURE
        self.sink._store(envelope.mail_from, list(envelope.rcpt_tos),
                         bytes(envelope.original_content or envelope.content or b""))
        self.accepted += 1
        if self.accepted in self.drop_after_data:
            server.transport.abort()  # accepted and stored; the reply never leaves
        return "250 Message accepted for delivery"


def start_sink(outbox: Path, port: int = 0) -> tuple[SmtpSink, FaultyHandler]:
    sink = SmtpSink(outbox, port=port).start()
    handler = FaultyHandler(sink)
    # aiosmtpd's Controller builds each connection's SMTP session from its ``handler`` attribute.
    assert sink._controller is not None
    sink._controller.handler = handler
    return sink, handler


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[SmtpSink, FaultyHandler, SmtpSettings]]:
    sink, handler = start_sink(tmp_path / "outbox")
    try:
        yield sink, handler, SmtpSettings(host="127.0.0.1", port=sink.port, from_email="pantau@pantau.local")
    finally:
        sink.stop()


def outgoing(count: int, as_of: date = AS_OF, step: str = "overdue") -> list[Outgoing]:
    messages = []
    for i in range(count):
        recipients = (f"ppk{i}@agency{i}.example", f"bkd{i}@agency{i}.example")
        items = ((f"R-{i}-1", step), (f"R-{i}-2", step))
        message = EmailMessage()
        message["Subject"] = f"[Pantau] 2 rekomendasi terlambat - Instansi {i}"
        message["From"] = "Pantau <pantau@pantau.local>"
        message["To"] = ", ".join(recipients)
        message["X-Pantau-Office"] = f"OFFICE-{i}"
        message.set_content(f"Per {as_of}: R-{i}-1, R-{i}-2")
        messages.append(Outgoing(f"OFFICE-{i}", recipients, as_of, items, message))
    return messages


def delivered(sink: SmtpSink) -> Counter[str]:
    return Counter(str(m["Message-ID"]) for m in sink.messages())


def assert_each_exactly_once(sink: SmtpSink, messages: list[Outgoing]) -> None:
    assert delivered(sink) == Counter({m.message_id: 1 for m in messages})


# --- tests --------------------------------------------------------------------------------------------

def test_message_id_is_stable_and_names_recipients_date_and_items():
    a = message_id_for(["PPK@x.example", "bkd@x.example"], AS_OF, [("R-1", "overdue"), ("R-2", "overdue")])
    b = message_id_for(["bkd@x.example", "ppk@x.example"], AS_OF, [("R-2", "overdue"), ("R-1", "overdue")])
    assert a == b and a.startswith("<pantau-") and a.endswith("@pantau.local>")
    assert a != message_id_for(["bkd@x.example", "ppk@x.example"], AS_OF + timedelta(days=1),
                               [("R-1", "overdue"), ("R-2", "overdue")])
    assert a != message_id_for(["bkd@x.example"], AS_OF, [("R-1", "overdue"), ("R-2", "overdue")])
    assert a != message_id_for(["bkd@x.example", "ppk@x.example"], AS_OF, [("R-1", "escalated"), ("R-2", "overdue")])
    assert recipient_set(["A@x.example"]) == recipient_set([" a@x.example"])


def test_rerun_sends_nothing_and_last_sent_feeds_the_reminders(engine, smtp):
    sink, _, settings = smtp
    ledger = Ledger.open(engine)
    messages = outgoing(10)
    first = deliver(ledger, messages, settings)
    again = deliver(ledger, messages, settings)
    assert len(first.sent) == 10 and again.sent == [] and len(again.skipped_already_sent) == 10
    assert_each_exactly_once(sink, messages)
    assert ledger.last_sent(messages[0].recipients) == {("R-0-1", "overdue"): AS_OF, ("R-0-2", "overdue"): AS_OF}
    assert ledger.last_sent(messages[0].recipient_set) == ledger.last_sent(messages[0].recipients)
    assert ledger.last_sent(["someone-else@x.example"]) == {}
    # The message on the wire carries the ledger's Message-ID and no Bcc header.
    stored = {str(m["Message-ID"]): m for m in sink.messages()}
    assert set(stored) == {m.message_id for m in messages}
    assert all(d.state == "sent" and d.attempts == 1 for d in ledger.deliveries())


def test_a_re_reminder_on_a_later_day_is_a_new_message_and_a_stale_one_is_refused(engine, smtp):
    sink, _, settings = smtp
    ledger = Ledger.open(engine)
    today = outgoing(2)
    deliver(ledger, today, settings)
    later = outgoing(2, as_of=AS_OF + timedelta(days=5))
    assert len(deliver(ledger, later, settings).sent) == 2
    assert ledger.last_sent(later[0].recipients)[("R-0-1", "overdue")] == AS_OF + timedelta(days=5)
    # A message built from an old ledger (an item already delivered today in another message) is not sent.
    stale = outgoing(1, as_of=AS_OF + timedelta(days=5))[0]
    other = Outgoing(stale.digest_key, stale.recipients, stale.as_of, stale.items[:1], stale.message)
    report = deliver(ledger, [other], settings)
    assert [s["office"] for s in report.stale] == ["OFFICE-0"] and report.sent == []
    assert len(sink.messages()) == 4


def test_one_smtp_connection_per_run_and_a_closed_one_is_replaced(engine, tmp_path, monkeypatch):
    import smtplib

    from pantau.alerts.ledger import SmtpTransport

    opened: list[smtplib.SMTP] = []

    class Counted(smtplib.SMTP):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            opened.append(self)

    monkeypatch.setattr(smtplib, "SMTP", Counted)
    ledger = Ledger.open(engine)
    sink, _ = start_sink(tmp_path / "outbox")
    port = sink.port
    settings = SmtpSettings(host="127.0.0.1", port=port, from_email="pantau@pantau.local", timeout_s=5)
    try:
        messages = outgoing(6)
        assert len(deliver(ledger, messages[:4], settings).sent) == 4
        assert len(opened) == 1 and opened[0].sock is None  # one session for the run, closed at its end
        # The server goes away between two messages of a run (a restart, an idle timeout): the kept
        # connection is replaced before anything of the next message is sent; nothing fails or repeats.
        transport = SmtpTransport(settings)
        assert len(deliver(ledger, messages[4:5], transport).sent) == 1
        sink.stop()
        sink, _ = start_sink(tmp_path / "outbox", port=port)
        assert len(deliver(ledger, messages[5:], transport).sent) == 1
        transport.close()
        assert len(opened) == 3
        assert_each_exactly_once(sink, messages)
    finally:
        sink.stop()


def test_smtp_down_then_up(engine, tmp_path):
    ledger = Ledger.open(engine)
    messages = outgoing(5)
    sink, _ = start_sink(tmp_path / "outbox")
    port = sink.port
    sink.stop()  # the mail server is down: connections are refused
    settings = SmtpSettings(host="127.0.0.1", port=port, from_email="pantau@pantau.local", timeout_s=5)
    down = deliver(ledger, messages, settings)
    assert len(down.failed) == 5 and down.sent == [] and down.uncertain == []
    assert all(d.state == "pending" for d in ledger.deliveries())
    assert ledger.last_sent(messages[0].recipients) == {}
    sink, _ = start_sink(tmp_path / "outbox", port=port)
    try:
        up = deliver(ledger, messages, settings)
        assert len(up.sent) == 5
        assert deliver(ledger, messages, settings).sent == []
        assert_each_exactly_once(sink, messages)
        assert all(d.attempts == 2 for d in ledger.deliveries())
    finally:
        sink.stop()


def test_connection_dropped_after_3_of_10(engine, smtp):
    sink, handler, settings = smtp
    ledger = Ledger.open(engine)
    messages = outgoing(10)
    handler.drop_after = 3
    first = deliver(ledger, messages, settings)
    assert len(first.sent) == 3 and len(first.failed) == 7 and first.uncertain == []
    handler.drop_after = None
    retry = deliver(ledger, messages, settings)
    assert len(retry.sent) == 7 and len(retry.skipped_already_sent) == 3
    assert_each_exactly_once(sink, messages)


def test_temporary_refusal_at_data_is_retried(engine, smtp):
    sink, _, settings = smtp
    ledger = Ledger.open(engine)
    messages = outgoing(3)
    sink.fail_next(2)
    first = deliver(ledger, messages, settings)
    assert len(first.failed) == 2 and first.failed[0]["error"].startswith("451")
    assert len(deliver(ledger, messages, settings).sent) == 2
    assert_each_exactly_once(sink, messages)


def test_drop_after_data_accepted_is_uncertain_and_never_resent(engine, smtp):
    sink, handler, settings = smtp
    ledger = Ledger.open(engine)
    messages = outgoing(10)
    handler.drop_after_data = {4}
    first = deliver(ledger, messages, settings)
    assert len(first.sent) == 9 and [u["office"] for u in first.uncertain] == ["OFFICE-3"]
    retry = deliver(ledger, messages, settings)
    assert retry.sent == [] and [u["office"] for u in retry.uncertain] == ["OFFICE-3"]
    assert_each_exactly_once(sink, messages)
    [uncertain] = ledger.deliveries("uncertain")
    assert uncertain.message_id == messages[3].message_id and "end of DATA" in (uncertain.smtp_response or "")
    assert set(ledger.item_states(messages[3].message_id).values()) == {"uncertain"}
    # Its items count as sent that day: they are reminded again at the cadence, not twice the same day.
    assert ledger.last_sent(messages[3].recipients) == {("R-3-1", "overdue"): AS_OF, ("R-3-2", "overdue"): AS_OF}


def test_ledger_failing_at_any_commit_delivers_each_message_exactly_once(engine, tmp_path):
    # 5 messages: the recovery commit, then per message claim, point of no return and settle = 16 commits.
    messages = outgoing(5)
    for n in range(1, 18):
        if engine.dialect.name == "sqlite":
            run_engine = sa.create_engine(f"sqlite:///{tmp_path / f'ledger-{n}.sqlite'}")
        else:
            run_engine = engine
            with engine.begin() as conn:
                metadata.drop_all(conn)
        ledger = Ledger.open(run_engine)
        fault = CommitFault(run_engine)
        sink, _ = start_sink(tmp_path / f"outbox-{n}")
        try:
            settings = SmtpSettings(host="127.0.0.1", port=sink.port, from_email="pantau@pantau.local")
            fault.at(n)
            failed_once = False
            for _ in range(3):  # the task's retries
                try:
                    report = deliver(ledger, messages, settings)
                except LedgerUnavailable:
                    failed_once = True
                    continue
                if not report.failed:
                    break
            fault.countdown = None
            assert failed_once == (n <= 16), n
            assert_each_exactly_once(sink, messages)
            states = Counter(d.state for d in ledger.deliveries())
            # Only a fault on the "sent" write leaves an uncertain message (it was delivered).
            assert states["sent"] + states["uncertain"] == 5 and states["uncertain"] == (n > 1 and n % 3 == 1), n
        finally:
            fault.remove()
            sink.stop()
            if run_engine is not engine:
                run_engine.dispose()


def test_ledger_unavailable_stops_before_sending(engine, smtp):
    sink, _, settings = smtp
    ledger = Ledger.open(engine)
    fault = CommitFault(engine)
    try:
        fault.at(2)  # recovery commits, the first claim fails
        with pytest.raises(LedgerUnavailable, match="re-run sends only what was not sent"):
            deliver(ledger, outgoing(3), settings)
    finally:
        fault.remove()
    assert sink.messages() == []


def test_a_ledger_from_a_newer_pantau_is_refused(engine):
    Ledger.open(engine)
    with engine.begin() as conn:
        meta = metadata.tables["pantau_alert_ledger_meta"]
        conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION + 1)))
    with pytest.raises(ConfigError, match="schema version"):
        Ledger.open(engine)


def test_open_a_sqlite_file_path(tmp_path):
    ledger = Ledger.open(tmp_path / "state" / "ledger.sqlite")
    assert (tmp_path / "state" / "ledger.sqlite").exists() and ledger.deliveries() == []
    ledger.close()


# --- through the alerts service (pantau.pipeline.service.send_alerts) ---------------------------------
# The release is published as pantau_reconcile publishes it (overdue_recommendations from the follow-up
# module, consolidated_cases beside it); each run reads it, asks the ledger, and sends through it.

WIB = ZoneInfo("Asia/Jakarta")
POLICY = FollowUpPolicy()
SERVICE_CONTACTS = {
    "agencies": [
        {"kode_instansi": "13.06.01", "nama_instansi": "Dinas Pendidikan Kabupaten Agam", "ppk_jabatan": "Bupati Agam",
         "ppk_email": "ppk@agam.example", "bkd_email": "bkd@agam.example"},
        {"kode_instansi": "13.06.02", "nama_instansi": "Dinas Kesehatan Kabupaten Agam", "ppk_jabatan": "Bupati Agam",
         "ppk_email": "ppk@agam.example", "bkd_email": "bkd@agam.example"},
        {"kode_instansi": "13.71.01", "nama_instansi": "Sekretariat Daerah Kota Padang",
         "ppk_jabatan": "Wali Kota Padang", "ppk_email": "ppk@padang.example", "bkd_email": "bkd@padang.example"},
    ],
    "escalation": [{"name": "BKN", "email": "netralitas@bkn.example"}],
}
AGAM, PADANG, ESCALATION = "13.06.01,13.06.02", "13.71.01", "ESKALASI"


def consolidated(rows: list[tuple[str, str, date, bool]]) -> pd.DataFrame:
    """Proven recommendations ``(number, agency, recommendation date, answered)`` as reconcile links them."""
    ppk = {"13.06.01": "Bupati Agam", "13.06.02": "Bupati Agam", "13.71.01": "Wali Kota Padang"}
    return pd.DataFrame([{
        "nomor_register": f"REG-{number}", "nomor_rekomendasi": number, "tanggal_rekomendasi": recommended,
        "terbukti": True, "follow_up_id": f"TL-{number}" if answered else None, "registry_kode_instansi": agency,
        "registry_nama_instansi": None, "ppk": ppk.get(agency), "registry_nama": f"Pegawai {number}",
        "nip": f"1970051219950310{i:02d}", "registry_jabatan": "Guru Ahli Muda" if i % 2 == 0 else None,
        "rekomendasi_sanksi": "DISIPLIN_SEDANG"} for i, (number, agency, recommended, answered) in enumerate(rows)])


@pytest.fixture
def bucket() -> Iterator[ObjectStore]:
    with EmbeddedObjectStore(None) as s3:
        host, port = s3.endpoint.split(":")
        yield ObjectStore.connect(f"{host}:{port}", s3.access_key, s3.secret_key, "pantau")


def publish(store: ObjectStore, cases: pd.DataFrame, as_of: date) -> None:
    overdue = overdue_recommendations(cases, as_of, POLICY)
    release.publish_release(store, {"overdue_recommendations": overdue, "consolidated_cases": cases}, extracts={},
                            unassigned={}, as_of=as_of, facts={"run_id": f"reconcile-{as_of}"})


def run_alerts(store: ObjectStore, settings: SmtpSettings, ledger: Ledger | str, as_of: date, tmp_path: Path,
               contacts: dict[str, Any] = SERVICE_CONTACTS) -> dict[str, Any]:
    path = tmp_path / "contacts.json"
    if not path.exists():
        path.write_text(json.dumps(contacts), encoding="utf-8")
    return send_alerts(store, settings, str(path), f"alerts-{as_of}", as_of, POLICY,
                       SenderSettings("BKD Provinsi Sumatera Barat", "netralitas@bkd.sumbarprov.example"),
                       ledger=ledger, moment=datetime.combine(as_of, time(8, 30), WIB))


def by_office(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    found: dict[str, EmailMessage] = {}
    for m in messages:
        assert str(m["X-Pantau-Office"]) not in found, "two messages to one recipient set in one run"
        found[str(m["X-Pantau-Office"])] = m
    return found


def plain(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


MARCH_3 = date(2025, 3, 3)  # a Monday
CONTENT_WORLD = [("R-1", "13.06.01", date(2025, 1, 24), False),  # overdue (due 18 Feb)
                 ("R-2", "13.06.02", date(2025, 1, 2), False),  # escalated
                 ("R-3", "13.06.02", date(2025, 2, 11), False),  # due on 3 March, overdue the next day
                 ("R-4", "13.71.01", date(2025, 1, 2), False),  # escalated
                 ("R-5", "13.06.01", date(2025, 2, 25), False)]  # not yet in the reminder window


def test_service_digest_parsed_back_one_per_recipient_set_with_sections_reminders_and_summary(bucket, smtp, tmp_path):
    sink, _, settings = smtp
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    cases = consolidated(CONTENT_WORLD)
    publish(bucket, cases, MARCH_3)
    first = run_alerts(bucket, settings, ledger, MARCH_3, tmp_path)
    received = by_office(sink.messages())
    assert sorted(received) == [AGAM, PADANG, ESCALATION]
    assert first["items_new"] == 3 + 1 + 2 and first["items_repeated"] == first["items_answered"] == 0
    agam = received[AGAM]
    text, html = plain(agam), agam.get_body(("html",)).get_content()
    assert {part.get_content_type() for part in agam.walk()} >= {"text/plain", "text/html"}
    assert agam["Date"].datetime == datetime(2025, 3, 3, 8, 30, tzinfo=WIB)
    delivered_ids = {d.digest_key: d.message_id for d in ledger.deliveries("sent")}
    assert agam["Message-ID"] == delivered_ids[AGAM] and set(delivered_ids) == {AGAM, PADANG, ESCALATION}
    assert "== Dinas Pendidikan Kabupaten Agam (13.06.01) - 1 rekomendasi, 1 terlambat ==" in text
    assert "== Dinas Kesehatan Kabupaten Agam (13.06.02) - 2 rekomendasi, 1 terlambat ==" in text
    r1_overdue = working_days_between(date(2025, 2, 18), MARCH_3)
    assert f"18 Februari 2025 - {r1_overdue} hari kerja terlambat - Terlambat" in text
    assert "1. [baru] Pegawai R-1 - NIP" in text and "Jabatan: Guru Ahli Muda" in text and "Jabatan: -" in text
    assert "3 Maret 2025 - 0 hari kerja terlambat - Mendekati batas waktu" in text
    assert "R-5" not in text and "R-4" not in text and "Rekomendasi lain yang masih terbuka" not in text
    assert "<th>Keterangan</th>" in html and "<td>baru</td>" in html
    escalation = plain(received[ESCALATION])
    assert "=== PPK: Bupati Agam - 1 rekomendasi ===" in escalation and "R-1" not in escalation
    # The next working day: only R-3 changed step (due -> overdue); the rest is a summary without names.
    received_before = len(sink.messages())
    publish(bucket, cases, date(2025, 3, 4))
    second = run_alerts(bucket, settings, ledger, date(2025, 3, 4), tmp_path)
    new = by_office(sink.messages()[received_before:])
    assert sorted(new) == [AGAM] and second["items_new"] == 1
    text = plain(new[AGAM])
    assert "1. [baru] Pegawai R-3" in text and "Terlambat" in text and "Pegawai R-1" not in text
    assert "Rekomendasi lain yang masih terbuka (tidak diulang dalam pesan ini): 2 (1 terlambat, 1 dieskalasi)." in text
    assert str(new[AGAM]["Subject"]).strip() == "[Pantau] Tindak lanjut netralitas ASN: 1 baru - Bupati Agam (2 instansi)"


def test_service_rerun_the_same_day_sends_nothing(engine, bucket, smtp, tmp_path):
    sink, _, settings = smtp
    ledger = Ledger.open(engine)
    publish(bucket, consolidated(CONTENT_WORLD), MARCH_3)
    first = run_alerts(bucket, settings, ledger, MARCH_3, tmp_path)
    again = run_alerts(bucket, settings, ledger, MARCH_3, tmp_path)
    assert len(first["sent"]) == 3 and again["sent"] == [] and again["digests"] == 0
    assert delivered(sink) == Counter({m: 1 for m in (e["message_id"] for e in first["sent"])})
    summary = bucket.get_json(f"runs/pantau_alerts/alerts-{MARCH_3}.json")
    assert summary["items_new"] == 0 and summary["ledger"] == ledger.location
    assert "retired_json_ledger" not in summary


def test_service_smtp_down_then_up(bucket, tmp_path):
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    publish(bucket, consolidated(CONTENT_WORLD), MARCH_3)
    sink, _ = start_sink(tmp_path / "outbox")
    port = sink.port
    sink.stop()
    settings = SmtpSettings(host="127.0.0.1", port=port, from_email="pantau@pantau.local", timeout_s=5)
    down = run_alerts(bucket, settings, ledger, MARCH_3, tmp_path)
    assert len(down["failed"]) == 3 and down["sent"] == []
    sink, _ = start_sink(tmp_path / "outbox", port=port)
    try:
        up = run_alerts(bucket, settings, ledger, MARCH_3, tmp_path)
        assert len(up["sent"]) == 3 and up["items_new"] == 6
        assert run_alerts(bucket, settings, ledger, MARCH_3, tmp_path)["sent"] == []
        assert delivered(sink) == Counter({e["message_id"]: 1 for e in up["sent"]})
    finally:
        sink.stop()


def ten_offices() -> tuple[dict[str, Any], pd.DataFrame]:
    contacts = {"agencies": [{"kode_instansi": f"13.{i:02d}.01", "nama_instansi": f"Dinas {i}",
                              "ppk_jabatan": f"Bupati {i}", "ppk_email": f"ppk@kab{i}.example"} for i in range(10)]}
    return contacts, consolidated([(f"R-{i}", f"13.{i:02d}.01", date(2025, 1, 24), False) for i in range(10)])


def test_service_drop_after_3_of_10_then_retry(engine, bucket, smtp, tmp_path):
    sink, handler, settings = smtp
    ledger = Ledger.open(engine)
    contacts, cases = ten_offices()
    publish(bucket, cases, MARCH_3)
    handler.drop_after = 3
    first = run_alerts(bucket, settings, ledger, MARCH_3, tmp_path, contacts)
    assert len(first["sent"]) == 3 and len(first["failed"]) == 7 and first["items_new"] == 3
    handler.drop_after = None
    retry = run_alerts(bucket, settings, ledger, MARCH_3, tmp_path, contacts)
    assert len(retry["sent"]) == 7 and retry["items_new"] == 7
    assert delivered(sink) == Counter({e["message_id"]: 1 for e in first["sent"] + retry["sent"]})
    assert len(delivered(sink)) == 10


def test_service_drop_after_data_accepted_is_delivered_once_and_reported_as_uncertain(engine, bucket, smtp, tmp_path):
    sink, handler, settings = smtp
    ledger = Ledger.open(engine)
    contacts, cases = ten_offices()
    publish(bucket, cases, MARCH_3)
    handler.drop_after_data = {4}
    first = run_alerts(bucket, settings, ledger, MARCH_3, tmp_path, contacts)
    assert len(first["sent"]) == 9 and [u["office"] for u in first["uncertain"]] == ["13.03.01"]
    retry = run_alerts(bucket, settings, ledger, MARCH_3, tmp_path, contacts)
    assert retry["sent"] == [] and retry["failed"] == []
    # Every run lists the deliveries still uncertain, not only the run that lost the reply.
    assert [u["office"] for u in retry["uncertain_open"]] == ["13.03.01"]
    assert len(delivered(sink)) == 10 and set(delivered(sink).values()) == {1}


def test_service_ledger_failing_mid_run_delivers_each_digest_exactly_once(bucket, tmp_path):
    publish(bucket, consolidated(CONTENT_WORLD), MARCH_3)

    def attempt(n: int | None) -> tuple[int, Counter[str], Counter[str], int]:
        """Run the alerts (and the task's retries) with the ledger failing at its n-th commit."""
        engine = sa.create_engine(f"sqlite:///{tmp_path / f'ledger-{n}.sqlite'}")
        ledger = Ledger.open(engine)
        fault = CommitFault(engine)
        commits = Counter[str]()
        sa.event.listen(engine, "commit", lambda conn: commits.update(["commit"]))
        sink, _ = start_sink(tmp_path / f"outbox-{n}")
        try:
            settings = SmtpSettings(host="127.0.0.1", port=sink.port, from_email="pantau@pantau.local")
            if n is not None:
                fault.at(n)
            failures = 0
            for _ in range(3):  # the task's retries
                try:
                    result = run_alerts(bucket, settings, ledger, MARCH_3, tmp_path)
                except LedgerUnavailable as exc:
                    failures += 1
                    summary = bucket.get_json(f"runs/pantau_alerts/alerts-{MARCH_3}.json")
                    assert summary["ledger_unavailable"] == str(exc)
                    continue
                if not result["failed"]:
                    break
            fault.countdown, total = None, commits["commit"]
            return failures, delivered(sink), Counter(d.state for d in ledger.deliveries()), total
        finally:
            fault.remove()
            sink.stop()
            engine.dispose()

    # Every read and write of one clean run is a transaction (reads of what was sent included).
    failures, counts, states, total = attempt(None)
    assert failures == 0 and len(counts) == 3 and states == Counter({"sent": 3}) and total > 10
    for n in range(1, total + 2):
        failures, counts, states, _ = attempt(n)
        assert failures == (1 if n <= total else 0), n
        assert len(counts) == 3 and set(counts.values()) == {1}, (n, counts)
        assert states["sent"] + states["uncertain"] == 3, n


# Idul Fitri 2024 (10-11 April) with cuti bersama (8, 9, 12 and 15 April): 4 April is a Thursday, the
# next working day is Friday 5 April, then Tuesday 16 April. Counted by hand from the decree, not from
# the holidays package: 5 working days after 4 April are 5, 16, 17, 18 and 19 April -> a repeat on
# Friday 19 April (calendar days would have said 9 April); 5 working days after 5 April -> 22 April.
LEBARAN_WORLD = [("R-1", "13.06.01", date(2024, 3, 8), False),  # due 2 April: overdue through 30 April
                 ("R-3", "13.06.02", date(2024, 3, 11), False),  # due 2 April, answered on 16 April
                 ("R-2", "13.71.01", date(2024, 2, 21), False)]  # escalation date 4 April: escalated on the 5th


def test_service_cadence_across_idul_fitri_2024(engine, bucket, smtp, tmp_path):
    sink, _, settings = smtp
    ledger = Ledger.open(engine)
    plan = {date(2024, 4, 4): {AGAM: {"R-1": "baru", "R-3": "baru"}, PADANG: {"R-2": "baru"}},
            # R-2 moves overdue -> escalated: news the same day, to Padang and to BKN.
            date(2024, 4, 5): {PADANG: {"R-2": "baru"}, ESCALATION: {"R-2": "baru"}},
            date(2024, 4, 8): {},  # cuti bersama: nothing goes out
            date(2024, 4, 16): {AGAM: {"R-3": "sudah ditindaklanjuti"}},
            date(2024, 4, 17): {},  # the answer is reported once
            date(2024, 4, 18): {},  # 4 working days since 4 April
            date(2024, 4, 19): {AGAM: {"R-1": "pengingat ulang"}},
            date(2024, 4, 22): {PADANG: {"R-2": "pengingat ulang"}, ESCALATION: {"R-2": "pengingat ulang"}}}
    for day, expected in plan.items():
        answered = day >= date(2024, 4, 16)
        world = [(n, a, d, n == "R-3" and answered) for n, a, d, _ in LEBARAN_WORLD]
        publish(bucket, consolidated(world), day)
        before = len(sink.messages())
        result = run_alerts(bucket, settings, ledger, day, tmp_path)
        received = by_office(sink.messages()[before:])
        seen = {office: {n: label for label, n in re.findall(r"^\d+\. \[([^\]]+)\] Pegawai (R-\d)", plain(m), re.M)}
                for office, m in received.items()}
        assert seen == expected, (day, seen)
        kinds = Counter(label for items in expected.values() for label in items.values())
        assert (result["items_new"], result["items_repeated"], result["items_answered"]) == \
            (kinds["baru"], kinds["pengingat ulang"], kinds["sudah ditindaklanjuti"]), day
    answered_message = plain(next(m for m in sink.messages() if "sudah ditindaklanjuti" in m["Subject"]))
    assert "Sudah ditindaklanjuti" in answered_message and "Pegawai R-1" not in answered_message
    # R-1 is not repeated that day, only counted, without its name.
    assert "Rekomendasi lain yang masih terbuka (tidak diulang dalam pesan ini): 1 (1 terlambat)." in answered_message


# --- the CLI: pantau alerts ledger / resend ---------------------------------------------------------------

def test_cli_lists_the_ledger_and_resends_an_uncertain_delivery(bucket, smtp, tmp_path, capsys):
    sink, handler, settings = smtp
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    contacts, cases = ten_offices()
    publish(bucket, cases, MARCH_3)
    handler.drop_after_data = {2}
    first = run_alerts(bucket, settings, url, MARCH_3, tmp_path, contacts)
    (lost,) = first["uncertain"]
    capsys.readouterr()
    assert cli.main(["alerts", "ledger", "--ledger", url]) == 0
    out = capsys.readouterr().out
    assert "uncertain (1)" in out and "sent (9)" in out and lost["message_id"] in out and "13.01.01" in out
    assert "2025-03-03" in out and ".example" not in out  # offices and Message-IDs, no addresses
    assert cli.main(["alerts", "resend", lost["message_id"].strip("<>"), "--ledger", url]) == 0
    assert "as pending" in capsys.readouterr().out
    handler.drop_after_data = set()
    again = run_alerts(bucket, settings, url, MARCH_3, tmp_path, contacts)
    # Re-opened on purpose: the same message (same Message-ID) goes out once more; nothing else does.
    assert [e["message_id"] for e in again["sent"]] == [lost["message_id"]]
    assert delivered(sink)[lost["message_id"]] == 2 and again["uncertain_open"] == []
    capsys.readouterr()
    # Bad input: one sentence each, exit status 2, no traceback.
    for argv, needle in ((["alerts", "resend", "<nope@pantau.local>", "--ledger", url], "no delivery with Message-ID"),
                         (["alerts", "resend", lost["message_id"], "--ledger", url], "only an uncertain delivery"),
                         (["alerts", "ledger", "--ledger", f"sqlite:///{tmp_path / 'missing.sqlite'}"],
                          "there is no alert ledger")):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("pantau: error: ") and needle in err and "\n" not in err, err


def test_ledger_location_setting_and_the_old_json_ledger_is_noted(bucket, smtp, tmp_path, monkeypatch):
    monkeypatch.setenv("PANTAU_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PANTAU_ALERT_LEDGER_URL", raising=False)
    assert alert_ledger_url() == f"sqlite:///{(tmp_path / 'home' / 'state' / 'alert-ledger.sqlite').resolve()}"
    monkeypatch.setenv("PANTAU_ALERT_LEDGER_URL", "postgresql+psycopg2://pantau@db.example/pantau")
    assert alert_ledger_url() == "postgresql+psycopg2://pantau@db.example/pantau"
    monkeypatch.delenv("PANTAU_ALERT_LEDGER_URL")
    _, _, settings = smtp
    bucket.put_json("state/alerts/ledger.json", {"abc": {"office": "13.06.01"}})
    publish(bucket, consolidated(CONTENT_WORLD), MARCH_3)
    result = run_alerts(bucket, settings, alert_ledger_url(), MARCH_3, tmp_path)  # type: ignore[arg-type]
    assert (tmp_path / "home" / "state" / "alert-ledger.sqlite").is_file() and len(result["sent"]) == 3
    assert "is not read" in result["retired_json_ledger"]
    with pytest.raises(ConfigError, match="cannot be used"):
        Ledger.open("nosuchdriver://x/y")


def test_the_airflow_connection_wins_and_its_password_never_shows(monkeypatch, tmp_path, caplog):
    hooks = pytest.importorskip("pantau_airflow.hooks")
    monkeypatch.setenv("PANTAU_HOME", str(tmp_path))
    monkeypatch.setenv("PANTAU_ALERT_LEDGER_URL", f"sqlite:///{tmp_path / 'from-env.sqlite'}")
    monkeypatch.delenv("AIRFLOW_CONN_PANTAU_ALERT_LEDGER", raising=False)
    assert str(hooks.AlertLedgerHook().ledger_url()) == f"sqlite:///{tmp_path / 'from-env.sqlite'}"
    monkeypatch.setenv("AIRFLOW_CONN_PANTAU_ALERT_LEDGER", json.dumps({
        "conn_type": "postgres", "host": "db.example", "port": 5432, "login": "pantau",
        "password": "s3cr3t-ledger", "schema": "pantau"}))
    with hooks.AlertLedgerHook() as url:
        assert url.drivername == "postgresql+psycopg2" and url.host == "db.example" and url.database == "pantau"
        assert url.password == "s3cr3t-ledger"  # noqa: S105 - the URL keeps it for the driver ...
        assert "s3cr3t-ledger" not in f"{url} {url!r}"  # ... and hides it in every string
    monkeypatch.setenv("AIRFLOW_CONN_PANTAU_ALERT_LEDGER", json.dumps({
        "conn_type": "generic", "extra": {"sqlalchemy_url": f"sqlite:///{tmp_path / 'from-conn.sqlite'}"}}))
    url = hooks.AlertLedgerHook().ledger_url()
    ledger = Ledger.open(url)
    assert ledger.location == f"sqlite:///{tmp_path / 'from-conn.sqlite'}" and ledger.deliveries() == []
    ledger.close()
    assert "s3cr3t-ledger" not in caplog.text
