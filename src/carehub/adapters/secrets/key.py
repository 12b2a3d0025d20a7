"""The key-encryption key: `CAREHUB_SECRET_KEY`, or one carehub keeps in the data folder."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from carehub.adapters.files.key_file import owner_only_key
from carehub.adapters.secrets.aesgcm import KEY_BYTES

KEY_FILE = "secret.key"


def key_encryption_key(configured: str | None, data_dir: Path) -> bytes:
    """The configured key (base64 of 32 bytes, standard or URL-safe, e.g. from `openssl
    rand -base64 32`), or else the one in `<data_dir>/secret.key`, made (mode 0600) on
    first start and kept."""
    if configured is None:
        return owner_only_key(data_dir / KEY_FILE, KEY_BYTES, what="the secret key")
    try:
        standard = configured.strip().replace("-", "+").replace("_", "/")
        key = base64.b64decode(standard, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("CAREHUB_SECRET_KEY must be base64 (standard or URL-safe)") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(f"CAREHUB_SECRET_KEY must encode {KEY_BYTES} bytes")
    return key
