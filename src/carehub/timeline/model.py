"""The patient timeline (pure Python): one entry per event about one patient, projected from
the event alone.

An entry holds ids, codes, a time and a short display summary, built from the event's
type and the codes of its payload only (`summaries.py`). The full item is read from its
own route (`item_path`). A file attached to a note, a medication or a task is part of
that item's story: its events are entries of the item, linking to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.events import EventMessage
from carehub.kernel.pagination import cursor_position, encode_cursor
from carehub.timeline.summaries import (
    APPOINTMENT_ACTIONS,
    CARE_ACTIONS,
    Summary,
    appointment,
    attachment,
    care_change,
    checklist,
    code_of,
    file_event,
    number_of,
    said,
    status_of,
    task_changed,
    task_created,
    text_of,
)

# The one event type whose payload says what happened (its `action`).
APPOINTMENT_STATUS_CHANGED = "scheduling.appointment_status_changed.v1"


class EntryType(StrEnum):
    """What an entry is about (the `types` filter of the timeline)."""

    PATIENT = "patient"
    APPOINTMENT = "appointment"
    DOCUMENT = "document"
    NOTE = "note"
    MEDICATION = "medication"
    TASK = "task"
    CHECKLIST = "checklist"


@dataclass(frozen=True)
class TimelineEntry:
    """One event in a patient's timeline. `action` is the event's short code (`confirmed`,
    `amended`, `item_checked`, ...); `status` and `version` are the item's after the event,
    where the event names them."""

    patient_id: str
    event_id: str
    occurred_at: datetime
    entry_type: EntryType
    action: str
    item_id: str
    actor_id: str
    summary: str
    status: str | None = None
    version: int | None = None


@dataclass(frozen=True, order=True)
class Position:
    """Where an entry (or a journaled event) stands in its order, (`at`, `event_id`):
    entries are listed newest first by it, the journal oldest first, and a cursor holds
    the last one listed."""

    at: datetime
    event_id: str

    @classmethod
    def of(cls, entry: TimelineEntry) -> Position:
        return cls(entry.occurred_at, entry.event_id)

    def cursor(self) -> str:
        return encode_cursor({"at": self.at.isoformat(), "id": self.event_id})

    @classmethod
    def from_cursor(cls, cursor: str) -> Position:
        """The position a cursor of `cursor()` holds; invalid input otherwise."""
        at, event_id = cursor_position(cursor, "at", str), cursor_position(cursor, "id", str)
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            not_ours = FieldError("cursor", "not a cursor we issued")
            raise Invalid("cursor is not valid", errors=[not_ours])
        return cls(moment, event_id)


@dataclass(frozen=True)
class _Fact:
    """What one event type becomes: its entry's type, its action (None: the payload
    decides), the payload field naming the item (None: the patient), and its summary."""

    entry_type: EntryType
    action: str | None
    item_field: str | None
    summary: Summary


# What each event type becomes, by its name (a domain imports no other domain: a unit test
# checks each name against carehub's catalogue of events, and projects real events of
# every type, so a payload field renamed there fails here).
_FACTS: dict[str, _Fact] = {
    "patients.patient_registered.v1": _Fact(
        EntryType.PATIENT, "registered", None, said("Patient registered")
    ),
    "patients.patient_updated.v1": _Fact(
        EntryType.PATIENT, "updated", None, said("Patient details updated")
    ),
    "patients.patient_deactivated.v1": _Fact(
        EntryType.PATIENT, "deactivated", None, said("Patient record deactivated")
    ),
    "patients.care_assignment_changed.v1": _Fact(EntryType.PATIENT, None, None, care_change),
    APPOINTMENT_STATUS_CHANGED: _Fact(EntryType.APPOINTMENT, None, "appointmentId", appointment),
    "documents.document_uploaded.v1": _Fact(
        EntryType.DOCUMENT, "uploaded", "fileId", file_event("uploaded")
    ),
    "documents.file_detached.v1": _Fact(
        EntryType.DOCUMENT, "detached", "fileId", file_event("detached")
    ),
    "documents.file_deleted.v1": _Fact(
        EntryType.DOCUMENT, "deleted", "fileId", file_event("deleted")
    ),
    "documents.document_stamped.v1": _Fact(
        EntryType.DOCUMENT, "stamped", "fileId", file_event("verified")
    ),
    "documents.stamp_removed.v1": _Fact(
        EntryType.DOCUMENT, "stamp_removed", "fileId", file_event("verification removed")
    ),
    "clinical.note_written.v1": _Fact(EntryType.NOTE, "written", "itemId", said("Note written")),
    "clinical.note_amended.v1": _Fact(EntryType.NOTE, "amended", "itemId", said("Note amended")),
    "clinical.note_entered_in_error.v1": _Fact(
        EntryType.NOTE, "entered_in_error", "itemId", said("Note marked as entered in error")
    ),
    "clinical.medication_started.v1": _Fact(
        EntryType.MEDICATION, "started", "itemId", said("Medication started")
    ),
    "clinical.medication_stopped.v1": _Fact(
        EntryType.MEDICATION, "stopped", "itemId", said("Medication stopped")
    ),
    "clinical.medication_completed.v1": _Fact(
        EntryType.MEDICATION, "completed", "itemId", said("Medication completed")
    ),
    "clinical.task_created.v1": _Fact(EntryType.TASK, "created", "itemId", task_created),
    "clinical.task_changed.v1": _Fact(EntryType.TASK, "changed", "itemId", task_changed),
    "clinical.checklist_started.v1": _Fact(
        EntryType.CHECKLIST, "started", "itemId", checklist("Checklist started")
    ),
    "clinical.checklist_item_checked.v1": _Fact(
        EntryType.CHECKLIST, "item_checked", "itemId", checklist("Checklist item checked")
    ),
    "clinical.checklist_item_unchecked.v1": _Fact(
        EntryType.CHECKLIST, "item_unchecked", "itemId", checklist("Checklist item unchecked")
    ),
    "clinical.checklist_completed.v1": _Fact(
        EntryType.CHECKLIST, "completed", "itemId", said("Checklist completed")
    ),
}

TIMELINE_EVENTS: frozenset[str] = frozenset(_FACTS)
"""The event types the timeline projects (the timeline consumer's subscription)."""


def project(message: EventMessage) -> TimelineEntry | None:
    """The timeline entry an event makes; None for an event not about one patient (or
    one whose payload lacks the ids its type promises)."""
    fact = _FACTS.get(message.event_type)
    if fact is None:
        return None
    payload = message.payload
    patient_id = text_of(payload, "patientId")
    if patient_id is None and message.family == "patients":
        patient_id = message.aggregate_id or None  # the patient is the aggregate
    if patient_id is None:
        return None
    item_id = patient_id if fact.item_field is None else text_of(payload, fact.item_field)
    if item_id is None:
        return None
    attached = _attached_to(message, fact)
    if attached is not None:
        entry_type, item_id = attached
        return TimelineEntry(
            patient_id=patient_id,
            event_id=message.event_id,
            occurred_at=message.occurred_at,
            entry_type=entry_type,
            action=f"file_{fact.action}",
            item_id=item_id,
            actor_id=message.actor_id,
            summary=attachment(payload, str(fact.action)),
        )
    return TimelineEntry(
        patient_id=patient_id,
        event_id=message.event_id,
        occurred_at=message.occurred_at,
        entry_type=fact.entry_type,
        action=fact.action or _action_of(message),
        item_id=item_id,
        actor_id=message.actor_id,
        summary=fact.summary(payload),
        status=status_of(payload),
        version=number_of(payload, "version"),
    )


# The items a file may be attached to (documents' `kind`), by the entry type they make.
_ATTACHABLE = {"note": EntryType.NOTE, "med": EntryType.MEDICATION, "task": EntryType.TASK}
_FILE_ACTIONS = frozenset({"uploaded", "detached", "deleted"})


def _attached_to(message: EventMessage, fact: _Fact) -> tuple[EntryType, str] | None:
    """A file attached to a note, medication or task joins that item's story: the entry
    type and id of the item a file event names (`kind` and `itemId`), else None."""
    if fact.entry_type is not EntryType.DOCUMENT or fact.action not in _FILE_ACTIONS:
        return None
    entry_type = _ATTACHABLE.get(code_of(message.payload, "kind"))
    item_id = text_of(message.payload, "itemId")
    if entry_type is None or item_id is None:
        return None
    return entry_type, item_id


def _action_of(message: EventMessage) -> str:
    """The action of an event whose payload names it (appointments, care assignments)."""
    code = code_of(message.payload, "action")
    if message.event_type == APPOINTMENT_STATUS_CHANGED:
        known = APPOINTMENT_ACTIONS.get(code)
        return "changed" if known is None else known[0]
    care = CARE_ACTIONS.get(code)
    return "care_changed" if care is None else care[0]


def item_path(entry: TimelineEntry) -> str:
    """The relative route of the entry's item, made from its ids alone."""
    patient = f"/patients/{entry.patient_id}"
    match entry.entry_type:
        case EntryType.PATIENT:
            return patient
        case EntryType.APPOINTMENT:
            return f"/appointments/{entry.item_id}"
        case EntryType.DOCUMENT:
            return f"{patient}/documents"
        case EntryType.NOTE:
            return f"{patient}/notes/{entry.item_id}"
        case EntryType.MEDICATION:
            return f"{patient}/medications/{entry.item_id}"
        case EntryType.TASK:
            return f"{patient}/tasks/{entry.item_id}"
        case EntryType.CHECKLIST:
            return f"{patient}/checklists/{entry.item_id}"
