"""An appointment as an Appointment: its status, times and who takes part.

carehub's appointments carry no reason or service of their own (the doctor's specialty is
the PractitionerRole's), so `reasonCode` and `serviceCategory` stay absent.
"""

from __future__ import annotations

from typing import Any

from carehub.fhir.wire import CAREHUB_SYSTEM, instant, meta, reference
from carehub.scheduling.model import Appointment, Status

_STATUS = {
    Status.REQUESTED: "proposed",
    Status.PENDING: "pending",
    Status.CONFIRMED: "booked",
    Status.CHECKED_IN: "checked-in",
    Status.COMPLETED: "fulfilled",
    Status.CANCELLED: "cancelled",
    Status.NO_SHOW: "noshow",
    Status.REJECTED: "cancelled",
}
# The doctor's side has not agreed yet while the country's processing decides, and turned
# the time down when it rejected it; the patient asked for it from the start.
_DOCTOR_ANSWER = {
    Status.REQUESTED: "needs-action",
    Status.PENDING: "needs-action",
    Status.REJECTED: "declined",
}
# FHIR has no "rejected": it is a cancellation, and this code keeps carehub's word for it.
APPOINTMENT_STATUS_SYSTEM = f"{CAREHUB_SYSTEM}:appointment-status"
_CANCELLED = frozenset({Status.CANCELLED, Status.REJECTED})


def appointment_resource(a: Appointment) -> dict[str, Any]:
    """The appointment as an Appointment, in UTC instants."""
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": a.id,
        "meta": meta(a.version, a.updated_at),
        "status": _STATUS[a.status],
        "start": instant(a.start),
        "end": instant(a.end),
        "minutesDuration": int((a.end - a.start).total_seconds() // 60),
        "created": instant(a.created_at),
        "participant": [
            _participant(reference("Patient", a.patient_id), "accepted"),
            _participant(
                reference("Practitioner", a.doctor_id), _DOCTOR_ANSWER.get(a.status, "accepted")
            ),
            _participant(reference("Location", a.country_id), "accepted"),
        ],
    }
    if a.status in _CANCELLED:
        reason = _cancellation(a)
        if reason:
            resource["cancelationReason"] = reason
    return resource


def _participant(actor: dict[str, Any], status: str) -> dict[str, Any]:
    return {"actor": actor, "required": "required", "status": status}


def _cancellation(a: Appointment) -> dict[str, Any]:
    reason: dict[str, Any] = {}
    if a.status is Status.REJECTED:
        reason["coding"] = [{"system": APPOINTMENT_STATUS_SYSTEM, "code": a.status.value}]
    if a.status_reason:
        reason["text"] = a.status_reason
    return reason
