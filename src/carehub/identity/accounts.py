"""The rules an account must keep whoever changes it: links that fit its role and name a
real record, and who counts as an admin still in office."""

from __future__ import annotations

from carehub.identity.commands import UserChanges
from carehub.identity.model import User, UserStatus
from carehub.identity.ports import IdentityUnitOfWork
from carehub.kernel.actor import Role
from carehub.kernel.errors import FieldError, Invalid


def may_unseat(changes: UserChanges) -> bool:
    """Whether the change could take an active admin out of office."""
    return changes.role not in (None, Role.ADMIN) or changes.status not in (
        None,
        UserStatus.ACTIVE,
    )


def is_active_admin(user: User) -> bool:
    return user.role is Role.ADMIN and user.status is UserStatus.ACTIVE


def check_links(user: User) -> None:
    """Patients link to their record, doctors to their practitioner record."""
    if user.role is Role.PATIENT and user.patient_id is None:
        raise Invalid(
            "a patient account needs patientId", errors=[FieldError("patientId", "required")]
        )
    if user.role is not Role.PATIENT and user.patient_id is not None:
        raise Invalid(
            "only patient accounts link a patient",
            errors=[FieldError("patientId", "only for patients")],
        )


async def check_patient_exists(uow: IdentityUnitOfWork, user: User) -> None:
    """An account links only a record that exists (else it would gain the access of
    whatever record later takes that id)."""
    if user.patient_id is not None and await uow.patient_directory.contact(user.patient_id) is None:
        raise Invalid(
            "patientId names no patient record",
            errors=[FieldError("patientId", "no such patient")],
        )
