"""Reading what the embedded mailer wrote to `<data_dir>/outbox/`."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

CODE = re.compile(r"\b(\d{6})\b")


def messages_to(data_dir: Path, address: str) -> list[EmailMessage]:
    """Messages to `address`, oldest first."""
    found = []
    for path in sorted((data_dir / "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if message["To"] == address:
            found.append(message)
    return found


def last_code(data_dir: Path, address: str) -> str:
    """The one-time code in the newest message to `address`."""
    body = messages_to(data_dir, address)[-1].get_content()
    match = CODE.search(body)
    assert match, "no code in the message"
    return match.group(1)
