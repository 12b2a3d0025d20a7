"""The unit-of-work base: one transaction for an aggregate, its outbox events and audit rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Protocol, Self

from carehub.kernel.audit import AccessRecord
from carehub.kernel.events import DomainEvent
from carehub.kernel.idempotency import IdempotencyClaim

# Run with a unit of work's events once they are committed, before the use case returns
# (the caches drop what those events changed, so a client reads its own writes).
AfterCommit = Callable[[Sequence[DomainEvent]], Awaitable[None]]


class UnitOfWork(Protocol):
    """A transaction boundary.

    `async with uow:` opens it; leaving the block without `commit()` rolls everything back.
    `commit()` writes the changed rows, every recorded event (to the outbox), every audit
    record and the idempotency claim atomically. A unit of work that only read data still
    commits its audit records, and `commit()` returns only once they are durable.
    Reads made before the first write are not isolated from concurrent writers: use cases
    rely on conditional writes and unique constraints, never on a read before a write.
    """

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    def record(self, event: DomainEvent) -> None:
        """Queue a domain event; it reaches the outbox only if the unit of work commits."""
        ...

    def claim_idempotency(self, claim: IdempotencyClaim) -> None:
        """Store this request's idempotency key with the changes, so a replay finds it."""
        ...

    def audit(self, record: AccessRecord) -> None:
        """Queue an audit record; it is chained and stored by `commit()`."""
        ...


class JoinedUnitOfWork:
    """A unit of work that is part of an outer one, so that several use cases commit (or
    roll back) as one: what a FHIR transaction Bundle needs.

    Use cases open it and commit it as usual; its `commit()` only marks their part done,
    and everything they queued (rows, events, audit records) is the outer unit's, written
    when the outer commits, or never. Everything else is the outer unit's own.
    """

    def __init__(self, outer: UnitOfWork) -> None:
        self._outer = outer

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Leaves the outcome to the outer unit: an error goes on to it and undoes all."""

    async def commit(self) -> None:
        """Nothing yet: the outer unit commits everything at once."""

    def __getattr__(self, name: str) -> object:
        return getattr(self._outer, name)
