"""The SQL unit of work: the aggregate's rows, its outbox events, its audit entries and its
idempotency claim commit in one transaction."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import orjson

from carehub.adapters.sql import audit
from carehub.adapters.sql.database import Database, Session, UniqueViolation, insert_into
from carehub.adapters.sql.idempotency import claim_key
from carehub.adapters.sql.identity import (
    SqlOtpRepository,
    SqlSessionRepository,
    SqlUserRepository,
)
from carehub.adapters.sql.patients import SqlPatientRepository
from carehub.adapters.sql.tables import outbox
from carehub.kernel.audit import AccessRecord
from carehub.kernel.clock import Clock
from carehub.kernel.events import DomainEvent
from carehub.kernel.idempotency import IdempotencyClaim, IdempotencyKeyRaced

_INSERT_OUTBOX = insert_into(outbox)


class SqlUnitOfWork:
    """One transaction on a SQL database (see `carehub.kernel.unit_of_work.UnitOfWork`)."""

    patients: SqlPatientRepository
    users: SqlUserRepository
    sessions: SqlSessionRepository
    otps: SqlOtpRepository
    audit_log: audit.SqlAuditLog

    def __init__(self, db: Database, clock: Clock, audit_writer: audit.AuditWriter) -> None:
        self._db = db
        self._clock = clock
        self._audit_writer = audit_writer
        self._session: Session | None = None
        self._events: list[DomainEvent] = []
        self._audit: list[AccessRecord] = []
        self._claim: IdempotencyClaim | None = None

    async def __aenter__(self) -> Self:
        session = self._session = self._db.session()
        self._events = []
        self._audit = []
        self._claim = None
        self.patients = SqlPatientRepository(session, self._db.dialect.name)
        self.users = SqlUserRepository(session)
        self.sessions = SqlSessionRepository(session)
        self.otps = SqlOtpRepository(session)
        self.audit_log = audit.SqlAuditLog(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    def claim_idempotency(self, claim: IdempotencyClaim) -> None:
        self._claim = claim

    def audit(self, record: AccessRecord) -> None:
        self._audit.append(record)

    async def commit(self) -> None:
        session = self._session
        if session is None:
            raise RuntimeError("commit() outside `async with`")
        records, self._audit = self._audit, []
        if records and not (session.in_transaction or self._events or self._claim):
            # Nothing else to write: let concurrent readers share one commit. The connection
            # goes back to the pool first, or a full pool would wait on itself.
            self._session = None
            await session.close()
            await self._audit_writer.write(records)
            return
        await audit.append(session, records)
        if self._events:
            await session.execute_many(_INSERT_OUTBOX, [_outbox_row(e) for e in self._events])
        if self._claim is not None:
            resource_id = self._events[0].aggregate_id if self._events else None
            try:
                await claim_key(session, self._claim, resource_id, self._clock.now())
            except UniqueViolation as exc:
                raise IdempotencyKeyRaced(
                    "A request with this Idempotency-Key is in progress"
                ) from exc
        await session.commit()
        self._events = []
        self._claim = None


def _outbox_row(event: DomainEvent) -> dict[str, object]:
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "aggregate_id": event.aggregate_id,
        "actor_id": event.actor_id,
        "occurred_at": event.occurred_at,
        "payload": orjson.dumps(event.payload()).decode(),
        "published_at": None,
    }
