"""The embedded mailer: each message becomes an .eml file in a folder, for a human to open."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.message import Message
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path

import structlog

from carehub.adapters.files.atomic import write_private_file
from carehub.kernel.mail import MailMessage

DEFAULT_SENDER = "carehub <no-reply@carehub.invalid>"
# The classic email classes, not `EmailMessage`: the modern API parses every header it is
# given again, which made a one-paragraph notice cost about 2 ms to compose.
WIRE_FORMAT = compat32.clone(linesep="\r\n")
# UTF-8, quoted-printable in the body and base64 in headers (folding quoted-printable
# headers costs a character-by-character length count): 7-bit clean for any relay.
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP
_UTF8.header_encoding = BASE64

log = structlog.get_logger("carehub.mail")


def compose_email(
    message: MailMessage, *, sender: str, token: str, now: datetime
) -> Message[str, str | Header]:
    """The RFC 5322 form of `message`, identified by `token` and dated `now`."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "carehub.invalid"
    email: Message[str, str | Header] = Message()
    email["From"] = _address(sender)
    email["To"] = _address(message.to)
    subject = message.subject
    email["Subject"] = subject if subject.isascii() else Header(subject, _UTF8)
    email["Date"] = format_datetime(now)
    email["Message-ID"] = f"<{token}@{domain}>"
    email.set_payload(message.text, _UTF8)  # also Content-Type, its encoding, MIME-Version
    return email


def _address(value: str) -> str:
    """An address header; a display name that is not ASCII becomes RFC 2047 encoded words."""
    return formataddr(parseaddr(value), charset="utf-8")


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
        data = email.as_bytes(policy=WIRE_FORMAT)
        await asyncio.to_thread(write_private_file, self._folder, name, data)
        log.info("mail.written", purpose=message.purpose, file=name)
