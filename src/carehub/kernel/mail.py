"""The mail port: every domain that tells people something sends it through here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class MailMessage:
    """One plain-text message to one recipient."""

    to: str
    subject: str
    text: str
    # What the message is about, for logs (e.g. "identity.otp"); never its content.
    purpose: str = "general"


class Mailer(Protocol):
    """Delivers mail. `send` returns once the message is handed over (or raises)."""

    async def send(self, message: MailMessage) -> None: ...
