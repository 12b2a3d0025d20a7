"""Delivery through an SMTP server, with the blocking stdlib client kept off the event loop."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from datetime import UTC, datetime
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import structlog

from carehub.adapters.mail.folder import DEFAULT_SENDER, compose_email
from carehub.kernel.mail import MailMessage

log = structlog.get_logger("carehub.mail")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class MailDeliveryFailed(Exception):
    """The SMTP server could not be reached, or refused the message."""

    def __init__(self, reason: str, *, smtp_code: int | None = None) -> None:
        super().__init__(reason)
        # 4xx is worth retrying, 5xx is not; None when there was no SMTP reply at all.
        self.smtp_code = smtp_code


class SmtpMailer:
    """Hands each message to one SMTP server, over a fresh connection per message."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_tls: bool = False,
        sender: str = DEFAULT_SENDER,
        timeout: float = 10,
    ) -> None:
        if starttls and use_tls:
            raise ValueError("choose STARTTLS or implicit TLS, not both")
        self._host = host
        self._port = port
        self._username = username
        self._password = password
        self._starttls = starttls
        self._use_tls = use_tls
        self._sender = sender
        self._timeout = timeout

    async def send(self, message: MailMessage) -> None:
        """Deliver the message; raises `MailDeliveryFailed` unless the server accepted it."""
        email = compose_email(
            message, sender=self._sender, token=uuid.uuid4().hex, now=datetime.now(UTC)
        )
        try:
            await asyncio.to_thread(self._deliver, email)
        except smtplib.SMTPException as exc:
            # Server replies and refused-recipient lists may echo the address: keep them out.
            code = _reply_code(exc)
            reason = f"SMTP server {self._host}:{self._port} refused: {type(exc).__name__}"
            raise MailDeliveryFailed(f"{reason} {code or ''}".rstrip(), smtp_code=code) from None
        except OSError as exc:
            reason = f"SMTP server {self._host}:{self._port} unreachable: {exc}"
            raise MailDeliveryFailed(reason) from exc
        log.info("mail.sent", purpose=message.purpose)

    def _deliver(self, email: Message[str, Any]) -> None:
        smtp: smtplib.SMTP
        if self._use_tls:
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        with smtp:
            if self._starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self._username is not None:
                smtp.login(self._username, self._password or "")
            smtp.send_message(email)


def smtp_mailer_from_url(url: str, *, sender: str = DEFAULT_SENDER) -> SmtpMailer:
    """A mailer for `smtp://user:pass@host:587?starttls=true` or `smtps://user:pass@host:465`."""
    # Error messages leave the URL out: it usually carries a password.
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"mail URL scheme must be smtp or smtps, not {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("mail URL has no host")
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(options) - {"starttls"}
    if unknown:
        raise ValueError(f"mail URL has unknown options: {sorted(unknown)}")
    starttls = _flag(options.get("starttls", ["false"])[-1])
    use_tls = parts.scheme == "smtps"
    port = parts.port or (465 if use_tls else 587 if starttls else 25)
    return SmtpMailer(
        parts.hostname,
        port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        starttls=starttls,
        use_tls=use_tls,
        sender=sender,
    )


def _reply_code(exc: smtplib.SMTPException) -> int | None:
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, _ = next(iter(exc.recipients.values()))
        return code
    return None


def _flag(value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"mail URL option starttls must be true or false, not {value!r}")
