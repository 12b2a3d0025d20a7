"""A mailer that keeps what it is given (`carehub.kernel.mail.Mailer`), for unit tests."""

from __future__ import annotations

from carehub.kernel.mail import MailMessage


class MemoryMailer:
    def __init__(self) -> None:
        self.sent: list[MailMessage] = []

    async def send(self, message: MailMessage) -> None:
        self.sent.append(message)

    def to(self, address: str) -> list[MailMessage]:
        """Messages sent to `address`, oldest first."""
        return [m for m in self.sent if m.to == address]
