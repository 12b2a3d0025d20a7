"""Reading what the embedded mailer wrote to `<data_dir>/outbox/`."""

from __future__ import annotations

import re
import time
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


def delivered_to(
    data_dir: Path, address: str, count: int = 1, timeout: float = 10.0
) -> list[EmailMessage]:
    """Messages to `address` once at least `count` are there: sign-in mail is sent after
    the answer, so it may land a moment later."""
    deadline = time.monotonic() + timeout
    while len(found := messages_to(data_dir, address)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} messages arrived"
        time.sleep(0.02)
    return found


def last_code(data_dir: Path, address: str) -> str:
    """The one-time code in the newest message to `address` (waiting for the first)."""
    body = delivered_to(data_dir, address)[-1].get_content()
    match = CODE.search(body)
    assert match, "no code in the message"
    return match.group(1)
