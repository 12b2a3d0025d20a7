"""What every store's unit of work keeps until `commit()`: the domain events, the audit
records and the idempotency claim (`carehub.kernel.unit_of_work.UnitOfWork`). How they are
written is each store's own; queueing them is the same everywhere."""

from __future__ import annotations

from carehub.kernel.audit import AccessRecord
from carehub.kernel.events import DomainEvent
from carehub.kernel.idempotency import IdempotencyClaim


class QueuedChanges:
    """The queue a unit of work fills and its commit empties."""

    def __init__(self) -> None:
        self._events: list[DomainEvent] = []
        self._audit: list[AccessRecord] = []
        self._claim: IdempotencyClaim | None = None
        self._opened = False

    def _open_once(self) -> None:
        """A unit of work is entered once: its queue and its repositories are its own."""
        if self._opened:
            raise RuntimeError("a unit of work is opened once")
        self._opened = True

    def record(self, event: DomainEvent) -> None:
        """Queue a domain event; it reaches the outbox only if the unit commits."""
        self._events.append(event)

    def claim_idempotency(self, claim: IdempotencyClaim) -> None:
        """Store this request's idempotency key with the changes."""
        self._claim = claim

    def audit(self, record: AccessRecord) -> None:
        """Queue an audit record; the commit chains and stores it."""
        self._audit.append(record)

    def _forget_queued(self) -> None:
        self._events = []
        self._audit = []
        self._claim = None
