"""Reactions to events: other domains' that change patient records' care teams, and the
patients' own that change what a patient is found by."""

from __future__ import annotations

from carehub.kernel.events import EventMessage
from carehub.patients.events import PatientDeactivated, PatientRegistered, PatientUpdated
from carehub.patients.ports import PatientSearchUnitOfWork, PatientsUnitOfWork
from carehub.patients.search_service import index_patient

# A booking with a doctor makes a care relationship (the doctor may then read the record).
APPOINTMENT_STATUS_CHANGED = "scheduling.appointment_status_changed.v1"
CARE_EVENTS = frozenset({APPOINTMENT_STATUS_CHANGED})
# Every change of a record's indexed data is one of these (names, contact data, address,
# identifiers and conditions change only by an update).
SEARCH_EVENTS = frozenset(
    {PatientRegistered.event_type, PatientUpdated.event_type, PatientDeactivated.event_type}
)


async def join_care_team(message: EventMessage, uow: PatientsUnitOfWork) -> None:
    """A confirmed appointment puts its doctor in the patient's care team (once)."""
    data = message.payload
    if message.event_type != APPOINTMENT_STATUS_CHANGED or data.get("status") != "confirmed":
        return
    await uow.patients.add_care_relationship(str(data["doctorId"]), str(data["patientId"]))


async def index_changed_patient(message: EventMessage, uow: PatientSearchUnitOfWork) -> None:
    """Put the patient's current document in the search index (a repeat puts it again)."""
    await index_patient(uow, message.aggregate_id)
