"""The folder SMS sender: one owner-only JSON file per message, named by the time it was sent.

The SmsSender contract (tests/contract/test_sms_sender.py) covers what every sender does.
"""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog
from structlog.testing import capture_logs

from carehub.adapters.sms import folder as folder_module
from carehub.adapters.sms.folder import FolderSmsSender
from carehub.kernel.sms import SmsMessage

OTP = SmsMessage(
    to="+51987654321",
    text="Clínica Miraflores: tu código es 482913. Caduca en 10 minutos.",
    purpose="identity.otp",
)


async def test_folder_writes_one_owner_only_json_file_named_by_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An uncached logger, so capture_logs sees it whatever ran before.
    monkeypatch.setattr(folder_module, "log", structlog.get_logger("carehub.sms"))
    folder = tmp_path / "created" / "on-demand"
    with capture_logs() as logs:
        await FolderSmsSender(folder).send(OTP)

    [path] = folder.iterdir()  # no temporary file left behind
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.suffix == ".json"
    assert path.name[:8].isdigit()
    assert path.name[8] == "T"
    assert logs == [
        {"event": "sms.written", "purpose": "identity.otp", "file": path.name, "log_level": "info"}
    ]
    written = json.loads(path.read_text(encoding="utf-8"))
    assert set(written) == {"to", "text", "purpose", "sentAt"}
    assert (written["to"], written["text"], written["purpose"]) == (OTP.to, OTP.text, OTP.purpose)
    sent_at = datetime.fromisoformat(written["sentAt"])
    assert sent_at.utcoffset() is not None
    assert sent_at.utcoffset() == UTC.utcoffset(None)
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 60
