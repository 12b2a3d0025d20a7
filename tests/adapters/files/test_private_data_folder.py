"""Everything carehub makes under its data folder is its owner's alone: folders 0700,
files 0600, whatever the umask of the process it runs in."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from carehub.bootstrap import build, upgrade_database
from carehub.bootstrap.backends import mailer, sms_sender
from carehub.config import Settings
from carehub.kernel.mail import MailMessage
from carehub.kernel.sms import SmsMessage


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask, which leaves new files readable by everyone; restored after."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
async def test_every_file_and_folder_under_the_data_folder_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "clinic" / "data"
    settings = Settings(data_dir=data_dir, database_url=None, secret_key=None)

    upgrade_database(settings)
    carehub = await build(settings)
    try:
        await carehub.identity.sessions.tokens.rotate()
        await carehub.objects.write("patients/p-1/files/f-1", b"%PDF-1.7", content_type="x")
        await mailer(settings).send(MailMessage(to="a@example.com", subject="s", text="t"))
        await sms_sender(settings).send(SmsMessage(to="+51987654321", text="t"))
        made = {path.relative_to(data_dir).as_posix() for path in data_dir.rglob("*")}
        modes = {path: _mode(path) for path in [data_dir, data_dir.parent, *data_dir.rglob("*")]}
    finally:
        await carehub.close()

    assert {"carehub.db", "carehub.db-wal", "carehub.db-shm", "secret.key"} <= made
    assert {"objects.key", "objects/patients/p-1/files/f-1"} <= made
    assert any(name.startswith("outbox/") for name in made)
    assert any(name.startswith("sms/") for name in made)
    wrong = {
        path.as_posix(): oct(mode)
        for path, mode in modes.items()
        if mode != (0o700 if path.is_dir() else 0o600)
    }
    assert wrong == {}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
