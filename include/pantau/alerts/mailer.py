"""SMTP delivery (smtplib): the one place that talks to the mail server.

Before a message leaves, :func:`check_message` is the last line of defence against header injection:
the contacts directory already refuses such rows (:mod:`pantau.alerts.contacts`), but whatever built
the message, no header value may hold a line break or control character after decoding (an RFC 2047
encoded word can decode to CR/LF, and the generator then writes it raw), and every recipient must be
one valid ASCII address. A message that fails is refused with :class:`UnsafeMessage`, naming the
agency, before any connection is opened: it is never a mail-server error.
"""

from __future__ import annotations

import smtplib
import unicodedata
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

from pantau.alerts.contacts import check_address
from pantau.exceptions import PantauError

#: Headers whose addresses smtplib turns into envelope recipients.
RECIPIENT_HEADERS = ("To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc")
#: The header naming the agency (PPK office) a digest is for.
AGENCY_HEADER = "X-Pantau-Office"


class UnsafeMessage(PantauError):
    """A message Pantau built must not be sent (header injection, a recipient that is not one address)."""


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


def _control(text: str) -> str | None:
    return next((c for c in text if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)


def check_message(message: EmailMessage, agency: str | None = None) -> None:
    """Raise :class:`UnsafeMessage` unless every header is one line and every recipient one valid address.

    ``agency`` names the message in the error; by default the ``X-Pantau-Office`` header. The error
    names headers and positions, never header values or addresses (they may carry personal data).
    """
    office = agency if agency is not None else str(message.get(AGENCY_HEADER, "") or "")
    shown = repr(office) if office and _control(office) is None else "(unknown agency)"

    def refuse(problem: str) -> UnsafeMessage:
        return UnsafeMessage(f"refused to send the alert for agency {shown}: {problem}. Nothing was sent to anyone "
                             "and the mail server was not contacted; correct this agency's rows in the alert-contacts "
                             "directory (README, 'Alert-contacts directory') and re-run the alerts, or report it as "
                             "a Pantau bug if the rows are clean.")

    for part in message.walk():
        for name, value in part.items():
            bad = _control(str(value))
            if bad is not None:
                kind = "a line break" if bad in "\r\n" or "".join(bad.splitlines()) != bad else "a control character"
                raise refuse(f"header {name!r} contains {kind} ({bad!r}) once decoded, which would end the header "
                             "and start another")
    recipients = 0
    for name in RECIPIENT_HEADERS:
        for raw in message.get_all(name, []):
            # The header object as set keeps the parser's defects; its str() is already decoded and
            # may read clean (``a@x.id <b@y.id>`` reads 'a@x.id' but goes on the wire as written).
            header = raw if hasattr(raw, "addresses") else policy.default.header_factory(name, str(raw))
            if header.defects:
                raise refuse(f"header {name!r} is not a clean address list ({type(header.defects[0]).__name__})")
            addresses = header.addresses
            for position, address in enumerate(addresses, start=1):
                wire, why = check_address(address.addr_spec)
                if wire is None or wire.casefold() != address.addr_spec.casefold():
                    reason = why.rstrip(".") if why else "it is not in its ASCII form"
                    raise refuse(f"recipient {position} of {len(addresses)} in {name!r} is not one valid e-mail "
                                 f"address ({reason})")
                if "@" in address.display_name:
                    raise refuse(f"recipient {position} of {len(addresses)} in {name!r} has a display name "
                                 "holding another address")
            recipients += len(addresses)
    if recipients == 0:
        raise refuse("it has no recipient")


def send(settings: SmtpSettings, message: EmailMessage, agency: str | None = None) -> None:
    """Send one message.

    Raises:
        UnsafeMessage: the message fails :func:`check_message`; nothing is sent.
        smtplib.SMTPException, OSError: the server refuses or is down.
    """
    check_message(message, agency)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.login:
            smtp.login(settings.login, settings.password or "")
        smtp.send_message(message)
