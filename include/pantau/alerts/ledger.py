"""The alert ledger: item-level exactly-once delivery of alert messages over SMTP, recorded in SQL.

A digest mentions follow-up items, each a (recommendation number, step). The ledger keeps, per item
and *recipient set* (a stable hash of the sorted lower-cased addresses of one message), the state of
its latest message and the as-of date it was last delivered, so :func:`pantau.followup.reminders.
reminders_due` can decide what is new or due again (:meth:`Ledger.last_sent`). It is a SQL database
through SQLAlchemy Core: an embedded SQLite file, or PostgreSQL in production.

The send protocol (:func:`deliver`), per message, each numbered step one transaction:

1. claim: the message's items and its delivery row become ``sending`` under the message's stable
   Message-ID (:func:`message_id_for`, derived from the recipient set, the as-of date and the item
   keys, so a retry of the same message carries the same Message-ID);
2. SMTP: connect, MAIL, RCPT, DATA up to the body; a fault here leaves nothing at the server, so the
   message goes back to ``pending`` and is retried;
3. the point of no return, written *before* the final ``.`` of DATA: the delivery becomes
   ``committing``. If this write fails the ``.`` is never sent and the connection is dropped, so the
   server discards the transaction;
4. the final ``.``: a ``250`` makes the items and the delivery ``sent``; a 4xx/5xx reply is an explicit
   refusal (nothing delivered, back to ``pending``); no reply at all (the connection dropped after the
   server received the ``.``) makes them ``uncertain``.

At the start of every run (:meth:`Ledger.recover`) rows a crashed run left behind are settled: a
``sending`` delivery never reached the point of no return and is safe to send again (``pending``); a
``committing`` one may have been delivered and becomes ``uncertain``. An ``uncertain`` message is never
sent again automatically; it is listed in every run's report, and its items count as sent on that
date, so they are reminded again at the normal cadence: a lost message delays a reminder by one
cadence period and never drops it, and a delivered one is never duplicated. Why this and not a resend
under the same Message-ID: docs/DECISIONS.md, "Alert ledger".

No NIP and no address is stored: items are keyed by recommendation number, recipients by their hash
and count; the office code (``digest_key``) says whose message it was.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from pantau.alerts.mailer import SmtpSettings, UnsafeMessage, check_message
from pantau.exceptions import ConfigError, PantauError

log = logging.getLogger(__name__)

__all__ = ["DELIVERY_STATES", "SCHEMA_VERSION", "Delivery", "DeliveryReport", "Ledger", "LedgerUnavailable",
           "Outgoing", "SmtpTransport", "deliver", "item_keys", "message_id_for", "recipient_set", "sqlite_url"]

#: Bumped when the tables change; :meth:`Ledger.open` refuses a database written by a newer Pantau.
SCHEMA_VERSION = 1
MESSAGE_ID_DOMAIN = "pantau.local"

# Item states; deliveries also pass through ``committing`` (step 3 above), and a ``pending`` delivery
# whose items were all claimed by a later message (the run that retried it built a different digest)
# becomes ``superseded``: it will never be sent, and nothing of it is lost.
PENDING, SENDING, COMMITTING, SENT, UNCERTAIN = "pending", "sending", "committing", "sent", "uncertain"
SUPERSEDED = "superseded"
#: Every delivery state, in the order ``pantau alerts ledger`` lists them.
DELIVERY_STATES = (UNCERTAIN, PENDING, SENDING, COMMITTING, SENT, SUPERSEDED)

metadata = sa.MetaData()
meta_table = sa.Table(
    "pantau_alert_ledger_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)
items_table = sa.Table(
    "pantau_alert_items", metadata,
    sa.Column("nomor_rekomendasi", sa.String(128), primary_key=True),
    sa.Column("step", sa.String(32), primary_key=True),
    sa.Column("recipient_set", sa.String(64), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("message_id", sa.String(255), nullable=False),  # of the latest message for the item
    sa.Column("digest_key", sa.String(64), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),  # of the latest message
    sa.Column("sent_as_of", sa.Date),  # as-of of the last message delivered (or uncertain): the cadence date
    sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
)
deliveries_table = sa.Table(
    "pantau_alert_deliveries", metadata,
    sa.Column("message_id", sa.String(255), primary_key=True),
    sa.Column("recipient_set", sa.String(64), nullable=False),
    sa.Column("recipient_count", sa.Integer, nullable=False),
    sa.Column("digest_key", sa.String(64), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("item_count", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("smtp_response", sa.String(512)),
    sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
)


class LedgerUnavailable(PantauError):
    """The ledger database could not be read or written; the run stopped so nothing is sent unrecorded."""


def recipient_set(addresses: Iterable[str]) -> str:
    """The stable key of a set of recipients: SHA-256 (hex, 32 chars) of the sorted lower-cased addresses."""
    canonical = "\n".join(sorted({a.strip().lower() for a in addresses}))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def message_id_for(recipients: Iterable[str], as_of: date, items: Iterable[tuple[str, str]]) -> str:
    """The stable Message-ID of the message carrying ``items`` to ``recipients`` for ``as_of``."""
    keys = "\n".join(f"{number}\t{step}" for number, step in sorted(set(items)))
    payload = f"{recipient_set(recipients)}\n{as_of.isoformat()}\n{keys}"
    return f"<pantau-{hashlib.sha256(payload.encode('utf-8')).hexdigest()[:40]}@{MESSAGE_ID_DOMAIN}>"


def sqlite_url(path: str | Path) -> sa.URL:
    """The SQLAlchemy URL of a SQLite file (absolute)."""
    return sa.URL.create("sqlite", database=str(Path(path).expanduser().resolve()))


def _hide(text: str) -> str:
    try:
        return sa.make_url(text).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "(unparseable URL)"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outgoing:
    """One message to deliver: ``items`` are the (recommendation, step) keys it carries as new or due
    (its summary of still-open items is not recorded); ``digest_key`` is the office code."""

    digest_key: str
    recipients: tuple[str, ...]
    as_of: date
    items: tuple[tuple[str, str], ...]
    message: EmailMessage

    @property
    def recipient_set(self) -> str:
        return recipient_set(self.recipients)

    @property
    def message_id(self) -> str:
        return message_id_for(self.recipients, self.as_of, self.items)


@dataclass(frozen=True)
class Delivery:
    message_id: str
    digest_key: str
    as_of: date
    state: str
    attempts: int
    item_count: int
    recipient_count: int
    smtp_response: str | None


@dataclass
class DeliveryReport:
    """What one :func:`deliver` call did; office codes and Message-IDs only, no addresses or NIPs."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    skipped_already_sent: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    uncertain: list[dict[str, Any]] = field(default_factory=list)
    stale: list[dict[str, Any]] = field(default_factory=list)
    #: Messages :func:`pantau.alerts.mailer.check_message` refused (:class:`UnsafeMessage`): a permanent
    #: failure of that office's message, which a retry cannot fix; nothing of it reached the ledger.
    refused: list[dict[str, Any]] = field(default_factory=list)
    recovered: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"sent": self.sent, "skipped_already_sent": self.skipped_already_sent, "failed": self.failed,
                "uncertain": self.uncertain, "stale": self.stale, "refused": self.refused,
                "recovered": self.recovered}


class Ledger:
    """The ledger tables in one database. Open with :meth:`open`; one alert run at a time per database
    (the alerts DAG runs with ``max_active_runs=1``): a ``sending`` row is taken as a crashed run's."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | Path | sa.URL | sa.Engine) -> Ledger:
        """The ledger at ``url`` (a SQLAlchemy URL, a SQLite file path, or an engine), tables created if
        missing; a SQLite file's folder is created too. Raises :class:`ConfigError` for a URL SQLAlchemy
        cannot use or a ledger written by a newer schema, :class:`LedgerUnavailable` when the database
        cannot be reached."""
        if isinstance(url, sa.Engine):
            engine = url
        else:
            try:
                parsed = url if isinstance(url, sa.URL) else sqlite_url(url) if "://" not in str(url) \
                    else sa.make_url(str(url))
                if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
                    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                engine = sa.create_engine(parsed)
            except SQLAlchemyError as exc:  # a malformed URL, or a driver that is not installed
                shown = url.render_as_string(hide_password=True) if isinstance(url, sa.URL) else _hide(str(url))
                raise ConfigError(f"the alert ledger URL {shown!r} cannot be used ({exc}); set "
                                  "PANTAU_ALERT_LEDGER_URL (or the Airflow connection pantau_alert_ledger) to a "
                                  "SQLAlchemy URL such as postgresql+psycopg2://user@host/db or "
                                  "sqlite:////path/alert-ledger.sqlite") from exc
        ledger = cls(engine)
        ledger._migrate()
        return ledger

    def close(self) -> None:
        self.engine.dispose()

    @property
    def location(self) -> str:
        """The database URL with its password hidden (for logs and messages)."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def _txn(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise LedgerUnavailable(f"the alert ledger at {self.location} "
                                    f"could not be read or written ({type(exc).__name__}); nothing more is sent "
                                    "in this run, and a re-run sends only what was not sent.") from exc

    def _migrate(self) -> None:
        with self._txn() as conn:
            metadata.create_all(conn)
            row = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")).first()
            if row is None:
                conn.execute(meta_table.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
                return
            found = int(row[0])
        if found > SCHEMA_VERSION:
            raise ConfigError(f"the alert ledger has schema version {found} but this Pantau knows only up to "
                              f"{SCHEMA_VERSION}; run the alerts with the Pantau version that wrote it.")

    # --- reading ---------------------------------------------------------------------------------

    def last_sent(self, recipients: str | Iterable[str]) -> dict[tuple[str, str], date]:
        """``{(nomor_rekomendasi, step): as-of date}`` of the last message delivered to the recipient set
        (a :func:`recipient_set` key or the addresses), for :func:`pantau.followup.reminders.reminders_due`.
        ``uncertain`` messages count as delivered (see the module text)."""
        key = recipients if isinstance(recipients, str) else recipient_set(recipients)
        t = items_table
        with self._txn() as conn:
            rows = conn.execute(sa.select(t.c.nomor_rekomendasi, t.c.step, t.c.sent_as_of)
                                .where(t.c.recipient_set == key, t.c.sent_as_of.is_not(None))).all()
        return {(r.nomor_rekomendasi, r.step): r.sent_as_of for r in rows}

    def deliveries(self, state: str | None = None) -> list[Delivery]:
        d = deliveries_table
        query = sa.select(d).order_by(d.c.as_of, d.c.digest_key, d.c.message_id)
        if state is not None:
            query = query.where(d.c.state == state)
        with self._txn() as conn:
            rows = conn.execute(query).all()
        return [Delivery(r.message_id, r.digest_key, r.as_of, r.state, r.attempts, r.item_count,
                         r.recipient_count, r.smtp_response) for r in rows]

    def delivery(self, message_id: str) -> Delivery | None:
        """The delivery under ``message_id`` (angle brackets optional), or None."""
        wanted = message_id.strip()
        if not wanted.startswith("<"):
            wanted = f"<{wanted}>"
        return next((d for d in self.deliveries() if d.message_id == wanted), None)

    def item_states(self, message_id: str) -> dict[tuple[str, str], str]:
        t = items_table
        with self._txn() as conn:
            rows = conn.execute(sa.select(t.c.nomor_rekomendasi, t.c.step, t.c.state)
                                .where(t.c.message_id == message_id)).all()
        return {(r.nomor_rekomendasi, r.step): r.state for r in rows}

    # --- the protocol's writes -------------------------------------------------------------------

    def recover(self) -> dict[str, int]:
        """Settle what a crashed run left: ``sending`` -> ``pending`` (never reached the end of DATA),
        ``committing`` -> ``uncertain`` (may have been delivered). Returns the counts of deliveries."""
        d, t = deliveries_table, items_table
        now = _now()
        with self._txn() as conn:
            crashed_before = [r[0] for r in conn.execute(sa.select(d.c.message_id).where(d.c.state == SENDING))]
            crashed_after = [r[0] for r in conn.execute(sa.select(d.c.message_id).where(d.c.state == COMMITTING))]
            if crashed_before:
                conn.execute(d.update().where(d.c.message_id.in_(crashed_before))
                             .values(state=PENDING, smtp_response="interrupted before the end of DATA"))
                conn.execute(t.update().where(t.c.message_id.in_(crashed_before), t.c.state == SENDING)
                             .values(state=PENDING))
            for message_id in crashed_after:
                as_of = conn.execute(sa.select(d.c.as_of).where(d.c.message_id == message_id)).scalar_one()
                conn.execute(d.update().where(d.c.message_id == message_id)
                             .values(state=UNCERTAIN, smtp_response="interrupted after the end of DATA"))
                conn.execute(t.update().where(t.c.message_id == message_id)
                             .values(state=UNCERTAIN, sent_as_of=as_of, last_attempt_at=now))
        return {"to_pending": len(crashed_before), "to_uncertain": len(crashed_after)}

    def reopen(self, message_id: str) -> Delivery:
        """Re-open an ``uncertain`` delivery as ``pending`` (``pantau alerts resend``): a steward found in
        the mail server's log that it never arrived. Its items no longer count as delivered, so the next
        alert run puts them in that recipient set's digest again (as new items: the date of any earlier
        message of the same step is not kept). Raises :class:`ConfigError` for an unknown Message-ID or a
        delivery that is not uncertain (a ``sent`` one was delivered, a ``pending`` one is retried anyway)."""
        found = self.delivery(message_id)
        if found is None:
            raise ConfigError(f"no delivery with Message-ID {message_id.strip()!r} in the alert ledger at "
                              f"{self.location}; `pantau alerts ledger` lists the deliveries and their Message-IDs.")
        if found.state != UNCERTAIN:
            raise ConfigError(f"the delivery {found.message_id} (office {found.digest_key}, as of {found.as_of}) is "
                              f"{found.state!r}, not 'uncertain'; only an uncertain delivery can be re-opened for "
                              "sending.")
        d, t = deliveries_table, items_table
        with self._txn() as conn:
            conn.execute(d.update().where(d.c.message_id == found.message_id, d.c.state == UNCERTAIN)
                         .values(state=PENDING, smtp_response="re-opened by hand (pantau alerts resend)"))
            conn.execute(t.update().where(t.c.message_id == found.message_id, t.c.state == UNCERTAIN)
                         .values(state=PENDING, sent_as_of=None, last_attempt_at=_now()))
        return self.delivery(found.message_id)  # type: ignore[return-value]

    def _claim(self, out: Outgoing, message_id: str) -> str:
        """Step 1. Returns ``"claimed"``, or why the message is not sent: ``"sent"``/``"uncertain"`` (this
        Message-ID was delivered or may have been) or ``"stale"`` (an item of it was delivered under
        another message for this or a later as-of date: the message was built from an old ledger)."""
        d, t = deliveries_table, items_table
        now = _now()
        key = out.recipient_set
        with self._txn() as conn:
            existing = conn.execute(sa.select(d.c.state).where(d.c.message_id == message_id)).scalar_one_or_none()
            if existing in (SENT, UNCERTAIN, SENDING, COMMITTING):
                # SENDING/COMMITTING cannot be seen after recover() with one run at a time; never send then.
                return existing if existing in (SENT, UNCERTAIN) else UNCERTAIN
            rows = {(r.nomor_rekomendasi, r.step): r for r in conn.execute(
                sa.select(t).where(t.c.recipient_set == key,
                                   sa.tuple_(t.c.nomor_rekomendasi, t.c.step).in_(list(out.items))))} \
                if out.items else {}
            for row in rows.values():
                if row.message_id != message_id and (
                        row.state in (SENDING, UNCERTAIN, SENT) and row.sent_as_of is not None
                        and row.sent_as_of >= out.as_of or row.state == SENDING):
                    return "stale"
            if existing is None:
                conn.execute(d.insert().values(
                    message_id=message_id, recipient_set=key, recipient_count=len(set(out.recipients)),
                    digest_key=out.digest_key, as_of=out.as_of, item_count=len(out.items), state=SENDING,
                    attempts=1, first_attempt_at=now, last_attempt_at=now))
            else:
                conn.execute(d.update().where(d.c.message_id == message_id)
                             .values(state=SENDING, attempts=d.c.attempts + 1, last_attempt_at=now))
            # Each kind of write as one executemany: one round trip per message, not per item.
            values = {"state": SENDING, "message_id": message_id, "digest_key": out.digest_key,
                      "as_of": out.as_of, "last_attempt_at": now}
            known = [{"b_number": number, "b_step": step} for number, step in out.items if (number, step) in rows]
            if known:
                conn.execute(t.update().where(t.c.nomor_rekomendasi == sa.bindparam("b_number"),
                                              t.c.step == sa.bindparam("b_step"), t.c.recipient_set == key)
                             .values(**values), known)
            new = [{"nomor_rekomendasi": number, "step": step, "recipient_set": key, "first_attempt_at": now,
                    **values} for number, step in out.items if (number, step) not in rows]
            if new:
                conn.execute(t.insert(), new)
            # A pending message of this recipient set none of whose items it still owns was rebuilt into
            # this one (a retry on a later day, or with an item more): it will never be sent as it was.
            owned = sa.select(t.c.message_id).where(t.c.recipient_set == key).distinct()
            conn.execute(d.update().where(d.c.recipient_set == key, d.c.state == PENDING,
                                          d.c.message_id != message_id, d.c.message_id.not_in(owned))
                         .values(state=SUPERSEDED, smtp_response=f"superseded by {message_id}"[:512]))
        return "claimed"

    def _committing(self, message_id: str) -> None:
        """Step 3, the point of no return (see the module text)."""
        d = deliveries_table
        with self._txn() as conn:
            conn.execute(d.update().where(d.c.message_id == message_id).values(state=COMMITTING))

    def _settle(self, message_id: str, state: str, response: str) -> None:
        """Step 4 (or a fault before DATA ended): the delivery and its items become ``state``."""
        d, t = deliveries_table, items_table
        now = _now()
        with self._txn() as conn:
            as_of = conn.execute(sa.select(d.c.as_of).where(d.c.message_id == message_id)).scalar_one()
            done = {"sent_at": now} if state == SENT else {}
            conn.execute(d.update().where(d.c.message_id == message_id)
                         .values(state=state, smtp_response=response[:512], **done))
            item_values: dict[str, Any] = {"state": state, "last_attempt_at": now, **done}
            if state in (SENT, UNCERTAIN):
                item_values["sent_as_of"] = as_of
            conn.execute(t.update().where(t.c.message_id == message_id).values(**item_values))


# --- SMTP --------------------------------------------------------------------------------------------

#: ``send(message, point_of_no_return) -> server reply``. A transport MUST call ``point_of_no_return()``
#: right before the final ``.`` of DATA and must not send the ``.`` if it raises. Raise
#: ``smtplib.SMTPResponseException`` for a reply the server gave, anything else for a fault.
Transport = Callable[[EmailMessage, Callable[[], None]], str]


class SmtpTransport:
    """SMTP over :mod:`smtplib` in the steps the protocol needs: ``SMTP.sendmail`` sends DATA and the
    final ``.`` in one call, so a fault in it cannot tell "before the end of DATA" from "after".

    One connection carries every message of a run (a new connection, with STARTTLS and login, per
    digest cost more than the digest at national scale): a message starts with ``RSET`` on a kept
    connection, and a kept connection the server closed meanwhile is replaced once at that step,
    where nothing of the message was sent yet. After any other fault the connection is dropped and
    the next message opens a new one. :meth:`close` (``deliver`` calls it) ends the session."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        try:
            if s.starttls:
                smtp.starttls()
            if s.login:
                smtp.login(s.login, s.password or "")
            smtp.ehlo_or_helo_if_needed()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _ready(self) -> smtplib.SMTP:
        """A connection in its initial state: the kept one after ``RSET``, or a new one."""
        if self._smtp is not None:
            try:
                code, _ = self._smtp.rset()
                if code == 250:
                    return self._smtp
            except (smtplib.SMTPException, OSError):
                pass  # closed by the server while idle: nothing of this message was sent
            self._drop()
        self._smtp = self._open()
        return self._smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        """End the session politely (QUIT) and close the connection, if one is open."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass  # every message was settled already: the QUIT reply changes nothing
            finally:
                self._drop()

    def __call__(self, message: EmailMessage, point_of_no_return: Callable[[], None]) -> str:
        s = self.settings
        check_message(message)
        recipients = [a.addr_spec for name in ("To", "Cc", "Bcc")
                      for header in message.get_all(name, []) for a in header.addresses]
        body = message.as_bytes(policy=policy.SMTP.clone(linesep="\r\n"))
        body = _without_bcc(body)
        smtp = self._ready()
        try:
            code, reply = smtp.mail(s.from_email)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, s.from_email)
            for address in recipients:
                code, reply = smtp.rcpt(address)
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({address: (code, reply)})
            smtp.putcmd("data")
            code, reply = smtp.getreply()
            if code != 354:
                raise smtplib.SMTPDataError(code, reply)
            quoted = smtplib.quotedata(body.decode("ascii", "surrogateescape")).encode("ascii", "surrogateescape")
            if not quoted.endswith(b"\r\n"):
                quoted += b"\r\n"
            smtp.send(quoted)  # everything but the final "." (the server waits for it)
            point_of_no_return()
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
            return f"{code} {reply.decode('utf-8', 'replace')}"
        except BaseException:
            # Whatever state the session is in (a refusal mid-envelope, a lost connection, the ledger's
            # point of no return failing before the "."), it is not reused: the server discards an
            # unfinished transaction when the connection closes.
            self._drop()
            raise


def _without_bcc(body: bytes) -> bytes:
    head, sep, rest = body.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"bcc:")]
    return b"\r\n".join(lines) + sep + rest


# --- the protocol --------------------------------------------------------------------------------------

def deliver(ledger: Ledger, messages: Sequence[Outgoing], send: Transport | SmtpSettings) -> DeliveryReport:
    """Deliver each message at most once and, unless its outcome is uncertain, exactly once.

    Settles a crashed run's rows first (:meth:`Ledger.recover`), then sends each message under its
    stable Message-ID by the protocol in the module text. An SMTP fault fails that message only (it
    stays ``pending`` and a re-run sends it); a ledger fault raises :class:`LedgerUnavailable` at once,
    because a message whose send cannot be recorded must not be sent.
    """
    transport: Transport = SmtpTransport(send) if isinstance(send, SmtpSettings) else send
    try:
        return _deliver(ledger, messages, transport)
    finally:
        if isinstance(transport, SmtpTransport) and transport is not send:
            transport.close()


def _deliver(ledger: Ledger, messages: Sequence[Outgoing], transport: Transport) -> DeliveryReport:
    report = DeliveryReport(recovered=ledger.recover())
    for out in messages:
        message_id = out.message_id
        entry = {"office": out.digest_key, "message_id": message_id, "as_of": out.as_of.isoformat(),
                 "items": len(out.items)}
        message = out.message
        del message["Message-ID"]
        message["Message-ID"] = message_id
        try:
            check_message(message, out.digest_key)  # before the claim: a refused message leaves no row
        except UnsafeMessage as exc:
            log.error("alert for office %s refused before sending: %s", out.digest_key, exc)
            report.refused.append({**entry, "error": str(exc)})
            continue
        claim = ledger._claim(out, message_id)
        if claim == SENT:
            report.skipped_already_sent.append(entry)
            continue
        if claim == UNCERTAIN:
            report.uncertain.append(entry)
            continue
        if claim == "stale":
            report.stale.append(entry)
            continue
        passed = False

        def point_of_no_return(message_id: str = message_id) -> None:
            nonlocal passed
            ledger._committing(message_id)
            passed = True

        try:
            response = transport(message, point_of_no_return)
        except LedgerUnavailable:
            raise  # the "." was not sent; the row stays "sending" and recover() makes it pending
        except smtplib.SMTPResponseException as exc:
            # The server answered: whatever the step, it did not take the message.
            reason = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            ledger._settle(message_id, PENDING, reason)
            log.warning("alert for office %s not accepted (%s); it will be retried", out.digest_key, reason)
            report.failed.append({**entry, "error": reason})
        except (smtplib.SMTPException, OSError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            if passed:
                ledger._settle(message_id, UNCERTAIN, f"no reply after the end of DATA ({reason})")
                log.error("alert %s for office %s: connection lost after the end of DATA; delivery uncertain, "
                          "not resent automatically", message_id, out.digest_key)
                report.uncertain.append({**entry, "error": reason})
            else:
                ledger._settle(message_id, PENDING, f"before the end of DATA: {reason}")
                log.warning("alert for office %s not sent (%s); it will be retried", out.digest_key, reason)
                report.failed.append({**entry, "error": reason})
        else:
            ledger._settle(message_id, SENT, response)
            report.sent.append(entry)
    return report


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def item_keys(rows: Iterable[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """The ledger keys of digest rows carrying ``nomor_rekomendasi`` and ``step``, sorted and distinct."""
    return tuple(sorted({(str(r["nomor_rekomendasi"]), str(r["step"])) for r in rows}))
