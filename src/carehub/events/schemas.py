"""Wire shapes of the dead-letter API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carehub.events.model import DeadLetter
from carehub.web.schemas import CursorPage, WireModel


class EventRead(WireModel):
    """An event envelope: ids and codes only."""

    id: str
    type: str
    aggregate_id: str
    occurred_at: datetime
    actor_id: str
    data: dict[str, Any]


class DeadLetterRead(WireModel):
    id: str
    consumer: str
    event: EventRead
    attempts: int
    last_error: str
    parked_at: datetime
    replayed_at: datetime | None

    @classmethod
    def of(cls, letter: DeadLetter) -> DeadLetterRead:
        return cls(
            id=letter.letter_id,
            consumer=letter.consumer,
            event=EventRead.model_validate(letter.message.to_json()),
            attempts=letter.attempts,
            last_error=letter.last_error,
            parked_at=letter.parked_at,
            replayed_at=letter.replayed_at,
        )


class DeadLetterPage(CursorPage[DeadLetterRead]):
    """One page of dead letters, newest first."""
