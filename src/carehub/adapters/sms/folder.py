"""The embedded SMS sender: each message becomes a JSON file in a folder, for a human to open."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import structlog

from carehub.adapters.files.atomic import write_private_file
from carehub.kernel.sms import SmsMessage, is_e164

log = structlog.get_logger("carehub.sms")


class FolderSmsSender:
    """Writes each message to `folder` as `<UTC timestamp>-<id>.json`, readable by the owner
    only: `{"to", "text", "purpose", "sentAt"}`."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    async def send(self, message: SmsMessage) -> None:
        """Write the message; it is in the folder, complete, when this returns."""
        if not is_e164(message.to):
            raise ValueError("SMS recipient is not an E.164 phone number")
        now = datetime.now(UTC)
        name = f"{now:%Y%m%dT%H%M%S.%fZ}-{uuid.uuid4().hex[:12]}.json"
        record = {
            "to": message.to,
            "text": message.text,
            "purpose": message.purpose,
            "sentAt": now.isoformat().replace("+00:00", "Z"),
        }
        data = json.dumps(record, ensure_ascii=False, indent=2).encode() + b"\n"
        await asyncio.to_thread(write_private_file, self._folder, name, data)
        log.info("sms.written", purpose=message.purpose, file=name)
