"""The alert ledger: each message delivered exactly once in total over real SMTP (aiosmtpd on 127.0.0.1),
whatever fails in between: re-runs, the mail server down, dropped connections, the ledger database.

Every test runs on SQLite and, when ``PANTAU_TEST_PG_URL`` is set, on PostgreSQL (a fresh schema each)."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

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
from pantau.simulate.servers import SmtpSink

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
