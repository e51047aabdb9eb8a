"""SMTP delivery (smtplib): the one place that talks to the mail server."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    from_email: str
    login: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 30.0

    def __repr__(self) -> str:  # keep the password out of logs
        return f"SmtpSettings(host={self.host!r}, port={self.port}, from_email={self.from_email!r})"


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Send one message; raises ``smtplib.SMTPException``/``OSError`` when the server refuses or is down."""
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.login:
            smtp.login(settings.login, settings.password or "")
        smtp.send_message(message)
