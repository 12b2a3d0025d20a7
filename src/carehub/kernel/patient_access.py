"""Who may see a patient's health data (deny by default), for every domain that holds some.

- patient: only their own;
- doctor: patients in their care (an appointment or an explicit assignment);
- staff: patients of their own country;
- admin and system processes: everyone.
"""

from __future__ import annotations

from carehub.kernel.actor import Actor, Role


def needs_care_check(actor: Actor) -> bool:
    """Whether seeing a patient depends on a care relationship (a store lookup)."""
    return actor.role is Role.DOCTOR


def can_see_patient(
    actor: Actor, *, patient_id: str, country_id: str, in_care: bool = False
) -> bool:
    if actor.unrestricted:
        return True
    if actor.role is Role.PATIENT:
        return actor.patient_id == patient_id
    if actor.role is Role.STAFF:
        return actor.country_id is not None and actor.country_id == country_id
    if actor.role is Role.DOCTOR:
        return in_care
    return False
