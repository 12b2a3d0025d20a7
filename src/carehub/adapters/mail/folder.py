"""The embedded mailer: each message becomes an .eml file in a folder, for a human to open."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from pathlib import Path

import structlog

from carehub.adapters.files.atomic import write_private_file
from carehub.kernel.mail import MailMessage

DEFAULT_SENDER = "carehub <no-reply@carehub.invalid>"

log = structlog.get_logger("carehub.mail")


def compose_email(message: MailMessage, *, sender: str, token: str, now: datetime) -> EmailMessage:
    """The RFC 5322 form of `message`, identified by `token` and dated `now`."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "carehub.invalid"
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = f"<{token}@{domain}>"
    # Quoted-printable keeps the body 7-bit clean for any relay and any mail reader.
    email.set_content(message.text, cte="quoted-printable")
    return email


class FolderMailer:
    """Writes each message to `folder` as `<UTC timestamp>-<id>.eml`, readable by the owner only."""

    def __init__(self, folder: Path, *, sender: str = DEFAULT_SENDER) -> None:
        self._folder = folder
        self._sender = sender

    async def send(self, message: MailMessage) -> None:
        """Write the message; it is in the folder, complete, when this returns."""
        now = datetime.now(UTC)
        token = uuid.uuid4().hex
        email = compose_email(message, sender=self._sender, token=token, now=now)
        name = f"{now:%Y%m%dT%H%M%S.%fZ}-{token[:12]}.eml"
        await asyncio.to_thread(write_private_file, self._folder, name, email.as_bytes(policy=SMTP))
        log.info("mail.written", purpose=message.purpose, file=name)
