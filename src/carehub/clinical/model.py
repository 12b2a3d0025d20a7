"""What every item of the clinical record shares (pure Python).

A note, a medication, a task and a checklist are each an *item*: it belongs to one patient,
carries a `version` that every change raises by one, and is never overwritten silently.
Each change is kept as a `Revision`: the item as it stood after the change, who made it,
when, what it was and (where the rules ask for one) why. An item's history is its revisions,
oldest first; the first is its creation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from carehub.kernel.errors import FieldError, Invalid

MAX_REASON = 500


class ItemKind(StrEnum):
    """The kinds of item; also the `kind` of a file attached to one (`med` for
    medications, as seed 004's uploads name it)."""

    NOTE = "note"
    MEDICATION = "med"
    TASK = "task"
    CHECKLIST = "checklist"


class RecordItem(Protocol):
    """What the store and the access gate read of every item."""

    @property
    def id(self) -> str: ...

    @property
    def patient_id(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def status(self) -> StrEnum: ...

    @property
    def created_at(self) -> datetime: ...


T = TypeVar("T", bound=RecordItem, covariant=True)


@dataclass(frozen=True)
class Revision(Generic[T]):
    """One change of an item: `item` as it stood after it (at `item.version`)."""

    at: datetime
    actor_id: str
    action: str  # a stable code: written, amended, started, stopped, checked, ...
    item: T
    reason: str | None = None

    @property
    def version(self) -> int:
        return self.item.version


def required_reason(reason: str | None, *, field: str = "reason") -> str:
    """A reason the rules ask for: present, not blank, at most MAX_REASON characters."""
    text = (reason or "").strip()
    if not text:
        raise Invalid("A reason is required", errors=[FieldError(field, "is required")])
    if len(text) > MAX_REASON:
        raise Invalid(
            f"The reason is longer than {MAX_REASON} characters",
            errors=[FieldError(field, f"at most {MAX_REASON} characters")],
        )
    return text
