"""What a `PUT` of an Appointment asks of the stored appointment: one move along its
lifecycle, and nothing else.

carehub takes a change of status only, each through its action of the appointment use
case (cancel, check in, complete, mark a no-show), so the same rules, audit entries and
events apply as natively. A PUT is the whole resource: everything else must be what is
stored. Another time is a reschedule, which claims the new time before it lets the old
one go (`POST /appointments/{id}/reschedule`), and another participant is another
booking: each is refused, naming the element.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carehub.fhir.resources.appointment import appointment_resource
from carehub.fhir.schemas.appointment_update import AppointmentUpdate
from carehub.fhir.wire import instant
from carehub.kernel.errors import FieldError, Invalid
from carehub.scheduling.model import Action, Appointment

# The FHIR status an appointment is moved to -> the action that moves it there.
ACTIONS = {
    "cancelled": Action.CANCEL,
    "checked-in": Action.CHECK_IN,
    "fulfilled": Action.COMPLETE,
    "noshow": Action.NO_SHOW,
}
_RESCHEDULE = (
    "carehub does not move an appointment by update: reschedule it "
    "(POST /appointments/{id}/reschedule)"
)
_REBOOK = "another participant is another booking: cancel this one and book again"
_TAKEN = (
    "carehub moves an appointment to cancelled, checked-in, fulfilled or noshow; "
    "a booking is confirmed by its country's processing"
)


@dataclass(frozen=True)
class AppointmentMove:
    """The action a PUT asks for (None: none, the appointment as it stands), and the
    reason a cancellation gives."""

    action: Action | None
    reason: str | None = None


def requested_move(current: Appointment, sent: AppointmentUpdate) -> AppointmentMove:
    """The move the resource sent asks of `current` (Invalid naming each element it would
    change that carehub does not change by update)."""
    served = appointment_resource(current)
    errors = _changed(current, served, sent)
    if sent.id != current.id:
        errors.insert(0, FieldError("id", "must be the id in the URL"))
    if errors:
        raise Invalid("An update changes an appointment's status only", errors=errors)
    reason = sent.cancelation_reason
    if sent.status == served["status"]:
        if _sent_reason(sent) != served.get("cancelationReason"):
            raise _invalid("cancelationReason", "changes only with the status (to cancelled)")
        return AppointmentMove(None)
    action = ACTIONS.get(sent.status)
    if action is None:
        raise _invalid("status", _TAKEN)
    if reason is not None and action is not Action.CANCEL:
        raise _invalid("cancelationReason", "is given only when an appointment is cancelled")
    if reason is not None and reason.coding is not None:
        raise _invalid("cancelationReason.coding", "is carehub's own: send the reason as text")
    return AppointmentMove(action, None if reason is None else reason.text)


def _changed(
    current: Appointment, served: dict[str, Any], sent: AppointmentUpdate
) -> list[FieldError]:
    """The elements whose value differs from what is stored (and served)."""
    errors = [
        FieldError(name, _RESCHEDULE)
        for name, value, stored in (
            ("start", sent.start, current.start),
            ("end", sent.end, current.end),
        )
        if value is None or not _same_instant(value, stored)
    ]
    if sent.minutes_duration not in (None, served["minutesDuration"]):
        errors.append(FieldError("minutesDuration", _RESCHEDULE))
    if sent.created is not None and not _same_instant(sent.created, current.created_at):
        errors.append(FieldError("created", "is when carehub booked the appointment"))
    participants = {p["actor"]["reference"] for p in served["participant"]}
    sent_participants = [p.actor.reference for p in sent.participant]
    if sorted(sent_participants) != sorted(participants):
        errors.append(FieldError("participant", _REBOOK))
    return errors


def _same_instant(sent: str, stored: datetime) -> bool:
    """Whether an instant sent is the stored one, at the precision carehub serves."""
    try:
        moment = datetime.fromisoformat(sent.replace("Z", "+00:00"))
    except ValueError:
        return False
    return instant(moment) == instant(stored)


def _sent_reason(sent: AppointmentUpdate) -> dict[str, Any] | None:
    reason = sent.cancelation_reason
    return None if reason is None else reason.model_dump(by_alias=True, exclude_none=True)


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(f"{field} {message}", errors=[FieldError(field, message)])
