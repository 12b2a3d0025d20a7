"""A user account as the clinical record reads it when a task is given to them (the stores
that hold whole `User` records share this)."""

from __future__ import annotations

from carehub.clinical.ports import Assignee
from carehub.identity.model import User, UserStatus


def assignee_of(user: User) -> Assignee:
    return Assignee(
        user.id,
        user.role.value,
        user.status is UserStatus.ACTIVE,
        user.email,
        country_id=user.country_id,
        practitioner_id=user.practitioner_id,
    )
