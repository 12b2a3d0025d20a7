"""Who sees which items: the one gate of the patient's record, for every kind. An item out
of reach, or of another patient, looks exactly like one that does not exist, and every
refusal is audited."""

from __future__ import annotations

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.clinical.errors import ItemNotFound, NoteNotFound, PatientNotFound
from carehub.clinical.notes import NoteContent
from carehub.clinical.service.notes import NoteDraft, NoteService
from carehub.clinical.service.tasks import TaskDraft, TaskService
from carehub.kernel.actor import Actor
from tests.support.memory_world import ADMIN, ANA, LUIS, audited, last_audit
from tests.unit.clinical.conftest import DOCTOR, OTHER_DOCTOR, STAFF_CO, STAFF_PE


async def note_of(notes: NoteService, patient_id: str = "ana") -> str:
    draft = NoteDraft(NoteContent(text="Seen today."))
    return (await notes.write(actor=ADMIN, patient_id=patient_id, draft=draft)).id


@pytest.mark.parametrize("actor", [ANA, DOCTOR, STAFF_PE, ADMIN], ids=lambda a: a.id)
async def test_the_patient_their_doctor_their_countrys_staff_and_admins_read_it(
    notes: NoteService, actor: Actor
) -> None:
    note_id = await note_of(notes)
    assert (await notes.get(actor=actor, patient_id="ana", item_id=note_id)).id == note_id
    page = await notes.list_for_patient(actor=actor, patient_id="ana", statuses=None)
    assert [n.id for n in page.items] == [note_id]
    assert len(await notes.history(actor=actor, patient_id="ana", item_id=note_id)) == 1


@pytest.mark.parametrize("actor", [LUIS, OTHER_DOCTOR, STAFF_CO], ids=lambda a: a.id)
async def test_anyone_else_is_told_the_patient_does_not_exist_and_it_is_audited(
    notes: NoteService, tasks: TaskService, store: MemoryStore, actor: Actor
) -> None:
    note_id = await note_of(notes)
    reads = {
        "note.read": notes.get(actor=actor, patient_id="ana", item_id=note_id),
        "note.list": notes.list_for_patient(actor=actor, patient_id="ana", statuses=None),
        "note.history": notes.history(actor=actor, patient_id="ana", item_id=note_id),
        "task.create": tasks.create(actor=actor, patient_id="ana", draft=TaskDraft(title="x")),
    }
    for action, run in reads.items():
        with pytest.raises(PatientNotFound) as refused:
            await run
        assert str(refused.value) == "Patient ana does not exist"
        assert last_audit(store) == (actor.id, action, "denied", ("ana",))


async def test_a_missing_patient_is_audited_without_naming_it(
    notes: NoteService, store: MemoryStore
) -> None:
    with pytest.raises(PatientNotFound):
        await notes.list_for_patient(actor=ADMIN, patient_id="nobody", statuses=None)
    assert last_audit(store) == ("admin-1", "note.list", "not_found", ())


async def test_an_item_of_another_patient_looks_missing(
    notes: NoteService, store: MemoryStore
) -> None:
    luis_note = await note_of(notes, "luis")
    for item_id in (luis_note, "no-such-note"):
        with pytest.raises(NoteNotFound) as refused:
            await notes.get(actor=STAFF_PE, patient_id="ana", item_id=item_id)
        assert isinstance(refused.value, ItemNotFound)
        assert last_audit(store) == ("staff-pe", "note.read", "not_found", ())
    reads = [a for a in audited(store) if a[1] == "note.read"]
    assert len(reads) == 2


async def test_a_task_id_is_not_a_note(notes: NoteService, tasks: TaskService) -> None:
    task = await tasks.create(actor=ADMIN, patient_id="ana", draft=TaskDraft(title="Call"))
    with pytest.raises(NoteNotFound):
        await notes.get(actor=ADMIN, patient_id="ana", item_id=task.id)
