"""Notes bodies: free text or SOAP sections, amendments with a reason, and their mapping."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from carehub.clinical.notes import MAX_TEXT, Note, NoteContent, NoteStatus, Soap
from carehub.clinical.schemas.item_wire import Id, Reason, RevisionFields
from carehub.clinical.service.notes import NoteDraft
from carehub.web.schemas import WireModel
from carehub.web.text import MANY_LINES

Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), MANY_LINES]


class SoapWire(WireModel):
    """Subjective, objective, assessment and plan; a section may be empty, not all four."""

    subjective: Text = ""
    objective: Text = ""
    assessment: Text = ""
    plan: Text = ""


class NoteContentBase(WireModel):
    text: Text | None = Field(None, description="Free text; or send `soap`, not both")
    soap: SoapWire | None = None

    @model_validator(mode="after")
    def _one_form(self) -> NoteContentBase:
        if (self.text is None) == (self.soap is None):
            raise ValueError("send exactly one of text and soap")
        return self

    def content(self) -> NoteContent:
        soap = None if self.soap is None else Soap(**self.soap.model_dump())
        return NoteContent(text=self.text, soap=soap)


class NoteCreate(NoteContentBase):
    appointment_id: Id | None = Field(None, description="The appointment the note is about")

    def to_draft(self) -> NoteDraft:
        return NoteDraft(self.content(), self.appointment_id)


class AmendmentCreate(NoteContentBase):
    """The note's new text (it replaces the whole note) and why it changed."""

    reason: Reason


class EnteredInErrorRequest(WireModel):
    reason: Reason


class NoteRead(WireModel):
    id: str
    patient_id: str
    author_id: str
    format: Literal["text", "soap"]
    text: str | None
    soap: SoapWire | None
    appointment_id: str | None
    status: NoteStatus
    entered_in_error_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime | None


class NotePage(WireModel):
    items: list[NoteRead]
    next_cursor: str | None


class NoteRevisionRead(RevisionFields):
    note: NoteRead


class NoteHistory(WireModel):
    items: list[NoteRevisionRead]


def note_json(note: Note) -> dict[str, Any]:
    soap = note.content.soap
    return {
        "id": note.id,
        "patientId": note.patient_id,
        "authorId": note.author_id,
        "format": note.content.format,
        "text": note.content.text,
        "soap": None if soap is None else vars(soap).copy(),
        "appointmentId": note.appointment_id,
        "status": note.status,
        "enteredInErrorReason": note.error_reason,
        "version": note.version,
        "createdAt": note.created_at,
        "updatedAt": note.updated_at,
    }
