"""The SigningKeyStore contract: the keys carehub's access tokens are signed with, kept
sealed, shared by every process, rotated without signing anyone out. Every store (SQLite,
PostgreSQL, DynamoDB) passes it through `JwtAccessTokens`, which uses it.

Keys outlive a test on the shared PostgreSQL database: each test looks at its own keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from carehub.adapters.dynamodb.signing_keys import DynamoSigningKeys
from carehub.adapters.identity.signing_keys import SigningKeyStore
from carehub.adapters.identity.tokens import JwtAccessTokens
from carehub.adapters.sql.signing_keys import SqlSigningKeys
from carehub.identity.ports import AccessClaims
from tests.support.clock import AdjustableClock
from tests.support.dynamodb import fresh_table
from tests.support.services import empty_database, fixed_secret_box

CLAIMS = AccessClaims(user_id="user-1", role="admin", session_id=None)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("dynamodb", marks=pytest.mark.aws),
    ]
)
async def store(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[SigningKeyStore]:
    if request.param == "dynamodb":
        async with fresh_table(request, monkeypatch) as table:
            yield DynamoSigningKeys(table)
        return
    async with empty_database(request.param, request, sqlite_template, tmp_path) as db:
        yield SqlSigningKeys(db)


def tokens(store: SigningKeyStore, clock: AdjustableClock | None = None) -> JwtAccessTokens:
    """What one carehub process holds."""
    return JwtAccessTokens(
        store,
        clock or AdjustableClock(),
        secrets=fixed_secret_box(),
        issuer="carehub-test",
        ttl_seconds=900,
    )


async def test_a_key_is_stored_sealed_and_signs_in_another_process(
    store: SigningKeyStore,
) -> None:
    first = tokens(store)
    kid = await first.rotate()
    token = await first.issue(CLAIMS)

    stored = {key.kid: key for key in await store.all()}[kid]
    assert "PRIVATE KEY" not in stored.sealed_private_pem
    assert "PRIVATE KEY" in fixed_secret_box().open(stored.sealed_private_pem)
    assert stored.superseded_at is None
    assert stored.public_jwk["kid"] == stored.kid
    assert (await tokens(store).verify(token)).user_id == "user-1"


async def test_a_rotation_supersedes_the_signing_key_and_keeps_it_verifying(
    store: SigningKeyStore,
) -> None:
    clock = AdjustableClock()
    first = tokens(store, clock)
    old_kid = await first.rotate()
    old_token = await first.issue(CLAIMS)
    new_kid = await first.rotate()

    by_kid = {key.kid: key for key in await store.all()}
    kept = list(by_kid)  # oldest first
    assert kept.index(old_kid) < kept.index(new_kid)
    older, newer = by_kid[old_kid], by_kid[new_kid]
    assert older.superseded_at == newer.created_at
    assert newer.superseded_at is None
    other = tokens(store, clock)
    assert {key["kid"] for key in await other.public_keys()} >= {old_kid, new_kid}
    assert (await other.verify(old_token)).user_id == "user-1"
    new_token = await other.issue(CLAIMS)
    assert (await first.verify(new_token)).user_id == "user-1"
