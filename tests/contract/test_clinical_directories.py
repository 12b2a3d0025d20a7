"""The record's two reader ports on every store: UserDirectory (who a task may be given to,
read from the accounts) and AttachableItems (which patient's item a file attaches to).

Accounts outlive a test on the shared PostgreSQL database, so every user here is new.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from carehub.clinical.ports import Assignee
from carehub.identity.model import User, UserStatus
from carehub.kernel.actor import Role
from carehub.kernel.ids import new_id
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.support.clinical_records import (
    NewClinicalUnit,
    a_checklist,
    a_medication,
    a_note,
    a_task,
    add_all,
    item_id,
)

CREATED = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)


def a_user(role: Role, status: UserStatus) -> User:
    return User(
        id=new_id(),
        email=f"{uuid.uuid4().hex[:12]}@example.org",
        role=role,
        status=status,
        country_id="PE",
        patient_id=None,
        practitioner_id=new_id() if role is Role.DOCTOR else None,
        password_hash=None,
        failed_logins=0,
        locked_until=None,
        created_at=CREATED,
        updated_at=CREATED,
    )


async def test_an_assignee_is_read_from_the_accounts(new_uow: NewClinicalUnit) -> None:
    nurse = a_user(Role.STAFF, UserStatus.ACTIVE)
    doctor = a_user(Role.DOCTOR, UserStatus.ACTIVE)
    gone = a_user(Role.DOCTOR, UserStatus.DISABLED)
    pending = a_user(Role.STAFF, UserStatus.PENDING)
    async with new_uow() as uow:
        for user in (nurse, doctor, gone, pending):
            await uow.users.add(user)
        await uow.commit()
    async with new_uow() as uow:
        directory = uow.user_directory
        assert await directory.assignee(nurse.id) == Assignee(nurse.id, "staff", True, nurse.email)
        assert await directory.assignee(doctor.id) == Assignee(
            doctor.id, "doctor", True, doctor.email
        )
        assert await directory.assignee(gone.id) == Assignee(gone.id, "doctor", False, gone.email)
        assert await directory.assignee(pending.id) == Assignee(
            pending.id, "staff", False, pending.email
        )
        assert await directory.assignee(new_id()) is None


async def test_an_item_is_attachable_under_its_own_kind_only(new_uow: NewClinicalUnit) -> None:
    await add_all(new_uow, "notes", a_note(1))
    await add_all(new_uow, "medications", a_medication(2, patient="p-2"))
    await add_all(new_uow, "tasks", a_task(3, patient="p-3"))
    await add_all(new_uow, "checklists", a_checklist(4))
    async with new_uow() as uow:
        items = uow.attachable_items
        assert await items.patient_of("note", item_id(1)) == "p-1"
        assert await items.patient_of("med", item_id(2)) == "p-2"
        assert await items.patient_of("task", item_id(3)) == "p-3"
        for kind, n in (("med", 1), ("task", 1), ("note", 2), ("note", 3), ("doc", 1)):
            assert await items.patient_of(kind, item_id(n)) is None, (kind, n)
        assert await items.patient_of("note", item_id(9)) is None
        assert await items.patient_of("note", item_id(4)) is None  # a checklist
