"""Token signing keys and webhook secrets are stored sealed on SQLite and PostgreSQL:
the database's bytes never hold them, rows an older carehub stored in plain text are
sealed by `carehub db upgrade`, and a wrong key stops carehub at start."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr

from carehub.adapters.identity.tokens import JwtAccessTokens
from carehub.adapters.sql.database import Database, Statement, insert_into
from carehub.adapters.sql.sealed_secrets import SecretsInPlainText, check_secret_key
from carehub.adapters.sql.signing_keys import SqlSigningKeys
from carehub.adapters.sql.sqlite import sqlite_path
from carehub.adapters.sql.tables import signing_keys, webhook_subscriptions
from carehub.bootstrap import build, connect, seal_stored_secrets, secret_box, units_of_work
from carehub.config import Settings
from carehub.identity.ports import AccessClaims
from carehub.kernel.secret_box import WrongSecretKey
from carehub.webhooks.model import SubscriptionStatus, WebhookSubscription
from tests.support.clock import AdjustableClock
from tests.support.services import fresh_postgres_database, fresh_sqlite

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
WEBHOOK_SECRET = "whsec-4f1c2b7e9a0d-never-in-the-database"
OTHER_KEY = SecretStr("b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI=")
AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def settings(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> Iterator[Settings]:
    """An empty, migrated database of the backend under test, and a fresh data folder.

    On PostgreSQL a database of its own: the signing keys sealed here under a key of their
    own must not stay behind for the tests sharing the suite's database and key."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = fresh_sqlite(sqlite_template, tmp_path)
        else:
            request.getfixturevalue("postgres_url")  # PostgreSQL is reachable (or fail in CI)
            url = stack.enter_context(fresh_postgres_database())
        # No configured key: carehub keeps its own in the data folder.
        yield Settings(database_url=url, data_dir=tmp_path / "data", secret_key=None)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    db = await connect(settings.resolved_database_url, settings)
    try:
        yield db
    finally:
        await db.close()


def stored_bytes(settings: Settings) -> bytes:
    """What the database keeps of the two tables: SQLite's files whole, PostgreSQL's rows."""
    url = settings.resolved_database_url
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(file.read_bytes() for file in files if file.exists())
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT t::text FROM signing_keys t "
            "UNION ALL SELECT t::text FROM webhook_subscriptions t"
        ).fetchall()
    return "\n".join(row[0] for row in rows).encode()


def subscription(secret: str = WEBHOOK_SECRET) -> WebhookSubscription:
    return WebhookSubscription(
        id="0193a7f0-0000-7000-8000-000000000001",
        url="https://hooks.example.com/carehub",
        event_types=("*",),
        secret=secret,
        status=SubscriptionStatus.ACTIVE,
        consecutive_failures=0,
        created_by="admin-1",
        created_at=AT,
        updated_at=AT,
    )


def tokens(db: Database, settings: Settings) -> JwtAccessTokens:
    return JwtAccessTokens(
        SqlSigningKeys(db),
        AdjustableClock(),
        secrets=secret_box(settings),
        issuer="carehub",
        ttl_seconds=900,
    )


async def test_a_webhook_secret_is_stored_sealed_and_read_back(
    settings: Settings, db: Database
) -> None:
    new_uow = units_of_work(db, AdjustableClock(), secrets=secret_box(settings))
    async with new_uow() as uow:
        await uow.webhooks.add(subscription())
        await uow.commit()

    assert WEBHOOK_SECRET.encode() not in stored_bytes(settings)
    async with new_uow() as uow:
        stored = await uow.webhooks.get(subscription().id)
    assert stored is not None
    assert stored.secret == WEBHOOK_SECRET


async def test_a_signing_key_is_stored_sealed_and_signs_in_another_process(
    settings: Settings, db: Database
) -> None:
    first = tokens(db, settings)
    await first.rotate()
    token = await first.issue(AccessClaims(user_id="user-1", role="admin", session_id=None))

    assert b"PRIVATE KEY" not in stored_bytes(settings)
    # Another process reads the sealed key back; its signature checks out there too.
    second = tokens(db, settings)
    assert (await second.verify(token)).user_id == "user-1"
    assert await second.issue(AccessClaims(user_id="user-2", role="admin", session_id=None))


async def test_the_upgrade_seals_secrets_stored_in_plain_text(
    settings: Settings, db: Database
) -> None:
    pem = _plain_pem()
    await _store_as_before_sealing(db, pem)
    with pytest.raises(SecretsInPlainText, match="carehub db upgrade"):
        await check_secret_key(db, secret_box(settings))

    assert await seal_stored_secrets(settings) == 2
    assert await seal_stored_secrets(settings) == 0

    box = secret_box(settings)
    await check_secret_key(db, box)
    async with db.session() as session:
        keys = await session.fetch_all(Statement(sa.select(signing_keys.c.private_pem)))
        secrets = await session.fetch_all(Statement(sa.select(webhook_subscriptions.c.secret)))
    assert [box.open(row["private_pem"]) for row in keys] == [pem]
    assert [box.open(row["secret"]) for row in secrets] == [WEBHOOK_SECRET]
    async with units_of_work(db, AdjustableClock(), secrets=box)() as uow:
        stored = await uow.webhooks.get(subscription().id)
    assert stored is not None
    assert stored.secret == WEBHOOK_SECRET
    assert [key["kid"] for key in await tokens(db, settings).public_keys()] == ["old-key"]


async def test_another_key_stops_carehub_at_start(settings: Settings) -> None:
    carehub = await build(settings)
    try:
        await carehub.identity.sessions.tokens.rotate()
    finally:
        await carehub.close()

    wrong = settings.model_copy(update={"secret_key": OTHER_KEY})
    with pytest.raises(WrongSecretKey, match="does not open the secrets stored"):
        await build(wrong)
    # Losing the key file is the same: a new key is made, and it opens nothing stored.
    (settings.data_dir / "secret.key").unlink()
    with pytest.raises(WrongSecretKey, match="does not open the secrets stored"):
        await build(settings)


def _plain_pem() -> str:
    return (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


async def _store_as_before_sealing(db: Database, pem: str) -> None:
    """Rows as a carehub without sealing wrote them."""
    key_row = {
        "kid": "old-key",
        "algorithm": "ES256",
        "private_pem": pem,
        "public_jwk": '{"kid": "old-key", "kty": "EC"}',
        "created_at": AT,
        "superseded_at": None,
    }
    webhook_row = dict(vars(subscription()))
    webhook_row.update(event_types='["*"]', status="active")
    async with db.session() as session:
        await session.execute(insert_into(signing_keys, generated=()), key_row)
        await session.execute(insert_into(webhook_subscriptions, generated=()), webhook_row)
        await session.commit()
