"""What a process counts for its operators: the port the HTTP middleware, the event backbone
and the audit trail count through, so none of them knows the metrics library.

Every label is a route template, a method, a status, a consumer's name or an outcome:
never an id, a name, contact data or a body (ids would also make a series per record).
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple, Protocol


class Settled(StrEnum):
    """How a consumer settled one delivery."""

    HANDLED = "handled"
    RETRIED = "retried"
    DEAD_LETTERED = "dead_lettered"


class CacheOutcome(StrEnum):
    """Whether the cache answered a read."""

    HIT = "hit"
    MISS = "miss"


class Metrics(Protocol):
    def request_served(self, *, method: str, route: str, status: int, seconds: float) -> None:
        """One HTTP request answered; `route` is its template (`/patients/{patient_id}`)."""
        ...

    def events_published(self, count: int) -> None:
        """The relay handed `count` outbox events to the broker."""
        ...

    def delivery_settled(self, consumer: str, outcome: Settled) -> None: ...

    def audit_written(self, count: int) -> None:
        """`count` audit entries are stored."""
        ...

    def cache_lookup(self, cache: str, outcome: CacheOutcome) -> None:
        """A read asked the cache named `cache` (`patient`, `doctor`, `country`)."""
        ...

    def cache_error(self, cache: str) -> None:
        """The cache could not be reached; the read or invalidation went without it."""
        ...


class NoMetrics:
    """Counts nothing (tests, and whatever is built without metrics)."""

    def request_served(self, *, method: str, route: str, status: int, seconds: float) -> None:
        pass

    def events_published(self, count: int) -> None:
        pass

    def delivery_settled(self, consumer: str, outcome: Settled) -> None:
        pass

    def audit_written(self, count: int) -> None:
        pass

    def cache_lookup(self, cache: str, outcome: CacheOutcome) -> None:
        pass

    def cache_error(self, cache: str) -> None:
        pass


NO_METRICS: Metrics = NoMetrics()


class PoolUse(NamedTuple):
    """A database connection pool's figures at one moment (read when metrics are scraped)."""

    in_use: int
    idle: int
    max_size: int
