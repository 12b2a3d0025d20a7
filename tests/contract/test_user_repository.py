"""The UserRepository contract: every adapter (memory, SQLite, PostgreSQL) passes it.

Accounts outlive a test on the shared PostgreSQL database, so every user here has a fresh
id and email, and nothing assumes the table starts empty.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from carehub.identity.errors import EmailTaken, PatientLinkTaken
from carehub.identity.model import SignupProfile, User, UserStatus
from carehub.identity.ports import IdentityUnitOfWork
from carehub.kernel.actor import Role
from carehub.kernel.ids import new_id
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)

NewUnit = Callable[[], IdentityUnitOfWork]
CREATED = datetime(2031, 3, 10, 8, 0, 0, 123456, tzinfo=UTC)


def a_user(*, role: Role = Role.STAFF, **fields: object) -> User:
    """A new active user with a fresh id and email."""
    base = User(
        id=new_id(),
        email=f"{uuid.uuid4().hex[:12]}@example.org",
        role=role,
        status=UserStatus.ACTIVE,
        country_id="PE",
        patient_id=None,
        practitioner_id=None,
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        failed_logins=0,
        locked_until=None,
        created_at=CREATED,
        updated_at=CREATED,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


async def add(new_uow: NewUnit, *users: User) -> None:
    async with new_uow() as uow:
        for user in users:
            await uow.users.add(user)
        await uow.commit()


async def get(new_uow: NewUnit, user_id: str) -> User | None:
    async with new_uow() as uow:
        return await uow.users.get(user_id)


async def test_a_user_reads_back_with_every_field(new_uow: NewUnit) -> None:
    pending = a_user(
        role=Role.PATIENT,
        status=UserStatus.PENDING,
        country_id=None,
        patient_id=new_id(),
        password_hash=None,
        failed_logins=4,
        locked_until=CREATED + timedelta(minutes=15),
        updated_at=CREATED + timedelta(seconds=1, microseconds=1),
        version=3,
        signup_profile=SignupProfile(("Ana", "María"), "Núñez Peña", date(1990, 1, 2)),
    )
    doctor = a_user(role=Role.DOCTOR, practitioner_id=new_id())
    undated = a_user(signup_profile=SignupProfile(("Cher",), "", None))
    await add(new_uow, pending, doctor, undated)
    for user in (pending, doctor, undated):
        assert await get(new_uow, user.id) == user


async def test_a_user_is_found_by_email(new_uow: NewUnit) -> None:
    ana, luis = a_user(), a_user()
    await add(new_uow, ana, luis)
    async with new_uow() as uow:
        assert await uow.users.get_by_email(ana.email) == ana
        assert await uow.users.get_by_email(luis.email) == luis
        assert await uow.users.get_by_email(f"nobody-{ana.email}") is None
        assert await uow.users.get(new_id()) is None


async def test_a_registered_email_raises_email_taken(new_uow: NewUnit) -> None:
    first = a_user()
    await add(new_uow, first)
    late = a_user(email=first.email)
    with pytest.raises(EmailTaken):
        await add(new_uow, late)
    assert await get(new_uow, late.id) is None
    assert await get(new_uow, first.id) == first


async def test_an_email_taken_inside_the_same_unit_is_refused(new_uow: NewUnit) -> None:
    first = a_user()
    async with new_uow() as uow:
        await uow.users.add(first)
        with pytest.raises(EmailTaken):
            await uow.users.add(a_user(email=first.email))


async def test_replace_with_the_expected_version_stores_it(new_uow: NewUnit) -> None:
    user = a_user(status=UserStatus.PENDING, signup_profile=SignupProfile(("Ana",), "Vega"))
    await add(new_uow, user)
    now = CREATED + timedelta(hours=1)
    active = user.activated(now).after_failed_login(now)
    async with new_uow() as uow:
        assert await uow.users.replace(active, expected_version=1)
        await uow.commit()
    stored = await get(new_uow, user.id)
    assert stored == active
    assert stored is not None and stored.version == 3 and stored.signup_profile is None


async def test_replace_with_a_stale_version_returns_false_and_writes_nothing(
    new_uow: NewUnit,
) -> None:
    user = a_user()
    await add(new_uow, user)
    late = user.after_login(CREATED + timedelta(hours=1))
    async with new_uow() as uow:
        assert not await uow.users.replace(late, expected_version=2)
        await uow.commit()
    assert await get(new_uow, user.id) == user


async def test_replace_of_an_unknown_user_returns_false(new_uow: NewUnit) -> None:
    ghost = a_user()
    async with new_uow() as uow:
        assert not await uow.users.replace(ghost, expected_version=1)
        await uow.commit()
    assert await get(new_uow, ghost.id) is None


async def test_replace_onto_another_users_email_raises_email_taken(new_uow: NewUnit) -> None:
    ana, luis = a_user(), a_user()
    await add(new_uow, ana, luis)
    grabbing = replace(luis, email=ana.email, version=2)
    async with new_uow() as uow:
        with pytest.raises(EmailTaken):
            await uow.users.replace(grabbing, expected_version=1)
    assert await get(new_uow, luis.id) == luis


async def test_a_patient_record_has_at_most_one_account(new_uow: NewUnit) -> None:
    record = new_id()
    ana = a_user(role=Role.PATIENT, patient_id=record)
    luis = a_user(role=Role.PATIENT, patient_id=new_id())
    staff, doctor = a_user(), a_user(role=Role.DOCTOR)  # unlinked accounts never collide
    await add(new_uow, ana, luis, staff, doctor)
    async with new_uow() as uow:
        with pytest.raises(PatientLinkTaken):
            await uow.users.add(a_user(role=Role.PATIENT, patient_id=record))
    async with new_uow() as uow:
        grabbing = replace(luis, patient_id=record, version=2)
        with pytest.raises(PatientLinkTaken):
            await uow.users.replace(grabbing, expected_version=1)
    assert await get(new_uow, luis.id) == luis
    # Unlinked, the record is free for another account.
    async with new_uow() as uow:
        assert await uow.users.replace(replace(ana, patient_id=None, version=2), expected_version=1)
        assert await uow.users.replace(
            replace(luis, patient_id=record, version=2), expected_version=1
        )
        await uow.commit()
    assert (await get(new_uow, luis.id)) == replace(luis, patient_id=record, version=2)


async def test_a_changed_email_frees_the_old_one(new_uow: NewUnit) -> None:
    user = a_user()
    await add(new_uow, user)
    moved = replace(user, email=f"moved-{user.email}", version=2)
    async with new_uow() as uow:
        assert await uow.users.replace(moved, expected_version=1)
        await uow.commit()
    newcomer = a_user(email=user.email)
    await add(new_uow, newcomer)
    async with new_uow() as uow:
        assert await uow.users.get_by_email(user.email) == newcomer
        assert await uow.users.get_by_email(moved.email) == moved


async def test_an_admin_exists_once_one_is_stored(new_uow: NewUnit) -> None:
    async with new_uow() as uow:
        # Only checkable on an empty table (the shared PostgreSQL one may hold admins).
        if not (await uow.users.list(cursor=None, limit=1)).items:
            assert not await uow.users.admin_exists()
            await uow.users.add(a_user(role=Role.DOCTOR))
            assert not await uow.users.admin_exists()
    await add(new_uow, a_user(role=Role.ADMIN))
    async with new_uow() as uow:
        assert await uow.users.admin_exists()


async def test_list_pages_through_every_user_in_id_order(new_uow: NewUnit) -> None:
    mine = [a_user() for _ in range(5)]
    await add(new_uow, *mine)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        async with new_uow() as uow:
            page = await uow.users.list(cursor=cursor, limit=2)
        assert page.items, "a cursor was issued for an empty page"
        seen.extend(u.id for u in page.items)
        if page.next_cursor is None:
            break
        assert len(page.items) == 2
        cursor = page.next_cursor
    assert seen == sorted(set(seen))
    assert [i for i in seen if i in {u.id for u in mine}] == sorted(u.id for u in mine)


async def test_leaving_without_commit_writes_nothing(new_uow: NewUnit) -> None:
    kept = a_user()
    await add(new_uow, kept)
    dropped = a_user()
    async with new_uow() as uow:
        await uow.users.add(dropped)
        assert await uow.users.get_by_email(dropped.email) == dropped
        assert await uow.users.replace(
            replace(kept, failed_logins=3, version=2), expected_version=1
        )
    assert await get(new_uow, dropped.id) is None
    assert await get(new_uow, kept.id) == kept
    await add(new_uow, a_user(email=dropped.email))  # the dropped email was never taken


async def test_a_commit_survives_another_unit_left_without_commit(new_uow: NewUnit) -> None:
    """A unit that rolls back undoes its own work only, not what others committed meanwhile."""
    user = a_user()
    async with new_uow() as reading:
        assert await reading.users.get(user.id) is None
        await add(new_uow, user)
    assert await get(new_uow, user.id) == user
