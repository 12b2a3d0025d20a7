"""Who may book, see and move which appointments (deny by default).

- patient: their own appointments, holds and waitlist entries;
- doctor: their own schedule;
- staff: appointments with doctors of their country;
- admin and system processes: everything.
Out-of-scope appointments look exactly like missing ones.
"""

from __future__ import annotations

from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Forbidden
from carehub.scheduling.model import Action, Appointment

# What each role may ask of an appointment it can see.
_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.PATIENT: frozenset({Action.CANCEL, Action.RESCHEDULE}),
    Role.DOCTOR: frozenset(Action) - {Action.REJECT},
    Role.STAFF: frozenset(Action) - {Action.REJECT},
}


def can_see(actor: Actor, *, patient_id: str, doctor_id: str, country_id: str) -> bool:
    if actor.unrestricted:
        return True
    if actor.role is Role.PATIENT:
        return actor.patient_id == patient_id
    if actor.role is Role.DOCTOR:
        return actor.practitioner_id == doctor_id
    if actor.role is Role.STAFF:
        return actor.country_id is not None and actor.country_id == country_id
    return False


def can_see_appointment(actor: Actor, appointment: Appointment) -> bool:
    return can_see(
        actor,
        patient_id=appointment.patient_id,
        doctor_id=appointment.doctor_id,
        country_id=appointment.country_id,
    )


def check_can_act(actor: Actor, action: Action) -> None:
    """Called once the appointment is known to be visible to the actor."""
    if actor.unrestricted:
        return
    if action not in _ACTIONS.get(actor.role, frozenset()):
        raise Forbidden(f"Your role cannot {action.value} appointments")


def check_can_book(actor: Actor, *, patient_id: str, doctor_id: str, country_id: str) -> None:
    """Patients book for themselves, doctors into their own schedule, staff in their
    country, admins anywhere."""
    if not can_see(actor, patient_id=patient_id, doctor_id=doctor_id, country_id=country_id):
        raise Forbidden("You cannot book for this patient with this doctor")


def may_override_window(actor: Actor) -> bool:
    """Only admins may cancel inside a country's cancellation window (audited)."""
    return actor.unrestricted
