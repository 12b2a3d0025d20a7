"""NoteService over the memory adapters: notes are amended, never silently edited, and an
entered-in-error note is hidden from default lists but kept with its whole history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.clinical.errors import (
    ChangedMeanwhile,
    NotTheAuthor,
    PatientInactive,
    ReadOnlyRecord,
    TransitionRefused,
)
from carehub.clinical.notes import NoteContent, NoteStatus, Soap
from carehub.clinical.service.notes import SHOWN_BY_DEFAULT, NoteDraft, NoteService
from carehub.kernel.errors import Invalid
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN, ANA, NOW, event_types, last_audit
from tests.unit.clinical.conftest import DOCTOR, STAFF_PE

FIRST = NoteContent(text="Chest pain since Monday.")


async def write(notes: NoteService, text: str = "Chest pain since Monday.") -> str:
    note = await notes.write(
        actor=DOCTOR, patient_id="ana", draft=NoteDraft(NoteContent(text=text))
    )
    return note.id


async def test_a_note_is_written_by_its_author_with_an_event_and_an_audit_entry(
    notes: NoteService, store: MemoryStore
) -> None:
    soap = NoteContent(soap=Soap(subjective="Cough", plan="Rest"))
    note = await notes.write(
        actor=DOCTOR, patient_id="ana", draft=NoteDraft(soap, appointment_id="appt-1")
    )
    assert (note.author_id, note.version, note.status) == ("user-dr", 1, NoteStatus.CURRENT)
    assert note.content.format == "soap" and note.appointment_id == "appt-1"
    assert event_types(store) == ["clinical.note_written.v1"]
    assert last_audit(store) == ("user-dr", "note.create", "allowed", ("ana",))
    assert await notes.get(actor=ANA, patient_id="ana", item_id=note.id) == note


async def test_amendments_keep_every_earlier_text_with_who_when_and_why(
    notes: NoteService, clock: StillClock, store: MemoryStore
) -> None:
    note_id = await write(notes)
    clock.advance(timedelta(minutes=5))
    second = await notes.amend(
        actor=DOCTOR,
        patient_id="ana",
        note_id=note_id,
        content=NoteContent(text="Chest pain since Sunday."),
        reason="Wrong day",
        if_version=1,
    )
    clock.advance(timedelta(minutes=5))
    third = await notes.amend(
        actor=ADMIN,
        patient_id="ana",
        note_id=note_id,
        content=NoteContent(soap=Soap(assessment="Angina?")),
        reason="Restructured as SOAP",
        if_version=2,
    )
    assert (second.version, third.version) == (2, 3)
    history = await notes.history(actor=ANA, patient_id="ana", item_id=note_id)
    assert [(r.version, r.actor_id, r.action, r.reason) for r in history] == [
        (1, "user-dr", "written", None),
        (2, "user-dr", "amended", "Wrong day"),
        (3, "admin-1", "amended", "Restructured as SOAP"),
    ]
    assert [r.at for r in history] == [NOW, NOW + timedelta(minutes=5), NOW + timedelta(minutes=10)]
    assert [r.item.content for r in history] == [FIRST, second.content, third.content]
    assert third.author_id == "user-dr"  # amending never changes who wrote it
    assert event_types(store)[-2:] == ["clinical.note_amended.v1"] * 2
    assert last_audit(store) == ("user-ana", "note.history", "allowed", ("ana",))


async def test_only_the_author_or_an_admin_amends_and_the_refusal_is_audited(
    notes: NoteService, store: MemoryStore
) -> None:
    note_id = await write(notes)
    new = NoteContent(text="Edited")
    with pytest.raises(NotTheAuthor):
        await notes.amend(
            actor=STAFF_PE, patient_id="ana", note_id=note_id, content=new, reason="x", if_version=1
        )
    assert last_audit(store) == ("staff-pe", "note.amend", "denied", ("ana",))
    with pytest.raises(ReadOnlyRecord):
        await notes.amend(
            actor=ANA, patient_id="ana", note_id=note_id, content=new, reason="x", if_version=1
        )
    assert last_audit(store) == ("user-ana", "note.amend", "denied", ("ana",))
    stored = await notes.get(actor=ADMIN, patient_id="ana", item_id=note_id)
    assert (stored.version, stored.content) == (1, FIRST)


async def test_a_stale_version_or_a_missing_reason_changes_nothing(
    notes: NoteService, store: MemoryStore
) -> None:
    note_id = await write(notes)
    new = NoteContent(text="Edited")
    with pytest.raises(ChangedMeanwhile):
        await notes.amend(
            actor=DOCTOR, patient_id="ana", note_id=note_id, content=new, reason="x", if_version=7
        )
    assert last_audit(store) == ("user-dr", "note.amend", "failed", ("ana",))
    with pytest.raises(Invalid):
        await notes.amend(
            actor=DOCTOR, patient_id="ana", note_id=note_id, content=new, reason=" ", if_version=1
        )
    history = await notes.history(actor=DOCTOR, patient_id="ana", item_id=note_id)
    assert len(history) == 1


async def test_entered_in_error_hides_the_note_from_default_lists_but_keeps_it(
    notes: NoteService, store: MemoryStore
) -> None:
    kept = await write(notes, "Right patient")
    wrong = await write(notes, "Wrong patient")
    marked = await notes.enter_in_error(
        actor=DOCTOR, patient_id="ana", note_id=wrong, reason="Wrong chart", if_version=1
    )
    assert (marked.status, marked.error_reason) == (NoteStatus.ENTERED_IN_ERROR, "Wrong chart")
    shown = await notes.list_for_patient(actor=ANA, patient_id="ana", statuses=SHOWN_BY_DEFAULT)
    assert [n.id for n in shown.items] == [kept]
    everything = await notes.list_for_patient(actor=ANA, patient_id="ana", statuses=None)
    assert [n.id for n in everything.items] == [wrong, kept]  # newest first
    assert await notes.get(actor=ANA, patient_id="ana", item_id=wrong) == marked
    assert "clinical.note_entered_in_error.v1" in event_types(store)
    with pytest.raises(TransitionRefused):
        await notes.amend(
            actor=DOCTOR,
            patient_id="ana",
            note_id=wrong,
            content=NoteContent(text="Again"),
            reason="x",
            if_version=2,
        )
    assert last_audit(store) == ("user-dr", "note.amend", "failed", ("ana",))


async def test_an_inactive_patients_record_takes_no_new_notes(
    notes: NoteService, store: MemoryStore
) -> None:
    with pytest.raises(PatientInactive):
        await notes.write(actor=ADMIN, patient_id="gone", draft=NoteDraft(FIRST))
    assert last_audit(store) == ("admin-1", "note.create", "failed", ("gone",))
    assert not store.clinical_items
