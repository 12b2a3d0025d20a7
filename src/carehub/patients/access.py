"""Who may see and change which patient records (deny by default).

Seeing a record follows `carehub.kernel.patient_access`; a patient may change only their
contact details. Out-of-scope records look exactly like missing ones to the caller.
"""

from __future__ import annotations

from dataclasses import replace

from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Forbidden
from carehub.patients.ports import PatientFilter

PATIENT_EDITABLE = frozenset({"email", "phone", "address"})


def check_can_register(actor: Actor, country_id: str) -> None:
    """Staff and doctors register patients of their own country; admins anywhere."""
    if actor.unrestricted:
        return
    if actor.role not in (Role.STAFF, Role.DOCTOR):
        raise Forbidden("Your role cannot register patients")
    if actor.country_id != country_id:
        raise Forbidden(f"You can register patients only in your country ({actor.country_id})")


def check_can_change(actor: Actor, changed: tuple[str, ...]) -> None:
    """Called once the record is known to be visible to the actor."""
    if actor.role is Role.PATIENT and not set(changed) <= PATIENT_EDITABLE:
        refused = ", ".join(sorted(set(changed) - PATIENT_EDITABLE))
        raise Forbidden(f"Patients can change only their contact details, not: {refused}")


def check_can_deactivate(actor: Actor) -> None:
    if not (actor.unrestricted or actor.role is Role.STAFF):
        raise Forbidden("Only staff and admins can deactivate patient records")


def check_can_assign_care(actor: Actor) -> None:
    if not (actor.unrestricted or actor.role is Role.STAFF):
        raise Forbidden("Only staff and admins can change a patient's care team")


def scoped(actor: Actor, criteria: PatientFilter) -> PatientFilter | None:
    """The criteria narrowed to what the actor may see; None when nothing can match."""
    if actor.unrestricted:
        return criteria
    if actor.role is Role.PATIENT and actor.patient_id:
        return replace(criteria, patient_id=actor.patient_id)
    if actor.role is Role.STAFF and actor.country_id:
        if criteria.country_id not in (None, actor.country_id):
            return None
        return replace(criteria, country_id=actor.country_id)
    if actor.role is Role.DOCTOR and actor.practitioner_id:
        return replace(criteria, care_of=actor.practitioner_id)
    return None
