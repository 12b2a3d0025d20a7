"""The backbone's plain data: outbox rows, consumer declarations, retry policy, dead letters."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from carehub.kernel.events import EventMessage


@dataclass(frozen=True)
class OutboxRow:
    """An event in the outbox, with its position (`seq`, commit order per aggregate)."""

    seq: int
    message: EventMessage


@dataclass(frozen=True)
class ConsumerSpec:
    """What a consumer listens to. `name` is stable: it names the consumer group or queue
    and keys the consumer's processed-message records and dead letters."""

    name: str
    event_types: frozenset[str]
    country_id: str | None = None  # only events whose payload has this countryId
    # Only events of countries other than these (a catch-all beside per-country consumers).
    other_countries: frozenset[str] = frozenset()

    def wants(self, message: EventMessage) -> bool:
        if message.event_type not in self.event_types:
            return False
        country = message.payload.get("countryId")
        if self.other_countries and country in self.other_countries:
            return False
        return self.country_id is None or country == self.country_id

    @property
    def families(self) -> frozenset[str]:
        return frozenset(t.split(".", 1)[0] for t in self.event_types)


U = TypeVar("U")


@dataclass(frozen=True)
class Consumer(Generic[U]):
    """A reaction to events: `apply` makes its effect inside the unit of work it is given,
    which also records the event as processed, so the effect happens once. The record is
    written after the effect, so effects must not fail on a repeat (upserts, or inserts
    that ignore a conflict): the repeat is then rolled back as a whole."""

    spec: ConsumerSpec
    apply: Callable[[EventMessage, U], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter (between half and all of each step); after
    `max_attempts` failed attempts a message is parked."""

    max_attempts: int = 5
    base_seconds: float = 0.5
    cap_seconds: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        return self.rng.uniform(ceiling / 2, ceiling)

    def gives_up(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


@dataclass(frozen=True)
class DeadLetter:
    """A message a consumer gave up on, with its last error (type and message, no data)."""

    letter_id: str
    consumer: str
    message: EventMessage
    attempts: int
    last_error: str
    parked_at: datetime
    replayed_at: datetime | None = None


def describe_error(exc: BaseException, limit: int = 500) -> str:
    """An error as stored with a dead letter: its type and first line, shortened."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    described = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return described[:limit]
