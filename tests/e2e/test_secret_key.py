"""`carehub db upgrade` seals the secrets an older carehub stored in plain text, and a
carehub with the wrong secret key refuses to start, as real processes."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

CAREHUB = str(Path(sys.executable).with_name("carehub"))
WEBHOOK_SECRET = "whsec-stored-by-an-older-carehub"


def test_the_upgrade_seals_plain_text_secrets_and_a_wrong_key_stops_carehub(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    env = {**os.environ, "CAREHUB_DATA_DIR": str(data_dir)}
    env.pop("CAREHUB_DATABASE_URL", None)
    env.pop("CAREHUB_SECRET_KEY", None)  # carehub keeps its own key in the data folder
    subprocess.run([CAREHUB, "db", "upgrade"], env=env, check=True, capture_output=True)
    _store_as_an_older_carehub(data_dir / "carehub.db")

    refused = subprocess.run([CAREHUB, "keys", "rotate"], env=env, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "2 secrets are stored in plain text: run `carehub db upgrade`" in refused.stderr

    upgrade = subprocess.run([CAREHUB, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "sealed 2 secrets stored in plain text" in upgrade.stderr
    assert stat.S_IMODE((data_dir / "secret.key").stat().st_mode) == 0o600
    with sqlite3.connect(data_dir / "carehub.db") as conn:
        stored = [row[0] for row in conn.execute("SELECT private_pem FROM signing_keys")]
        stored += [row[0] for row in conn.execute("SELECT secret FROM webhook_subscriptions")]
    assert all(value.startswith("sealed:v1:") for value in stored)
    assert not any("PRIVATE KEY" in value or WEBHOOK_SECRET in value for value in stored)

    rotated = subprocess.run([CAREHUB, "keys", "rotate"], env=env, capture_output=True, text=True)
    assert rotated.returncode == 0, rotated.stderr

    wrong = {**env, "CAREHUB_SECRET_KEY": "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI="}
    refused = subprocess.run([CAREHUB, "keys", "rotate"], env=wrong, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "does not open the secrets stored in the database" in refused.stderr


def _store_as_an_older_carehub(database: Path) -> None:
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    at = "2026-03-01T09:00:00+00:00"
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO signing_keys (kid, algorithm, private_pem, public_jwk, created_at) "
            "VALUES ('old-key', 'ES256', ?, '{}', ?)",
            (pem, at),
        )
        conn.execute(
            "INSERT INTO webhook_subscriptions (id, url, event_types, secret, status, "
            "consecutive_failures, created_by, created_at, updated_at) "
            "VALUES ('sub-1', 'https://hooks.example.com/', '[\"*\"]', ?, 'active', 0, "
            "'admin-1', ?, ?)",
            (WEBHOOK_SECRET, at, at),
        )
