"""The SMS port: short texts to a phone, such as sign-in codes and appointment reminders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

# [0-9], not \d: \d also matches other scripts' digits, which no phone network takes.
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


def is_e164(number: str) -> bool:
    """Whether `number` is in E.164 form: `+`, then 8 to 15 digits, the first not 0."""
    return _E164.fullmatch(number) is not None


@dataclass(frozen=True)
class SmsMessage:
    """One text to one phone number."""

    # E.164 (e.g. "+51987654321"); senders refuse anything else with ValueError.
    to: str
    text: str
    # What the message is about, for logs (e.g. "identity.otp"); never its content.
    purpose: str = "general"


class SmsSender(Protocol):
    """Sends SMS. `send` returns once the message is handed over (or raises); a number
    that is not E.164 raises ValueError and nothing is sent."""

    async def send(self, message: SmsMessage) -> None: ...
