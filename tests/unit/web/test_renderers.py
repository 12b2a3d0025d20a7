"""Every hand-written `*_json` renderer writes exactly what its `*Read` model documents.

Routes render with these functions and orjson for speed; the Read models are what the
OpenAPI document promises. A field added to one and not the other fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from carehub.clinical.model import Revision
from carehub.clinical.schemas.checklists import (
    ChecklistHistory,
    ChecklistRead,
    ChecklistTemplateRead,
    checklist_json,
    template_json,
)
from carehub.clinical.schemas.item_wire import history_json
from carehub.clinical.schemas.medications import (
    MedicationRead,
    MedicationStartedRead,
    medication_json,
    started_json,
)
from carehub.clinical.schemas.notes import NoteHistory, NoteRead, note_json
from carehub.clinical.schemas.tasks import TaskRead, task_json
from carehub.clinical.templates import DISCHARGE
from carehub.countries.schemas import CountryRead, country_json
from carehub.documents.model import Scope
from carehub.documents.schemas import (
    CategoryRead,
    DeletionRead,
    FileRead,
    PresignUploadRead,
    StampRead,
    category_json,
    deletion_json,
    file_json,
    presigned_json,
    stamp_json,
)
from carehub.patients.schemas import PatientRead, patient_json
from carehub.practitioners.schemas import DoctorRead, doctor_json
from carehub.scheduling.schemas import (
    AppointmentRead,
    DoctorAvailabilityRead,
    HoldRead,
    WaitlistRead,
    appointment_json,
    availability_json,
    hold_json,
    waitlist_json,
)
from carehub.timeline.model import EntryType, TimelineEntry
from carehub.timeline.schemas import TimelineEntryRead, entry_json
from carehub.web.wire import WIRE_JSON
from tests.unit.web import clinical_renderer_cases as clinical
from tests.unit.web import renderer_cases as cases

# What a renderer may leave out: FileRead's extras appear only when a route asks for them.
FILE_EXTRAS = frozenset({"downloadUrl", "stamp", "stamps"})


@dataclass(frozen=True)
class Case:
    read: type[BaseModel]
    render: Callable[[bool], Any]
    may_omit: Callable[[bool], frozenset[str]] = lambda full: frozenset()


CASES = {
    "patient_json": Case(PatientRead, lambda full: patient_json(cases.patient(full=full), NOW_DAY)),
    "country_json": Case(CountryRead, lambda full: country_json(cases.country(full=full))),
    "doctor_json": Case(DoctorRead, lambda full: doctor_json(cases.doctor(full=full))),
    "appointment_json": Case(
        AppointmentRead, lambda full: appointment_json(cases.appointment(full=full))
    ),
    "appointment_json without history": Case(
        AppointmentRead,
        lambda full: appointment_json(cases.appointment(full=full), with_history=False),
    ),
    "hold_json": Case(HoldRead, lambda full: hold_json(cases.hold(full=full))),
    "waitlist_json": Case(
        WaitlistRead, lambda full: waitlist_json(cases.waitlist_entry(full=full))
    ),
    "availability_json": Case(
        DoctorAvailabilityRead, lambda full: availability_json(cases.doctor_slots(full=full))
    ),
    "file_json": Case(
        FileRead,
        lambda full: (
            file_json(
                cases.patient_file(full=True),
                Scope.THUMB,
                link="https://cdn.example/f-1",
                stamps=cases.stamps(),
            )
            if full
            else file_json(cases.patient_file(full=False))
        ),
        lambda full: frozenset() if full else FILE_EXTRAS,
    ),
    "stamp_json": Case(StampRead, lambda full: stamp_json(cases.stamp(full=full))),
    "category_json": Case(
        CategoryRead,
        lambda full: category_json(cases.category_files(full=full)),
        # Category listings carry stamps, never download links.
        lambda full: frozenset({"downloadUrl"}),
    ),
    "deletion_json": Case(DeletionRead, lambda full: deletion_json(cases.deletion(full=full))),
    "presigned_json": Case(
        PresignUploadRead,
        lambda full: presigned_json(
            cases.presigned(full=full),
            url="https://clinic.example/objects/upload",
            max_bytes=25 * 1024 * 1024,
            lifetime=900,
        ),
    ),
    "entry_json": Case(TimelineEntryRead, lambda full: entry_json(_timeline_entry(full=full))),
    "note_json": Case(NoteRead, lambda full: note_json(clinical.note(full=full))),
    "note history": Case(
        NoteHistory,
        lambda full: history_json(
            clinical.revisions(clinical.note(full=full), full=full), "note", note_json
        ),
    ),
    "medication_json": Case(
        MedicationRead, lambda full: medication_json(clinical.medication(full=full))
    ),
    "started_json": Case(
        MedicationStartedRead, lambda full: started_json(clinical.started(full=full))
    ),
    "task_json": Case(TaskRead, lambda full: task_json(clinical.task(full=full))),
    "checklist_json": Case(
        ChecklistRead, lambda full: checklist_json(clinical.checklist(full=full))
    ),
    "checklist history": Case(
        ChecklistHistory,
        lambda full: (
            {"items": []}
            if not full
            else history_json(
                [Revision(clinical.NOW, "u", "checked", clinical.checklist(full=True))],
                "checklist",
                checklist_json,
            )
        ),
    ),
    "template_json": Case(ChecklistTemplateRead, lambda full: template_json(DISCHARGE)),
}
NOW_DAY = cases.NOW.date()


def _timeline_entry(*, full: bool) -> TimelineEntry:
    return TimelineEntry(
        patient_id="pt-1",
        event_id="ev-1",
        occurred_at=cases.NOW,
        entry_type=EntryType.APPOINTMENT,
        action="confirmed",
        item_id="ap-1",
        actor_id="user-1",
        summary="Appointment confirmed",
        status="confirmed" if full else None,
        version=3 if full else None,
    )


@pytest.mark.parametrize("full", [True, False], ids=["optional-set", "optional-unset"])
@pytest.mark.parametrize("name", list(CASES))
def test_renderer_writes_what_its_read_model_documents(name: str, full: bool) -> None:
    case = CASES[name]
    body = case.render(full)

    # Unknown fields are refused at every level: a key the renderer adds fails here.
    model = case.read.model_validate(body)

    # A field the Read model has and the renderer leaves out fails here.
    assert _unset_fields(model) <= case.may_omit(full)
    # The same values, written the same way (times, enums, nesting).
    written = orjson.loads(orjson.dumps(body, option=WIRE_JSON))
    dumped = orjson.loads(model.model_dump_json(by_alias=True, exclude_unset=True))
    assert written == dumped


def _unset_fields(model: BaseModel) -> set[str]:
    """The wire names of the fields left out of `model` and of every model nested in it."""
    fields = type(model).model_fields
    unset = {fields[name].alias or name for name in set(fields) - model.model_fields_set}
    for name in model.model_fields_set:
        for nested in _models_in(getattr(model, name)):
            unset |= _unset_fields(nested)
    return unset


def _models_in(value: object) -> list[BaseModel]:
    if isinstance(value, BaseModel):
        return [value]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _models_in(v)]
    if isinstance(value, dict):
        return [m for v in value.values() for m in _models_in(v)]
    return []
