"""`Patient/{id}/$everything`: a patient's whole record, page by page.

The record is read in sections (the patient with their conditions and allergies, then
appointments, medications, notes, tasks, checklists and files), each through its own use
case with that use case's gate and audit entry, each paged with its own cursor. A page is
filled from as many sections as it takes; the cursor names the section and the position in
it, so a record of any size is read a page at a time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from carehub.clinical.service.checklists import ChecklistService
from carehub.clinical.service.medications import MedicationService
from carehub.clinical.service.notes import NoteService
from carehub.clinical.service.tasks import TaskService
from carehub.documents.service import DocumentService
from carehub.fhir.resources.appointment import appointment_resource
from carehub.fhir.resources.condition import allergy_resources, condition_resources
from carehub.fhir.resources.document import document_reference_resource
from carehub.fhir.resources.medication import medication_statement_resource
from carehub.fhir.resources.note import note_resource
from carehub.fhir.resources.observation import checklist_observations
from carehub.fhir.resources.patient import patient_resource
from carehub.fhir.resources.task import task_resource
from carehub.kernel.actor import Actor
from carehub.kernel.pagination import cursor_position, decode_cursor, encode_cursor
from carehub.patients.service import PatientService
from carehub.scheduling.ports import AppointmentFilter
from carehub.scheduling.service import AppointmentService

Resources = list[dict[str, Any]]
# One section's page: its resources and the section's own cursor of the next (None: done).
Section = Callable[[Actor, str, str | None, int], Awaitable[tuple[Resources, str | None]]]


@dataclass(frozen=True)
class RecordSources:
    """The use cases a patient's record is read through."""

    patients: PatientService
    appointments: AppointmentService
    medications: MedicationService
    notes: NoteService
    tasks: TaskService
    checklists: ChecklistService
    documents: DocumentService

    def sections(self) -> tuple[Section, ...]:
        return (
            self._patient,
            self._appointments,
            self._medications,
            self._notes,
            self._tasks,
            self._checklists,
            self._files,
        )

    async def page(
        self, actor: Actor, patient_id: str, cursor: str | None, count: int
    ) -> tuple[Resources, str | None]:
        """One page of the record and the cursor of the next (None on the last)."""
        index, inner = 0, None
        if cursor is not None:
            index = cursor_position(cursor, "s", int)
            inner = decode_cursor(cursor).get("c")
            if not 0 <= index < len(self.sections()) or not isinstance(inner, str | None):
                index, inner = len(self.sections()), None
        sections = self.sections()
        found: Resources = []
        # Fill the page from as many sections as it takes; stop inside one that has more.
        while index < len(sections) and len(found) < count:
            got, following = await sections[index](actor, patient_id, inner, count - len(found))
            found += got
            if following is not None:
                return found, encode_cursor({"s": index, "c": following})
            index, inner = index + 1, None
        if index < len(sections):
            return found, encode_cursor({"s": index, "c": None})
        return found, None

    async def _patient(
        self, actor: Actor, patient_id: str, _cursor: str | None, _count: int
    ) -> tuple[Resources, str | None]:
        patient = await self.patients.get(actor=actor, patient_id=patient_id)
        found = [patient_resource(patient), *condition_resources(patient)]
        return [*found, *allergy_resources(patient)], None

    async def _appointments(
        self, actor: Actor, patient_id: str, cursor: str | None, count: int
    ) -> tuple[Resources, str | None]:
        page = await self.appointments.search(
            actor=actor,
            criteria=AppointmentFilter(patient_id=patient_id),
            cursor=cursor,
            limit=count,
        )
        return [appointment_resource(a) for a in page.items], page.next_cursor

    async def _medications(
        self, actor: Actor, patient_id: str, cursor: str | None, count: int
    ) -> tuple[Resources, str | None]:
        page = await self.medications.list_for_patient(
            actor=actor, patient_id=patient_id, statuses=None, cursor=cursor, limit=count
        )
        return [medication_statement_resource(m) for m in page.items], page.next_cursor

    async def _notes(
        self, actor: Actor, patient_id: str, cursor: str | None, count: int
    ) -> tuple[Resources, str | None]:
        page = await self.notes.list_for_patient(
            actor=actor, patient_id=patient_id, statuses=None, cursor=cursor, limit=count
        )
        return [note_resource(n) for n in page.items], page.next_cursor

    async def _tasks(
        self, actor: Actor, patient_id: str, cursor: str | None, count: int
    ) -> tuple[Resources, str | None]:
        page = await self.tasks.list_for_patient(
            actor=actor, patient_id=patient_id, statuses=None, cursor=cursor, limit=count
        )
        return [task_resource(t) for t in page.items], page.next_cursor

    async def _checklists(
        self, actor: Actor, patient_id: str, cursor: str | None, count: int
    ) -> tuple[Resources, str | None]:
        page = await self.checklists.list_for_patient(
            actor=actor, patient_id=patient_id, statuses=None, cursor=cursor, limit=count
        )
        return [o for c in page.items for o in checklist_observations(c)], page.next_cursor

    async def _files(
        self, actor: Actor, patient_id: str, cursor: str | None, count: int
    ) -> tuple[Resources, str | None]:
        listing = await self.documents.list_files(
            actor=actor, patient_id=patient_id, links=True, cursor=cursor, limit=count
        )
        found = [
            document_reference_resource(f, listing.links[f.id])
            for f in listing.page.items
            if f.id in listing.links
        ]
        return found, listing.page.next_cursor
