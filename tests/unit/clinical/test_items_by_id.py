"""An item found by its id alone (a FHIR read names no patient): the same gate and audit
entries as a read under its patient, and an item out of reach looks missing without
naming its patient."""

from __future__ import annotations

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.clinical.errors import NoteNotFound, TaskNotFound
from carehub.clinical.notes import NoteContent
from carehub.clinical.service.notes import NoteDraft, NoteService
from carehub.clinical.service.tasks import TaskDraft, TaskService
from tests.support.memory_world import ADMIN, ANA, LUIS, last_audit
from tests.unit.clinical.conftest import DOCTOR, OTHER_DOCTOR, STAFF_CO, STAFF_PE


async def test_an_item_is_read_by_its_id_by_whoever_may_see_its_patient(
    notes: NoteService, store: MemoryStore
) -> None:
    note = await notes.write(
        actor=DOCTOR, patient_id="ana", draft=NoteDraft(NoteContent(text="Cough"))
    )
    for actor in (DOCTOR, STAFF_PE, ADMIN, ANA):
        assert await notes.get_by_id(actor=actor, item_id=note.id) == note
        assert last_audit(store) == (actor.id, "note.read", "allowed", ("ana",))


async def test_an_item_out_of_reach_is_missing_and_the_refusal_audited(
    notes: NoteService, store: MemoryStore
) -> None:
    note = await notes.write(
        actor=DOCTOR, patient_id="ana", draft=NoteDraft(NoteContent(text="Cough"))
    )
    for stranger in (OTHER_DOCTOR, STAFF_CO, LUIS):
        with pytest.raises(NoteNotFound) as refused:
            await notes.get_by_id(actor=stranger, item_id=note.id)
        assert "ana" not in str(refused.value)
        assert last_audit(store) == (stranger.id, "note.read", "denied", ("ana",))
    with pytest.raises(NoteNotFound):
        await notes.get_by_id(actor=ADMIN, item_id="nothing")
    assert last_audit(store) == ("admin-1", "note.read", "not_found", ())


async def test_an_items_history_is_read_by_its_id(
    notes: NoteService, tasks: TaskService, store: MemoryStore
) -> None:
    note = await notes.write(
        actor=DOCTOR, patient_id="ana", draft=NoteDraft(NoteContent(text="Cough"))
    )
    await notes.amend(
        actor=DOCTOR,
        patient_id="ana",
        note_id=note.id,
        content=NoteContent(text="Cough, fever"),
        reason="Forgot the fever",
        if_version=1,
    )
    revisions = await notes.history_by_id(actor=ANA, item_id=note.id)
    assert [(r.version, r.action, r.reason) for r in revisions] == [
        (1, "written", None),
        (2, "amended", "Forgot the fever"),
    ]
    assert last_audit(store) == ("user-ana", "note.history", "allowed", ("ana",))
    task = await tasks.create(actor=STAFF_PE, patient_id="ana", draft=TaskDraft(title="Dressing"))
    with pytest.raises(TaskNotFound):
        await tasks.history_by_id(actor=LUIS, item_id=task.id)
    assert last_audit(store) == ("user-luis", "task.history", "denied", ("ana",))
