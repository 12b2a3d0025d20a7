"""The SessionRepository contract (refresh tokens): every adapter passes it.

Sessions outlive a test on the shared PostgreSQL database, so every token, family and
user here is fresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from carehub.identity.model import REFRESH_TTL, RefreshSession
from carehub.identity.ports import IdentityUnitOfWork
from carehub.kernel.ids import new_id
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.contract.test_user_repository import a_user

NewUnit = Callable[[], IdentityUnitOfWork]
ISSUED = datetime(2031, 3, 10, 8, 0, 0, 123456, tzinfo=UTC)
LATER = ISSUED + timedelta(minutes=5)


def a_session(*, family: str | None = None, user: str | None = None) -> RefreshSession:
    return RefreshSession(
        token_hash=new_id(),
        family_id=family or new_id(),
        user_id=user or new_id(),
        issued_at=ISSUED,
        expires_at=ISSUED + REFRESH_TTL,
    )


async def add(new_uow: NewUnit, *sessions: RefreshSession) -> None:
    """Store the sessions, and an account for each user not stored yet."""
    async with new_uow() as uow:
        for s in sessions:
            if await uow.users.get(s.user_id) is None:
                await uow.users.add(a_user(id=s.user_id))
            await uow.sessions.add(s)
        await uow.commit()


async def get(new_uow: NewUnit, token_hash: str) -> RefreshSession | None:
    async with new_uow() as uow:
        return await uow.sessions.get(token_hash)


async def live(new_uow: NewUnit, family_id: str, now: datetime = LATER) -> bool:
    async with new_uow() as uow:
        return await uow.sessions.signed_in_user(family_id, now=now) is not None


async def test_a_live_session_names_its_user_until_it_expires(new_uow: NewUnit) -> None:
    session = a_session()
    await add(new_uow, session)
    user = a_user(id=session.user_id)
    async with new_uow() as uow:
        found = await uow.sessions.signed_in_user(session.family_id, now=LATER)
        assert found is not None and found.id == user.id
        assert await uow.sessions.signed_in_user(new_id(), now=LATER) is None
    assert not await live(new_uow, session.family_id, session.expires_at)
    # A rotated token's family lives on through its newer token.
    async with new_uow() as uow:
        assert await uow.sessions.mark_rotated(session.token_hash, LATER)
        await uow.sessions.add(a_session(family=session.family_id, user=user.id))
        await uow.commit()
    assert await live(new_uow, session.family_id)


async def test_a_session_reads_back_with_every_field(new_uow: NewUnit) -> None:
    fresh = a_session()
    used = replace(a_session(), rotated_at=LATER, revoked_at=LATER + timedelta(microseconds=7))
    await add(new_uow, fresh, used)
    assert await get(new_uow, fresh.token_hash) == fresh
    assert await get(new_uow, used.token_hash) == used
    assert await get(new_uow, new_id()) is None


async def test_a_usable_token_is_rotated_once(new_uow: NewUnit) -> None:
    session = a_session()
    await add(new_uow, session)
    async with new_uow() as uow:
        assert await uow.sessions.mark_rotated(session.token_hash, LATER)
        assert not await uow.sessions.mark_rotated(session.token_hash, LATER)
        await uow.commit()
    async with new_uow() as uow:
        assert not await uow.sessions.mark_rotated(session.token_hash, LATER + timedelta(1))
        assert not await uow.sessions.mark_rotated(new_id(), LATER)
    assert await get(new_uow, session.token_hash) == replace(session, rotated_at=LATER)


async def test_a_revoked_token_is_not_rotated(new_uow: NewUnit) -> None:
    session = a_session()
    await add(new_uow, session)
    async with new_uow() as uow:
        await uow.sessions.revoke_family(session.family_id, LATER)
        assert not await uow.sessions.mark_rotated(session.token_hash, LATER)
        await uow.commit()
    assert await get(new_uow, session.token_hash) == replace(session, revoked_at=LATER)


async def test_revoking_a_family_revokes_its_sessions_only(new_uow: NewUnit) -> None:
    family = new_id()
    first, second = a_session(family=family), a_session(family=family)
    other = a_session(user=first.user_id)
    await add(new_uow, first, second, other)
    async with new_uow() as uow:
        assert await uow.sessions.signed_in_user(family, now=LATER)
        await uow.sessions.revoke_family(family, LATER)
        await uow.commit()
    async with new_uow() as uow:
        assert not await uow.sessions.signed_in_user(family, now=LATER)
        assert await uow.sessions.signed_in_user(other.family_id, now=LATER)
        assert await uow.sessions.signed_in_user(new_id(), now=LATER) is None
    assert await get(new_uow, first.token_hash) == replace(first, revoked_at=LATER)
    assert await get(new_uow, second.token_hash) == replace(second, revoked_at=LATER)
    assert await get(new_uow, other.token_hash) == other


async def test_revoking_again_keeps_the_first_revocation_time(new_uow: NewUnit) -> None:
    early = a_session()
    await add(new_uow, early)
    async with new_uow() as uow:
        await uow.sessions.revoke_family(early.family_id, LATER)
        await uow.commit()
    late = a_session(family=early.family_id, user=early.user_id)
    await add(new_uow, late)
    async with new_uow() as uow:
        await uow.sessions.revoke_family(early.family_id, LATER + timedelta(hours=1))
        await uow.sessions.revoke_user(early.user_id, LATER + timedelta(hours=2))
        await uow.commit()
    assert await get(new_uow, early.token_hash) == replace(early, revoked_at=LATER)
    assert await get(new_uow, late.token_hash) == replace(
        late, revoked_at=LATER + timedelta(hours=1)
    )


async def test_revoking_a_user_revokes_every_family_of_theirs(new_uow: NewUnit) -> None:
    user = new_id()
    phone, laptop = a_session(user=user), a_session(user=user)
    someone_else = a_session()
    await add(new_uow, phone, laptop, someone_else)
    async with new_uow() as uow:
        await uow.sessions.revoke_user(user, LATER)
        await uow.commit()
    async with new_uow() as uow:
        assert not await uow.sessions.signed_in_user(phone.family_id, now=LATER)
        assert not await uow.sessions.signed_in_user(laptop.family_id, now=LATER)
        assert await uow.sessions.signed_in_user(someone_else.family_id, now=LATER)
    assert await get(new_uow, laptop.token_hash) == replace(laptop, revoked_at=LATER)
    assert await get(new_uow, someone_else.token_hash) == someone_else


async def test_leaving_without_commit_writes_nothing(new_uow: NewUnit) -> None:
    kept = a_session()
    await add(new_uow, kept)
    dropped = a_session()
    async with new_uow() as uow:
        await uow.sessions.add(dropped)
        assert await uow.sessions.mark_rotated(kept.token_hash, LATER)
        await uow.sessions.revoke_user(kept.user_id, LATER)
        assert not await uow.sessions.signed_in_user(kept.family_id, now=LATER)
    assert await get(new_uow, dropped.token_hash) is None
    assert await get(new_uow, kept.token_hash) == kept
    async with new_uow() as uow:
        assert await uow.sessions.signed_in_user(kept.family_id, now=LATER)
