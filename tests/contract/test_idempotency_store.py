"""The idempotency contract: a unit of work claims a key with its changes
(`claim_idempotency`), and the IdempotencyStore answers replays of it.

Every adapter (memory, SQLite, PostgreSQL, DynamoDB) passes it: a replay within the window finds
the first request's outcome (a different body is told by its fingerprint), a key claimed
again while live is refused with IdempotencyKeyRaced, and an expired key is free again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from carehub.adapters.dynamodb.idempotency import DynamoIdempotencyStore
from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryIdempotencyStore, MemoryUnitOfWork
from carehub.adapters.sql.idempotency import SqlIdempotencyStore
from carehub.bootstrap import dynamodb_units_of_work, units_of_work
from carehub.identity.model import OtpChallenge, OtpPurpose
from carehub.identity.ports import IdentityUnitOfWork
from carehub.kernel.events import DomainEvent
from carehub.kernel.idempotency import (
    REPLAY_WINDOW,
    IdempotencyClaim,
    IdempotencyKeyRaced,
    IdempotencyStore,
    StoredOutcome,
)
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.support.clock import AdjustableClock
from tests.support.dynamodb import fresh_table
from tests.support.file_records import race
from tests.support.services import empty_database, fixed_secret_box

SCOPE = "user-1:POST:/v1/things"


class ThingMade(DomainEvent):
    event_type = "tests.thing_made.v1"


@dataclass
class Backend:
    """Units of work and the idempotency store over one store, on one clock."""

    new_uow: Callable[[], IdentityUnitOfWork]
    store: IdempotencyStore
    clock: AdjustableClock


@pytest.fixture
async def backend(
    adapter: str,
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Backend]:
    clock = AdjustableClock()
    if adapter == "dynamodb":
        async with fresh_table(request, monkeypatch) as table:
            units = dynamodb_units_of_work(table, clock, secrets=fixed_secret_box())
            yield Backend(units, DynamoIdempotencyStore(table, clock), clock)  # type: ignore[arg-type]
        return
    if adapter == "memory":
        memory = MemoryStore()
        yield Backend(
            lambda: MemoryUnitOfWork(memory, clock), MemoryIdempotencyStore(memory, clock), clock
        )
        return
    async with empty_database(adapter, request, sqlite_template, tmp_path) as db:
        yield Backend(
            units_of_work(db, clock, secrets=fixed_secret_box()),
            SqlIdempotencyStore(db, clock),
            clock,
        )


def a_claim(key: str = "key-1", body: str = "body-1", scope: str = SCOPE) -> IdempotencyClaim:
    return IdempotencyClaim(scope=scope, key=key, fingerprint=f"fingerprint of {body}")


async def make_thing(
    b: Backend, thing: str, claim: IdempotencyClaim, *, event: bool = True
) -> None:
    """A use case: stores `thing` (as a one-time code for its email), records that it was
    made, and claims the key with it."""
    now = b.clock.now()
    async with b.new_uow() as uow:
        await uow.otps.put(
            OtpChallenge(email=thing, purpose=OtpPurpose.LOGIN, code_hash="h", expires_at=now)
        )
        if event:
            uow.record(ThingMade(aggregate_id=thing, occurred_at=now, actor_id="user-1"))
        uow.claim_idempotency(claim)
        await uow.commit()


async def made(b: Backend, thing: str) -> bool:
    async with b.new_uow() as uow:
        return await uow.otps.get(thing, OtpPurpose.LOGIN) is not None


async def test_an_unknown_key_has_no_outcome(backend: Backend) -> None:
    assert await backend.store.find(SCOPE, "never-used") is None


async def test_a_committed_claim_names_what_it_made_and_then_its_response(
    backend: Backend,
) -> None:
    await make_thing(backend, "thing-1", a_claim())
    first = StoredOutcome("fingerprint of body-1", "thing-1", None, None)
    assert await backend.store.find(SCOPE, "key-1") == first
    await backend.store.record_response(SCOPE, "key-1", 201, b'{"id":"thing-1"}')
    assert await backend.store.find(SCOPE, "key-1") == StoredOutcome(
        "fingerprint of body-1", "thing-1", 201, b'{"id":"thing-1"}'
    )


async def test_a_claim_without_events_names_no_resource(backend: Backend) -> None:
    await make_thing(backend, "thing-1", a_claim(), event=False)
    assert await backend.store.find(SCOPE, "key-1") == StoredOutcome(
        "fingerprint of body-1", None, None, None
    )


async def test_a_response_for_an_unclaimed_key_stores_nothing(backend: Backend) -> None:
    await backend.store.record_response(SCOPE, "key-1", 201, b"{}")
    assert await backend.store.find(SCOPE, "key-1") is None
    await make_thing(backend, "thing-1", a_claim())
    found = await backend.store.find(SCOPE, "key-1")
    assert found is not None and found.status is None


async def test_a_claim_left_without_commit_is_not_stored(backend: Backend) -> None:
    async with backend.new_uow() as uow:
        uow.claim_idempotency(a_claim())
    assert await backend.store.find(SCOPE, "key-1") is None
    await make_thing(backend, "thing-1", a_claim())
    assert await made(backend, "thing-1")


async def test_keys_are_scoped(backend: Backend) -> None:
    await make_thing(backend, "thing-1", a_claim())
    await make_thing(backend, "thing-2", a_claim(scope="user-2:POST:/v1/things"))
    await make_thing(backend, "thing-3", a_claim("key-2"))
    found = [
        await backend.store.find(SCOPE, "key-1"),
        await backend.store.find("user-2:POST:/v1/things", "key-1"),
        await backend.store.find(SCOPE, "key-2"),
    ]
    assert [o.resource_id if o else None for o in found] == ["thing-1", "thing-2", "thing-3"]


async def test_a_live_key_claimed_again_is_refused_and_writes_nothing(backend: Backend) -> None:
    await make_thing(backend, "thing-1", a_claim(body="body-1"))
    await backend.store.record_response(SCOPE, "key-1", 201, b"first")
    # The same key with another body: its fingerprint tells the caller to refuse it, and
    # the store refuses it even if the caller went ahead.
    found = await backend.store.find(SCOPE, "key-1")
    assert found is not None and found.fingerprint != a_claim(body="body-2").fingerprint
    with pytest.raises(IdempotencyKeyRaced):
        await make_thing(backend, "thing-2", a_claim(body="body-2"))
    assert not await made(backend, "thing-2")
    assert await backend.store.find(SCOPE, "key-1") == StoredOutcome(
        "fingerprint of body-1", "thing-1", 201, b"first"
    )


async def test_a_replay_is_answered_within_the_window_only(backend: Backend) -> None:
    await make_thing(backend, "thing-1", a_claim())
    backend.clock.advance(REPLAY_WINDOW - timedelta(minutes=1))
    found = await backend.store.find(SCOPE, "key-1")
    assert found is not None and found.resource_id == "thing-1"
    with pytest.raises(IdempotencyKeyRaced):
        await make_thing(backend, "thing-2", a_claim())
    backend.clock.advance(timedelta(minutes=2))
    assert await backend.store.find(SCOPE, "key-1") is None
    # An expired key is free for a new request, whatever its body.
    await make_thing(backend, "thing-3", a_claim(body="body-3"))
    assert await backend.store.find(SCOPE, "key-1") == StoredOutcome(
        "fingerprint of body-3", "thing-3", None, None
    )


async def test_of_two_racing_requests_with_one_key_one_commits(backend: Backend) -> None:
    results = await race(
        [
            lambda: make_thing(backend, "thing-a", a_claim()),
            lambda: make_thing(backend, "thing-b", a_claim()),
        ]
    )
    assert sorted(type(r).__name__ for r in results) == ["IdempotencyKeyRaced", "NoneType"]
    winner = "thing-a" if results[0] is None else "thing-b"
    loser = "thing-b" if winner == "thing-a" else "thing-a"
    assert await made(backend, winner)
    assert not await made(backend, loser)
    found = await backend.store.find(SCOPE, "key-1")
    assert found is not None and found.resource_id == winner
