"""Two admins disabling or demoting each other at once, on every SQL backend: the store's
lock on the active admins, not a count read before the write, keeps one of them in office.

On PostgreSQL each change has its own connection and transaction; on SQLite the changes
interleave on one event loop and take turns at the single writer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from carehub.adapters.identity.passwords import Argon2Hasher
from carehub.identity.accounts import AccountService
from carehub.identity.commands import NewUser, UserChanges
from carehub.identity.errors import LastAdmin
from carehub.identity.hashing import HashSlot
from carehub.identity.model import User, UserStatus
from carehub.kernel.actor import Actor, Role
from tests.support.clock import AdjustableClock
from tests.support.file_records import NewUnit, open_units, race

OPERATOR = Actor.system("ops")
PASSWORD = "a long and good passphrase"


@pytest.fixture
async def new_uow(database_url: str, tmp_path: Path) -> AsyncIterator[NewUnit]:
    async with open_units(database_url, tmp_path) as units:
        yield units


def account_service(new_uow: NewUnit) -> AccountService:
    return AccountService(
        new_uow,  # type: ignore[arg-type]
        AdjustableClock(),
        hashes=HashSlot(Argon2Hasher(time_cost=1, memory_kib=32)),
    )


async def only_these_admins(new_uow: NewUnit, accounts: AccountService, count: int) -> list[User]:
    """`count` new active admins, and every other admin (accounts outlive a test on a
    shared database) disabled."""
    async with new_uow() as uow:
        others = await uow.users.lock_active_admins()  # type: ignore[attr-defined]
        for user_id in others:
            user = await uow.users.get(user_id)  # type: ignore[attr-defined]
            disabled = replace(user, status=UserStatus.DISABLED, version=user.version + 1)
            await uow.users.replace(disabled, expected_version=user.version)  # type: ignore[attr-defined]
        await uow.commit()
    return [
        await accounts.create_user(
            actor=OPERATOR,
            new=NewUser(
                email=f"admin{n}-{id(accounts)}@race.test", role=Role.ADMIN, password=PASSWORD
            ),
        )
        for n in range(count)
    ]


@pytest.mark.parametrize(
    "changes",
    [UserChanges(status=UserStatus.DISABLED), UserChanges(role=Role.STAFF)],
    ids=["disable", "demote"],
)
async def test_two_admins_unseating_each_other_leave_one_in_office(
    new_uow: NewUnit, changes: UserChanges
) -> None:
    accounts = account_service(new_uow)
    first, second = await only_these_admins(new_uow, accounts, 2)

    outcomes = await race(
        [
            lambda: accounts.change_user(actor=OPERATOR, user_id=first.id, changes=changes),
            lambda: accounts.change_user(actor=OPERATOR, user_id=second.id, changes=changes),
        ]
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["LastAdmin", "User"], outcomes
    assert any(isinstance(o, LastAdmin) for o in outcomes)
    async with new_uow() as uow:
        assert len(await uow.users.lock_active_admins()) == 1  # type: ignore[attr-defined]
