"""The domain event base: past-tense facts, ids and codes only (never health data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from carehub.kernel.ids import new_id


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """A fact a use case recorded; written to the outbox in the same transaction."""

    event_type: ClassVar[str]
    aggregate_id: str
    occurred_at: datetime
    actor_id: str
    event_id: str = field(default_factory=new_id)

    def payload(self) -> dict[str, Any]:
        """The event's JSON payload: ids and codes only."""
        return {"aggregateId": self.aggregate_id}
