"""Users and refresh sessions on DynamoDB beyond their contract suites: what a unit loses
to a racing one at commit raises what it means, and the last-admin rule holds although
DynamoDB has no row locks (docs/dynamodb.md, "identity")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from carehub.adapters.dynamodb.users import AdminsChangedMeanwhile
from carehub.identity.errors import EmailTaken, PatientLinkTaken, SessionInvalid
from carehub.identity.model import User, UserStatus
from carehub.kernel.actor import Role
from carehub.kernel.ids import new_id
from tests.contract.test_session_repository import LATER, a_session
from tests.contract.test_user_repository import CREATED, a_user

NewUnit = Callable[[], DynamoUnitOfWork]
pytestmark = pytest.mark.aws


async def add(new_uow: NewUnit, *users: User) -> None:
    async with new_uow() as uow:
        for user in users:
            await uow.users.add(user)
        await uow.commit()


def demoted(user: User) -> User:
    return replace(user, role=Role.STAFF, updated_at=CREATED + timedelta(hours=1), version=2)


async def test_an_email_or_patient_link_taken_by_a_racing_unit_fails_the_commit(
    new_uow: NewUnit,
) -> None:
    record = new_id()
    ana = a_user(role=Role.PATIENT, patient_id=record)
    same_email = a_user(email=ana.email)
    same_record = a_user(role=Role.PATIENT, patient_id=record)
    winner, by_email, by_record = new_uow(), new_uow(), new_uow()
    async with winner, by_email, by_record:
        await winner.users.add(ana)
        await by_email.users.add(same_email)  # both pass the early read
        await by_record.users.add(same_record)
        await winner.commit()
        with pytest.raises(EmailTaken):
            await by_email.commit()
        with pytest.raises(PatientLinkTaken):
            await by_record.commit()
    async with new_uow() as uow:
        assert await uow.users.get_by_email(ana.email) == ana
        assert await uow.users.get(same_record.id) is None


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(new_uow: NewUnit) -> None:
    ana, luis = a_user(role=Role.ADMIN), a_user(role=Role.ADMIN)
    await add(new_uow, ana, luis)
    first, second = new_uow(), new_uow()
    async with first, second:
        # Each sees the other still in office, as SQL's locked read would before either
        # commits; DynamoDB lets only one of the two roster changes through.
        assert await first.users.lock_active_admins() == {ana.id, luis.id}
        assert await second.users.lock_active_admins() == {ana.id, luis.id}
        assert await first.users.replace(demoted(ana), expected_version=1)
        assert await second.users.replace(demoted(luis), expected_version=1)
        await first.commit()
        with pytest.raises(AdminsChangedMeanwhile):
            await second.commit()
    async with new_uow() as uow:
        assert await uow.users.lock_active_admins() == {luis.id}
        stored = await uow.users.get(luis.id)
    assert stored is not None and stored.role is Role.ADMIN


async def test_a_decision_on_an_admin_roster_read_before_another_commit_fails(
    new_uow: NewUnit,
) -> None:
    ana, luis = a_user(role=Role.ADMIN), a_user(role=Role.ADMIN)
    await add(new_uow, ana, luis)
    async with new_uow() as late:
        assert await late.users.lock_active_admins() == {ana.id, luis.id}
        async with new_uow() as quick:
            await quick.users.lock_active_admins()
            assert await quick.users.replace(demoted(luis), expected_version=1)
            await quick.commit()
        # `late` decided that demoting Ana leaves Luis: the roster it read is gone.
        assert await late.users.replace(demoted(ana), expected_version=1)
        with pytest.raises(AdminsChangedMeanwhile):
            await late.commit()
    async with new_uow() as uow:
        assert await uow.users.lock_active_admins() == {ana.id}


async def test_the_roster_follows_promotions_disabling_and_new_admins(new_uow: NewUnit) -> None:
    ana, luis = a_user(role=Role.ADMIN), a_user()
    pending = a_user(role=Role.ADMIN, status=UserStatus.PENDING)
    await add(new_uow, ana, luis, pending)
    async with new_uow() as uow:
        assert await uow.users.lock_active_admins() == {ana.id}
        promoted = replace(luis, role=Role.ADMIN, version=2)
        assert await uow.users.replace(promoted, expected_version=1)
        disabled = replace(ana, status=UserStatus.DISABLED, version=2)
        assert await uow.users.replace(disabled, expected_version=1)
        assert await uow.users.lock_active_admins() == {luis.id}
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.users.lock_active_admins() == {luis.id}
        assert await uow.users.admin_exists()


async def test_a_refresh_token_rotated_by_a_racing_unit_fails_the_commit(
    new_uow: NewUnit,
) -> None:
    session = a_session()
    async with new_uow() as uow:
        await uow.users.add(a_user(id=session.user_id))
        await uow.sessions.add(session)
        await uow.commit()
    first, second = new_uow(), new_uow()
    async with first, second:
        assert await first.sessions.mark_rotated(session.token_hash, LATER)
        assert await second.sessions.mark_rotated(session.token_hash, LATER)
        await first.commit()
        with pytest.raises(SessionInvalid):
            await second.commit()
    async with new_uow() as uow:
        assert await uow.sessions.get(session.token_hash) == replace(session, rotated_at=LATER)


async def test_a_revocation_wins_over_a_rotation_racing_it(new_uow: NewUnit) -> None:
    session = a_session()
    async with new_uow() as uow:
        await uow.users.add(a_user(id=session.user_id))
        await uow.sessions.add(session)
        await uow.commit()
    rotating, revoking = new_uow(), new_uow()
    async with rotating, revoking:
        assert await rotating.sessions.mark_rotated(session.token_hash, LATER)
        await revoking.sessions.revoke_family(session.family_id, LATER)
        await rotating.commit()
        await revoking.commit()
    async with new_uow() as uow:
        stored = await uow.sessions.get(session.token_hash)
        assert await uow.sessions.signed_in_user(session.family_id, now=LATER) is None
    assert stored is not None and stored.revoked_at == LATER
