"""carehub's own access tokens: checked once per process, refused as soon as they expire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from carehub.adapters.identity.tokens import JwtAccessTokens
from carehub.adapters.sql.database import Database
from carehub.adapters.sql.signing_keys import SqlSigningKeys
from carehub.bootstrap import connect
from carehub.config import Settings
from carehub.identity.ports import AccessClaims, InvalidAccessToken
from tests.support.clock import AdjustableClock
from tests.support.services import fixed_secret_box, fresh_sqlite

CLAIMS = AccessClaims(user_id="u-1", role="doctor", session_id="s-1", country_id="PE")


@pytest.fixture
async def db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    url = fresh_sqlite(sqlite_template, tmp_path)
    database = await connect(url, Settings(database_url=url, data_dir=tmp_path))
    try:
        yield database
    finally:
        await database.close()


def tokens(db: Database, ttl_seconds: int = 900) -> JwtAccessTokens:
    return JwtAccessTokens(
        SqlSigningKeys(db),
        AdjustableClock(),
        secrets=fixed_secret_box(),
        issuer="carehub-test",
        ttl_seconds=ttl_seconds,
    )


async def test_a_token_verifies_again_with_the_same_claims(db: Database) -> None:
    issuer = tokens(db)
    token = await issuer.issue(CLAIMS)
    assert await issuer.verify(token) == CLAIMS
    assert await issuer.verify(token) == CLAIMS


async def test_a_tampered_token_is_refused_after_the_genuine_one_was_seen(db: Database) -> None:
    issuer = tokens(db)
    token = await issuer.issue(CLAIMS)
    await issuer.verify(token)
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[:-4]}AAAA"
    with pytest.raises(InvalidAccessToken):
        await issuer.verify(forged)


async def test_a_seen_token_is_refused_once_it_expires(db: Database) -> None:
    issuer = tokens(db, ttl_seconds=1)
    token = await issuer.issue(CLAIMS)
    assert await issuer.verify(token) == CLAIMS
    await asyncio.sleep(2.1)  # `exp` has whole-second resolution
    with pytest.raises(InvalidAccessToken, match="Expired"):
        await issuer.verify(token)
    with pytest.raises(InvalidAccessToken, match="Expired"):
        await issuer.verify(token)


async def test_another_process_verifies_tokens_signed_here(db: Database) -> None:
    token = await tokens(db).issue(CLAIMS)
    assert await tokens(db).verify(token) == CLAIMS
