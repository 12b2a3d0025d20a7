"""Clinical notes: free text or SOAP sections, amended but never silently edited."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from carehub.clinical.errors import TransitionRefused
from carehub.clinical.model import Revision, required_reason
from carehub.kernel.errors import FieldError, Invalid

MAX_TEXT = 20_000  # characters of a note's text, or of each SOAP section


class NoteStatus(StrEnum):
    CURRENT = "current"
    ENTERED_IN_ERROR = "entered_in_error"  # hidden from default lists, never deleted


@dataclass(frozen=True)
class Soap:
    """Subjective, objective, assessment, plan; a section may be empty, not all of them."""

    subjective: str = ""
    objective: str = ""
    assessment: str = ""
    plan: str = ""


@dataclass(frozen=True)
class NoteContent:
    """Exactly one of `text` (free text) or `soap` (sections)."""

    text: str | None = None
    soap: Soap | None = None

    def __post_init__(self) -> None:
        if (self.text is None) == (self.soap is None):
            raise Invalid(
                "A note has either text or SOAP sections",
                errors=[FieldError("text", "send exactly one of text and soap")],
            )
        sections = [self.text] if self.soap is None else list(vars(self.soap).values())
        if not any(s.strip() for s in sections if s is not None):
            raise Invalid("A note cannot be empty", errors=[FieldError("text", "is empty")])
        if any(s is not None and len(s) > MAX_TEXT for s in sections):
            raise Invalid(
                f"A note's text is at most {MAX_TEXT} characters",
                errors=[FieldError("text", f"at most {MAX_TEXT} characters")],
            )

    @property
    def format(self) -> str:
        return "text" if self.soap is None else "soap"


@dataclass(frozen=True)
class Note:
    id: str
    patient_id: str
    author_id: str
    content: NoteContent
    created_at: datetime
    appointment_id: str | None = None
    status: NoteStatus = NoteStatus.CURRENT
    version: int = 1
    updated_at: datetime | None = None
    error_reason: str | None = None

    def amended(self, content: NoteContent, at: datetime) -> Note:
        """The note with its new text; the caller keeps the revision with who and why."""
        self._must_be_current("amended")
        return replace(self, content=content, version=self.version + 1, updated_at=at)

    def entered_in_error(self, reason: str, at: datetime) -> Note:
        self._must_be_current("marked entered in error")
        return replace(
            self,
            status=NoteStatus.ENTERED_IN_ERROR,
            error_reason=required_reason(reason),
            version=self.version + 1,
            updated_at=at,
        )

    def _must_be_current(self, change: str) -> None:
        if self.status is not NoteStatus.CURRENT:
            raise TransitionRefused("note", self.status.value.replace("_", " "), change)


NoteRevision = Revision[Note]
