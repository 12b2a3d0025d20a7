"""Reactions to other domains' events that change patient records' care teams."""

from __future__ import annotations

from carehub.kernel.events import EventMessage
from carehub.patients.ports import PatientsUnitOfWork

# A booking with a doctor makes a care relationship (the doctor may then read the record).
APPOINTMENT_STATUS_CHANGED = "scheduling.appointment_status_changed.v1"
CARE_EVENTS = frozenset({APPOINTMENT_STATUS_CHANGED})


async def join_care_team(message: EventMessage, uow: PatientsUnitOfWork) -> None:
    """A confirmed appointment puts its doctor in the patient's care team (once)."""
    data = message.payload
    if message.event_type != APPOINTMENT_STATUS_CHANGED or data.get("status") != "confirmed":
        return
    await uow.patients.add_care_relationship(str(data["doctorId"]), str(data["patientId"]))
