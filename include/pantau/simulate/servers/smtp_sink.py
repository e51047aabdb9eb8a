"""A local SMTP server that keeps every message as an ``.eml`` file instead of delivering it.

The alerting pipeline must lose no alert when the mail server is down (docs/DOMAIN.md §5);
``fail_next(n)`` makes the sink answer ``451`` (a temporary failure, so a correct client keeps
the alert and retries) for the next ``n`` transactions.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure (simulated), try again later"
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")
_COUNTER_PREFIX = re.compile(r"^(\d+)-")


def sanitize_message_id(message_id: str | None) -> str:
    """A file-name-safe form of a Message-ID (``<a/b@c>`` -> ``a_b@c``), bounded in length."""
    text = _UNSAFE.sub("_", (message_id or "").strip().strip("<>")).strip("._")
    return text[:80] or "no-message-id"


class _EphemeralPortController(Controller):
    """aiosmtpd's Controller connects to ``self.port`` to check readiness, which fails for port 0;
    read the port the OS chose before that check."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook name)
        if self._sink._take_failure():
            return TEMPORARY_FAILURE
        raw = envelope.original_content or envelope.content or b""
        self._sink._store(envelope.mail_from, list(envelope.rcpt_tos), bytes(raw))
        return "250 Message accepted for delivery"


class SmtpSink:
    """SMTP on ``host:port`` (0 = ephemeral) writing each message to ``outbox``.

    Files are named ``<counter>-<UTC time>-<Message-ID>.eml``; the counter continues from the
    files already in the outbox, so names sort in arrival order across restarts. The envelope
    (``X-MailFrom``, ``X-RcptTo``) is prepended as headers, as aiosmtpd's own Message handler
    does, because Bcc recipients are only visible there.
    """

    def __init__(self, outbox: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.outbox = Path(outbox)
        self.host = host
        self._requested_port = port
        self._controller: _EphemeralPortController | None = None
        self._lock = threading.Lock()
        self._fail_remaining = 0
        self._counter = 0

    def start(self) -> SmtpSink:
        if self._controller is not None:
            raise RuntimeError("SmtpSink already started")
        self.outbox.mkdir(parents=True, exist_ok=True)
        self._counter = max(
            (int(m.group(1)) for p in self.outbox.glob("*.eml") if (m := _COUNTER_PREFIX.match(p.name))),
            default=0,
        )
        controller = _EphemeralPortController(_SinkHandler(self), hostname=self.host, port=self._requested_port)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._controller is None:
            raise RuntimeError("SmtpSink not started")
        return int(self._controller.port)

    def fail_next(self, n: int) -> None:
        """Answer 451 to the next ``n`` transactions (at DATA, so nothing is stored)."""
        with self._lock:
            self._fail_remaining = max(0, n)

    def files(self) -> list[Path]:
        return sorted(self.outbox.glob("*.eml"))

    def messages(self) -> list[EmailMessage]:
        parser = BytesParser(policy=policy.default)
        messages = []
        for path in self.files():
            with path.open("rb") as handle:
                message = parser.parse(handle)
            assert isinstance(message, EmailMessage)
            messages.append(message)
        return messages

    def _take_failure(self) -> bool:
        with self._lock:
            if self._fail_remaining > 0:
                self._fail_remaining -= 1
                return True
            return False

    def _store(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
        message_id = BytesParser(policy=policy.default).parsebytes(content, headersonly=True).get("Message-ID")
        envelope = f"X-MailFrom: {mail_from}\r\nX-RcptTo: {', '.join(rcpt_tos)}\r\n".encode()
        with self._lock:
            self._counter += 1
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            path = self.outbox / f"{self._counter:06d}-{stamp}-{sanitize_message_id(message_id)}.eml"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(envelope + content)
            tmp.replace(path)  # readers never see a half-written message
        return path
