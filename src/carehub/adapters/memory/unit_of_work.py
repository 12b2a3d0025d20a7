"""An in-memory unit of work: changes vanish unless committed, like a real transaction."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from carehub.adapters.memory.patients import MemoryPatientRepository
from carehub.adapters.memory.store import IdempotencyEntry, MemoryStore
from carehub.audit.model import EMPTY_CHAIN, ChainHead, chain
from carehub.kernel.audit import AccessRecord
from carehub.kernel.clock import Clock
from carehub.kernel.events import DomainEvent
from carehub.kernel.idempotency import (
    REPLAY_WINDOW,
    IdempotencyClaim,
    IdempotencyKeyRaced,
    StoredOutcome,
)


class MemoryUnitOfWork:
    def __init__(self, store: MemoryStore, clock: Clock) -> None:
        self.store = store
        self._clock = clock
        self.patients = MemoryPatientRepository(store)
        self._events: list[DomainEvent] = []
        self._audit: list[AccessRecord] = []
        self._claim: IdempotencyClaim | None = None
        self._snapshot: MemoryStore | None = None
        self.committed = False

    async def __aenter__(self) -> Self:
        self._snapshot = self.store.snapshot()
        self._events = []
        self._audit = []
        self._claim = None
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._snapshot is not None:
            self.store.restore(self._snapshot)
            self._snapshot = None

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    def claim_idempotency(self, claim: IdempotencyClaim) -> None:
        self._claim = claim

    def audit(self, record: AccessRecord) -> None:
        self._audit.append(record)

    async def commit(self) -> None:
        now = self._clock.now()
        if self._claim is not None:
            key = (self._claim.scope, self._claim.key)
            existing = self.store.idempotency.get(key)
            if existing is not None and existing.created_at >= now - REPLAY_WINDOW:
                raise IdempotencyKeyRaced("A request with this Idempotency-Key is in progress")
            resource_id = self._events[0].aggregate_id if self._events else None
            outcome = StoredOutcome(self._claim.fingerprint, resource_id, None, None)
            self.store.idempotency[key] = IdempotencyEntry(self._claim, outcome, now)
        self.store.outbox.extend(self._events)
        trail = self.store.audit
        head = ChainHead(trail[-1].seq, trail[-1].hash) if trail else EMPTY_CHAIN
        trail.extend(chain(self._audit, head))
        self._audit = []
        self._events = []
        self._claim = None
        self._snapshot = self.store.snapshot()
        self.committed = True


class MemoryIdempotencyStore:
    def __init__(self, store: MemoryStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def find(self, scope: str, key: str) -> StoredOutcome | None:
        entry = self._store.idempotency.get((scope, key))
        if entry is None or entry.created_at < self._clock.now() - REPLAY_WINDOW:
            return None
        return entry.outcome

    async def record_response(self, scope: str, key: str, status: int, body: bytes) -> None:
        entry = self._store.idempotency.get((scope, key))
        if entry is not None:
            outcome = StoredOutcome(
                entry.outcome.fingerprint, entry.outcome.resource_id, status, body
            )
            self._store.idempotency[(scope, key)] = IdempotencyEntry(
                entry.claim, outcome, entry.created_at
            )
