"""Clinical items for the renderer tests: each with its optional fields set, and bare."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from carehub.clinical.checklists import Checklist
from carehub.clinical.medications import CodeSystem, Medication, MedicationCode, Route
from carehub.clinical.model import Revision
from carehub.clinical.notes import Note, NoteContent, Soap
from carehub.clinical.service.medications import Started
from carehub.clinical.tasks import Priority, Task
from carehub.clinical.templates import SURGICAL_SAFETY
from tests.unit.web.renderer_cases import NOW

LATER = NOW + timedelta(minutes=5)


def note(*, full: bool) -> Note:
    if not full:
        return Note("n-1", "pt-1", "user-1", NoteContent(text="Seen."), NOW)
    soap = Soap(subjective="Cough", objective="T 37.9", assessment="URTI", plan="Fluids")
    written = Note("n-1", "pt-1", "user-1", NoteContent(soap=soap), NOW, appointment_id="a-1")
    return written.entered_in_error("Wrong chart", LATER)


def medication(*, full: bool) -> Medication:
    if not full:
        return Medication("m-1", "pt-1", "Paracetamol", "dr-1", NOW.date(), NOW)
    started = Medication(
        "m-1",
        "pt-1",
        "Metformin 500 mg",
        "dr-1",
        NOW.date(),
        NOW,
        code=MedicationCode(CodeSystem.RXNORM, "860975"),
        dose=Decimal("0.5"),
        dose_unit="g",
        route=Route.ORAL,
        frequency="twice a day",
        end=NOW.date() + timedelta(days=30),
    )
    return started.stopped("Nausea", LATER)


def started(*, full: bool) -> Started:
    return Started(medication(full=full), ["m-0"] if full else [])


def task(*, full: bool) -> Task:
    if not full:
        return Task("t-1", "pt-1", "Call back", "user-1", NOW)
    return Task(
        "t-1",
        "pt-1",
        "Change dressing",
        "user-1",
        NOW,
        details="Left leg",
        assignee_id="user-2",
        due_at=LATER,
        priority=Priority.URGENT,
    ).changed(LATER, assignee_id="user-3")


def checklist(*, full: bool) -> Checklist:
    started = Checklist.started(
        SURGICAL_SAFETY, checklist_id="c-1", patient_id="pt-1", by="user-1", at=NOW
    )
    if not full:
        return started
    items = [item.id for section in SURGICAL_SAFETY.sections for item in section.items]
    done = started.checked(items[0], by="user-1", at=NOW).unchecked(
        items[0], by="user-2", at=LATER, reason="Too early"
    )
    for item_id in items:
        done = done.checked(item_id, by="user-1", at=LATER)
    return done


def revisions(item: Note, *, full: bool) -> list[Revision[Note]]:
    first = Revision(NOW, "user-1", "written", replace(item, version=1))
    if not full:
        return [first]
    return [first, Revision(LATER, "user-1", "entered_in_error", item, "Wrong chart")]
