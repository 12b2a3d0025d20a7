"""The key-encryption key: the operator's `CAREHUB_SECRET_KEY`, or one carehub keeps."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from carehub.adapters.secrets.key import key_encryption_key
from carehub.bootstrap import secret_box
from carehub.config import Settings

CONFIGURED = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def test_without_a_configured_key_one_is_made_owner_only_and_kept(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    first = key_encryption_key(None, data_dir)

    assert len(first) == 32
    key_file = data_dir / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert key_encryption_key(None, data_dir) == first


def test_a_configured_key_is_used_and_no_file_is_made(tmp_path: Path) -> None:
    assert key_encryption_key(CONFIGURED, tmp_path) == b"0123456789abcdef0123456789abcdef"
    url_safe = base64.urlsafe_b64encode(b"\xfb" * 32).decode()
    assert key_encryption_key(url_safe, tmp_path) == b"\xfb" * 32
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("configured", "reason"),
    [("not base64 at all!", "base64"), (base64.b64encode(b"short").decode(), "32 bytes")],
)
def test_a_malformed_configured_key_is_refused_at_start(
    tmp_path: Path, configured: str, reason: str
) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr(configured))

    with pytest.raises(ValueError, match=f"CAREHUB_SECRET_KEY must .*{reason}"):
        secret_box(settings)


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    key_encryption_key(None, tmp_path)
    (tmp_path / "secret.key").chmod(0o644)

    with pytest.raises(ValueError, match="owner only"):
        key_encryption_key(None, tmp_path)
