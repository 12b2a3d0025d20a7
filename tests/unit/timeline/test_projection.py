"""`project`: every event type about one patient becomes its entry, built from the real
events each domain records (so a payload field renamed there fails here); other events
become nothing, and no value of a payload but its codes reaches a summary."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from carehub.bootstrap.event_types import EVENT_TYPES
from carehub.clinical import events as clinical
from carehub.countries.events import CountryChanged
from carehub.documents import events as documents
from carehub.kernel.events import DomainEvent, EventMessage
from carehub.patients import events as patients
from carehub.scheduling.events import AppointmentStatusChanged, SlotFreed, WaitlistOfferMade
from carehub.timeline.model import TIMELINE_EVENTS, EntryType, TimelineEntry, item_path, project

AT = datetime(2031, 3, 10, 12, 0, tzinfo=UTC)
P = "pt-7"
BY = "user-dr"


def common(aggregate: str) -> dict[str, object]:
    return {
        "aggregate_id": aggregate,
        "occurred_at": AT,
        "actor_id": BY,
        "event_id": f"ev-{aggregate}",
    }


def appointment(action: str, status: str) -> AppointmentStatusChanged:
    return AppointmentStatusChanged(
        **common("ap-1"),  # type: ignore[arg-type]
        country_id="PE",
        doctor_id="dr-1",
        patient_id=P,
        status=status,
        action=action,
        version=3,
    )


def file_event(
    kind: type[documents.FileEvent],
    category: str = "lab",
    file_kind: str = "doc",
    item_id: str | None = None,
) -> documents.FileEvent:
    return kind(
        **common("f-1"),  # type: ignore[arg-type]
        patient_id=P,
        document_id="doc-1",
        version=2,
        kind=file_kind,
        category=category,
        mime_type="application/pdf",
        item_id=item_id,
    )


def stamp(kind: type[documents.StampEvent]) -> documents.StampEvent:
    return kind(**common("st-1"), file_id="f-1", patient_id=P, category="radiology")  # type: ignore[arg-type]


def item(kind: type[clinical.ItemEvent], status: str, **fields: object) -> clinical.ItemEvent:
    return kind(
        **common("it-1"),  # type: ignore[arg-type]
        patient_id=P,
        version=4,
        status=status,
        **fields,
    )


@dataclass(frozen=True)
class Case:
    event: DomainEvent
    entry_type: EntryType
    action: str
    item_id: str
    summary: str
    status: str | None = None
    version: int | None = None


CASES = [
    Case(
        patients.PatientRegistered(**common(P), country_id="PE"),  # type: ignore[arg-type]
        EntryType.PATIENT, "registered", P, "Patient registered",
    ),
    Case(
        patients.PatientUpdated(**common(P), country_id="PE", version=2, changed_fields=("names",)),  # type: ignore[arg-type]
        EntryType.PATIENT, "updated", P, "Patient details updated", version=2,
    ),
    Case(
        patients.PatientDeactivated(**common(P), country_id="PE"),  # type: ignore[arg-type]
        EntryType.PATIENT, "deactivated", P, "Patient record deactivated",
    ),
    Case(
        patients.CareAssignmentChanged(**common(P), practitioner_id="dr-1", assigned=True),  # type: ignore[arg-type]
        EntryType.PATIENT, "care_assigned", P, "Doctor added to the care team",
    ),
    Case(
        patients.CareAssignmentChanged(**common(P), practitioner_id="dr-1", assigned=False),  # type: ignore[arg-type]
        EntryType.PATIENT, "care_released", P, "Doctor released from the care team",
    ),
    Case(appointment("request", "pending"), EntryType.APPOINTMENT, "requested", "ap-1",
         "Appointment requested", "pending", 3),
    Case(appointment("request", "confirmed"), EntryType.APPOINTMENT, "requested", "ap-1",
         "Appointment booked", "confirmed", 3),
    Case(appointment("confirm", "confirmed"), EntryType.APPOINTMENT, "confirmed", "ap-1",
         "Appointment confirmed", "confirmed", 3),
    Case(appointment("cancel", "cancelled"), EntryType.APPOINTMENT, "cancelled", "ap-1",
         "Appointment cancelled", "cancelled", 3),
    Case(appointment("check-in", "checked_in"), EntryType.APPOINTMENT, "checked_in", "ap-1",
         "Appointment checked in", "checked_in", 3),
    Case(appointment("complete", "completed"), EntryType.APPOINTMENT, "completed", "ap-1",
         "Appointment completed", "completed", 3),
    Case(appointment("no-show", "no_show"), EntryType.APPOINTMENT, "no_show", "ap-1",
         "Appointment marked as a no-show", "no_show", 3),
    Case(appointment("reschedule", "confirmed"), EntryType.APPOINTMENT, "rescheduled", "ap-1",
         "Appointment rescheduled", "confirmed", 3),
    Case(appointment("reject", "rejected"), EntryType.APPOINTMENT, "rejected", "ap-1",
         "Appointment rejected", "rejected", 3),
    Case(file_event(documents.DocumentUploaded), EntryType.DOCUMENT, "uploaded", "f-1",
         "Lab document uploaded", version=2),
    Case(file_event(documents.DocumentUploaded, "ot_notes"), EntryType.DOCUMENT, "uploaded",
         "f-1", "OT notes document uploaded", version=2),
    Case(file_event(documents.DocumentUploaded, file_kind="med"), EntryType.DOCUMENT,
         "uploaded", "f-1", "File attached to a medication uploaded", version=2),
    Case(file_event(documents.FileDetached, "preop"), EntryType.DOCUMENT, "detached", "f-1",
         "Pre-op document detached", version=2),
    Case(file_event(documents.FileDeleted, "discharge", "note"), EntryType.DOCUMENT, "deleted",
         "f-1", "File attached to a note deleted", version=2),
    # A file attached to an item is an entry of that item, linking to it.
    Case(file_event(documents.DocumentUploaded, file_kind="med", item_id="it-1"),
         EntryType.MEDICATION, "file_uploaded", "it-1", "File attached to the medication"),
    Case(file_event(documents.FileDetached, file_kind="note", item_id="it-1"), EntryType.NOTE,
         "file_detached", "it-1", "File detached from the note"),
    Case(file_event(documents.FileDeleted, file_kind="task", item_id="it-1"), EntryType.TASK,
         "file_deleted", "it-1", "File of the task deleted"),
    Case(stamp(documents.DocumentStamped), EntryType.DOCUMENT, "stamped", "f-1",
         "Radiology document verified"),
    Case(stamp(documents.StampRemoved), EntryType.DOCUMENT, "stamp_removed", "f-1",
         "Radiology document verification removed"),
    Case(item(clinical.NoteWritten, "current"), EntryType.NOTE, "written", "it-1",
         "Note written", "current", 4),
    Case(item(clinical.NoteAmended, "current"), EntryType.NOTE, "amended", "it-1",
         "Note amended", "current", 4),
    Case(item(clinical.NoteEnteredInError, "entered_in_error"), EntryType.NOTE,
         "entered_in_error", "it-1", "Note marked as entered in error", "entered_in_error", 4),
    Case(item(clinical.MedicationStarted, "active"), EntryType.MEDICATION, "started", "it-1",
         "Medication started", "active", 4),
    Case(item(clinical.MedicationStopped, "stopped"), EntryType.MEDICATION, "stopped", "it-1",
         "Medication stopped", "stopped", 4),
    Case(item(clinical.MedicationCompleted, "completed"), EntryType.MEDICATION, "completed",
         "it-1", "Medication completed", "completed", 4),
    Case(item(clinical.TaskCreated, "open"), EntryType.TASK, "created", "it-1",
         "Task created", "open", 4),
    Case(item(clinical.TaskCreated, "open", assignee_id="u-2", assigned_to="u-2"),
         EntryType.TASK, "created", "it-1", "Task created and assigned", "open", 4),
    Case(item(clinical.TaskChanged, "open", assignee_id="u-3", assigned_to="u-3"),
         EntryType.TASK, "changed", "it-1", "Task assigned", "open", 4),
    Case(item(clinical.TaskChanged, "in_progress", assignee_id="u-3"), EntryType.TASK,
         "changed", "it-1", "Task started", "in_progress", 4),
    Case(item(clinical.TaskChanged, "done"), EntryType.TASK, "changed", "it-1", "Task done",
         "done", 4),
    Case(item(clinical.TaskChanged, "cancelled"), EntryType.TASK, "changed", "it-1",
         "Task cancelled", "cancelled", 4),
    Case(item(clinical.TaskChanged, "open"), EntryType.TASK, "changed", "it-1",
         "Task updated", "open", 4),
    Case(item(clinical.ChecklistStarted, "in_progress", template_id="surgical-safety",
              remaining=19), EntryType.CHECKLIST, "started", "it-1",
         "Checklist started (19 required left)", "in_progress", 4),
    Case(item(clinical.ChecklistItemChecked, "in_progress", template_id="t-1",
              checklist_item_id="s-1", remaining=3), EntryType.CHECKLIST, "item_checked",
         "it-1", "Checklist item checked (3 required left)", "in_progress", 4),
    Case(item(clinical.ChecklistItemUnchecked, "in_progress", template_id="t-1",
              checklist_item_id="s-1", remaining=4), EntryType.CHECKLIST, "item_unchecked",
         "it-1", "Checklist item unchecked (4 required left)", "in_progress", 4),
    Case(item(clinical.ChecklistCompleted, "completed", template_id="t-1",
              checklist_item_id="s-9"), EntryType.CHECKLIST, "completed", "it-1",
         "Checklist completed", "completed", 4),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.event.event_type}:{c.summary}")
def test_each_event_about_a_patient_becomes_its_entry(case: Case) -> None:
    message = case.event.to_message()
    assert project(message) == TimelineEntry(
        patient_id=P,
        event_id=case.event.event_id,
        occurred_at=AT,
        entry_type=case.entry_type,
        action=case.action,
        item_id=case.item_id,
        actor_id=BY,
        summary=case.summary,
        status=case.status,
        version=case.version,
    )


def test_every_event_type_the_timeline_names_exists_and_each_is_tested() -> None:
    assert set(EVENT_TYPES) >= TIMELINE_EVENTS
    assert {case.event.event_type for case in CASES} == TIMELINE_EVENTS
    # The events left out are not about one patient's record; a new event type must be
    # placed on one side or the other.
    left_out = set(EVENT_TYPES) - TIMELINE_EVENTS
    assert left_out == {
        "countries.country_changed.v1",
        "practitioners.doctor_changed.v1",
        "identity.user_created.v1",
        "identity.user_changed.v1",
        "identity.user_activated.v1",
        "scheduling.slot_freed.v1",
        "scheduling.waitlist_offer_made.v1",
        "fhir.export_requested.v1",
        "fhir.export_step_written.v1",
        "fhir.export_completed.v1",
    }


def test_events_not_about_one_patient_become_nothing() -> None:
    freed = SlotFreed(**common("dr-1"), country_id="PE", start=AT, end=AT)  # type: ignore[arg-type]
    country = CountryChanged(**common("PE"), version=1)  # type: ignore[arg-type]
    offer = WaitlistOfferMade(
        **common("w-1"),  # type: ignore[arg-type]
        hold_id="h-1",
        patient_id=P,
        doctor_id="dr-1",
        country_id="PE",
    )
    for event in (freed, country, offer):
        assert project(event.to_message()) is None
    # A payload without the ids its type promises is nobody's.
    bare = replace(file_event(documents.DocumentUploaded).to_message(), payload={"fileId": "f"})
    assert project(bare) is None
    no_item = replace(item(clinical.NoteWritten, "current").to_message(), payload={"patientId": P})
    assert project(no_item) is None


def test_a_patients_event_without_patient_id_names_its_aggregate() -> None:
    message = EventMessage("e-1", "patients.patient_registered.v1", P, AT, BY, {"countryId": "PE"})
    found = project(message)
    assert found is not None and found.patient_id == P and found.item_id == P


UNSAFE = "Ana Ruiz <script>"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.event.event_type}:{c.summary}")
def test_no_payload_value_but_a_known_code_reaches_the_summary(case: Case) -> None:
    message = case.event.to_message()
    # Every value a payload holds (ids, codes, counts) made foreign: only the generic text
    # of the event type remains.
    foreign = {name: UNSAFE for name in message.payload}
    keep = {"patientId": P, "appointmentId": "ap-1", "fileId": "f-1", "itemId": "it-1"}
    foreign.update({name: value for name, value in keep.items() if name in message.payload})
    entry = project(replace(message, payload=foreign))
    assert entry is not None
    assert "Ana" not in entry.summary and "<" not in entry.summary
    assert entry.status is None  # a status that is not a status code is left out
    for value in (P, "ap-1", "f-1", "it-1", "dr-1", "PE"):
        assert value not in case.summary


@pytest.mark.parametrize(
    ("entry_type", "path"),
    [
        (EntryType.PATIENT, f"/patients/{P}"),
        (EntryType.APPOINTMENT, "/appointments/x-1"),
        (EntryType.DOCUMENT, f"/patients/{P}/documents"),
        (EntryType.NOTE, f"/patients/{P}/notes/x-1"),
        (EntryType.MEDICATION, f"/patients/{P}/medications/x-1"),
        (EntryType.TASK, f"/patients/{P}/tasks/x-1"),
        (EntryType.CHECKLIST, f"/patients/{P}/checklists/x-1"),
    ],
)
def test_each_entry_links_to_its_items_route(entry_type: EntryType, path: str) -> None:
    entry = TimelineEntry(P, "e-1", AT, entry_type, "changed", "x-1", BY, "Something")
    assert item_path(entry) == path
