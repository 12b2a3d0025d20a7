"""Notes use cases: write one, amend it (its author or an admin, with a reason; every
earlier text stays in its history), mark it entered in error (hidden from default lists,
never deleted)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from carehub.clinical import access
from carehub.clinical.errors import NoteNotFound
from carehub.clinical.events import NoteAmended, NoteEnteredInError, NoteWritten
from carehub.clinical.model import ItemKind
from carehub.clinical.notes import Note, NoteContent, NoteStatus
from carehub.clinical.ports import ClinicalUnitOfWork
from carehub.clinical.service.record import Change, Concept, ItemRecord
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.ids import new_id

NOTES = Concept(ItemKind.NOTE, "note", lambda uow: uow.notes, NoteNotFound)
# What a list shows unless asked for more: entered-in-error notes are hidden.
SHOWN_BY_DEFAULT = frozenset({NoteStatus.CURRENT.value})


@dataclass(frozen=True)
class NoteDraft:
    content: NoteContent
    appointment_id: str | None = None


class NoteService(ItemRecord[Note]):
    """Writing, amending and reading clinical notes."""

    def __init__(self, uow_factory: Callable[[], ClinicalUnitOfWork], clock: Clock) -> None:
        super().__init__(uow_factory, clock, NOTES)

    async def write(
        self,
        *,
        actor: Actor,
        patient_id: str,
        draft: NoteDraft,
        idempotency: IdempotencyClaim | None = None,
    ) -> Note:
        """Write a note in the patient's record; the actor is its author."""

        async def build(uow: ClinicalUnitOfWork, now: datetime) -> Note:
            return Note(
                id=new_id(),
                patient_id=patient_id,
                author_id=actor.id,
                content=draft.content,
                created_at=now,
                appointment_id=draft.appointment_id,
            )

        return await self._create(
            actor=actor,
            patient_id=patient_id,
            build=build,
            events=lambda _, note, now: [NoteWritten.of(note, actor, now)],
            idempotency=idempotency,
        )

    async def amend(
        self,
        *,
        actor: Actor,
        patient_id: str,
        note_id: str,
        content: NoteContent,
        reason: str,
        if_version: int,
    ) -> Note:
        """Replace the note's text; the earlier one stays in its history with who, when
        and why."""

        async def amended(uow: ClinicalUnitOfWork, note: Note, now: datetime) -> Note:
            return note.amended(content, now)

        change = Change(
            "amend",
            "amended",
            amended,
            lambda _, note, now: [NoteAmended.of(note, actor, now)],
            reason=reason,
            check=access.check_author,
        )
        return await self._change(
            change, actor=actor, patient_id=patient_id, item_id=note_id, if_version=if_version
        )

    async def enter_in_error(
        self, *, actor: Actor, patient_id: str, note_id: str, reason: str, if_version: int
    ) -> Note:
        """Mark the note as written in error: hidden from default lists, kept for ever."""

        async def marked(uow: ClinicalUnitOfWork, note: Note, now: datetime) -> Note:
            return note.entered_in_error(reason, now)

        change = Change(
            "entered_in_error",
            "entered_in_error",
            marked,
            lambda _, note, now: [NoteEnteredInError.of(note, actor, now)],
            reason=reason,
            check=access.check_author,
        )
        return await self._change(
            change, actor=actor, patient_id=patient_id, item_id=note_id, if_version=if_version
        )
