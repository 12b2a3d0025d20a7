"""Domain events: past-tense facts, ids and codes only (never names, contact data or notes).

A use case records `DomainEvent`s in its unit of work; the commit writes them to the outbox
with the change. What travels from the outbox through a broker to consumers is an
`EventMessage`: the envelope (id, type, ordering key, time, actor) and the JSON payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from carehub.kernel.ids import new_id


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """A fact a use case recorded; written to the outbox in the same transaction.

    Each subclass names its versioned type (`family.fact.vN`) and returns its payload as a
    TypedDict, from which the event catalogue is generated.
    """

    event_type: ClassVar[str]
    aggregate_id: str
    occurred_at: datetime
    actor_id: str
    event_id: str = field(default_factory=new_id)

    def payload(self) -> Mapping[str, Any]:
        """The event's JSON payload: ids and codes only."""
        return {"aggregateId": self.aggregate_id}

    def to_message(self) -> EventMessage:
        return EventMessage(
            event_id=self.event_id,
            event_type=self.event_type,
            aggregate_id=self.aggregate_id,
            occurred_at=self.occurred_at,
            actor_id=self.actor_id,
            payload=dict(self.payload()),
        )


def catalogue_of(*events: type[DomainEvent]) -> dict[str, type[DomainEvent]]:
    """The given event classes by their type name, sorted; a name declared twice is refused."""
    by_type: dict[str, type[DomainEvent]] = {}
    for event in events:
        if event.event_type in by_type:
            raise TypeError(f"event type {event.event_type} is declared twice")
        by_type[event.event_type] = event
    return dict(sorted(by_type.items()))


@dataclass(frozen=True)
class EventMessage:
    """An event as it travels: through the outbox, a broker and on to consumers."""

    event_id: str
    event_type: str
    aggregate_id: str  # the ordering key: events of one aggregate keep their order
    occurred_at: datetime
    actor_id: str
    payload: dict[str, Any]
    # The W3C trace context of the work that wrote it (`traceparent`, `tracestate`; empty
    # when tracing is off): it goes beside the wire form (message attributes, stream
    # fields, a webhook's headers), never inside it.
    trace_context: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def family(self) -> str:
        """The domain that emitted it (`patients` of `patients.patient_registered.v1`)."""
        return self.event_type.split(".", 1)[0]

    def to_json(self) -> dict[str, Any]:
        """The wire form (brokers, webhooks): camelCase, ISO 8601 time."""
        return {
            "id": self.event_id,
            "type": self.event_type,
            "aggregateId": self.aggregate_id,
            "occurredAt": self.occurred_at.isoformat(),
            "actorId": self.actor_id,
            "data": self.payload,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> EventMessage:
        return cls(
            event_id=str(body["id"]),
            event_type=str(body["type"]),
            aggregate_id=str(body["aggregateId"]),
            occurred_at=datetime.fromisoformat(str(body["occurredAt"])),
            actor_id=str(body["actorId"]),
            payload=dict(body["data"]),
        )
