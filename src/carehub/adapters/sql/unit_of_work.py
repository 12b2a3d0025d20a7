"""The SQL unit of work: the aggregate's rows, its outbox events, its audit entries and its
idempotency claim commit in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Self

import orjson

from carehub.adapters.queued_changes import QueuedChanges
from carehub.adapters.sql import audit
from carehub.adapters.sql.analytics import SqlAnalyticsRepository
from carehub.adapters.sql.appointments import SqlAppointmentRepository
from carehub.adapters.sql.audit_log import SqlAuditLog
from carehub.adapters.sql.clinical import (
    SqlAttachableItems,
    SqlItemRepository,
    SqlTemplateRepository,
    SqlUserDirectory,
)
from carehub.adapters.sql.clinical_tasks import SqlTaskRepository
from carehub.adapters.sql.countries import SqlCountryRepository
from carehub.adapters.sql.country_directory import SqlCountryDirectory
from carehub.adapters.sql.database import Database, Session, UniqueViolation, insert_into
from carehub.adapters.sql.doctors import SqlDoctorRepository
from carehub.adapters.sql.files import SqlFileRepository
from carehub.adapters.sql.holds import SqlHoldRepository, SqlWaitlistRepository
from carehub.adapters.sql.idempotency import claim_key
from carehub.adapters.sql.identity import (
    SqlOtpRepository,
    SqlSessionRepository,
    SqlUserRepository,
)
from carehub.adapters.sql.patient_directory import SqlPatientDirectory
from carehub.adapters.sql.patient_versions import SqlPatientVersions
from carehub.adapters.sql.patients import SqlPatientRepository
from carehub.adapters.sql.search_index import SqlSearchIndex
from carehub.adapters.sql.slot_claims import SqlSlotClaims
from carehub.adapters.sql.stamps import SqlStampRepository
from carehub.adapters.sql.tables import outbox, processed_messages
from carehub.adapters.sql.timeline import SqlTimeline
from carehub.adapters.sql.webhooks import SqlWebhookRepository
from carehub.clinical.checklists import Checklist
from carehub.clinical.medications import Medication
from carehub.clinical.notes import Note
from carehub.kernel.clock import Clock
from carehub.kernel.events import DomainEvent
from carehub.kernel.idempotency import IdempotencyKeyRaced
from carehub.kernel.secret_box import SecretBox
from carehub.kernel.unit_of_work import AfterCommit

if TYPE_CHECKING:
    from carehub.audit.ports import AuditUnitOfWork
    from carehub.clinical.ports import AttachableItems, ClinicalUnitOfWork
    from carehub.documents.ports import DocumentsUnitOfWork
    from carehub.identity.ports import IdentityUnitOfWork
    from carehub.patients.ports import PatientSearchUnitOfWork, PatientsUnitOfWork
    from carehub.scheduling.ports import SchedulingUnitOfWork

_INSERT_OUTBOX = insert_into(outbox)
_MARK_PROCESSED = insert_into(processed_messages, generated=())


class SqlUnitOfWork(QueuedChanges):
    """One transaction on a SQL database (see `carehub.kernel.unit_of_work.UnitOfWork`).

    Open it once (`async with`); repositories are made on first use, since most units
    touch one or two of them.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        audit_writer: audit.AuditWriter,
        events_committed: Callable[[], None] | None = None,
        *,
        secrets: SecretBox,
        after_commit: AfterCommit | None = None,
        trace_context: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self._db = db
        self._after_commit = after_commit
        # The current trace context, stored with each event (None: tracing is off).
        self._trace_context = trace_context
        self._secrets = secrets
        self._clock = clock
        self._audit_writer = audit_writer
        self._events_committed = events_committed
        self._session: Session | None = None

    async def __aenter__(self) -> Self:
        self._open_once()
        self._session = self._db.session()
        return self

    def _live_session(self) -> Session:
        if self._session is None:
            raise RuntimeError("repositories are used inside `async with`")
        return self._session

    @cached_property
    def patients(self) -> SqlPatientRepository:
        return SqlPatientRepository(self._live_session(), self._db.dialect.name)

    @cached_property
    def patient_versions(self) -> SqlPatientVersions:
        return SqlPatientVersions(self._live_session())

    @cached_property
    def users(self) -> SqlUserRepository:
        return SqlUserRepository(self._live_session())

    @cached_property
    def sessions(self) -> SqlSessionRepository:
        return SqlSessionRepository(self._live_session())

    @cached_property
    def otps(self) -> SqlOtpRepository:
        return SqlOtpRepository(self._live_session())

    @cached_property
    def audit_log(self) -> SqlAuditLog:
        return SqlAuditLog(self._live_session())

    @cached_property
    def analytics(self) -> SqlAnalyticsRepository:
        return SqlAnalyticsRepository(self._live_session())

    @cached_property
    def slot_claims(self) -> SqlSlotClaims:
        return SqlSlotClaims(self._live_session())

    @cached_property
    def webhooks(self) -> SqlWebhookRepository:
        return SqlWebhookRepository(self._live_session(), self._secrets)

    @cached_property
    def countries(self) -> SqlCountryRepository:
        return SqlCountryRepository(self._live_session())

    @cached_property
    def doctors(self) -> SqlDoctorRepository:
        return SqlDoctorRepository(self._live_session())

    @cached_property
    def appointments(self) -> SqlAppointmentRepository:
        return SqlAppointmentRepository(self._live_session())

    @cached_property
    def holds(self) -> SqlHoldRepository:
        return SqlHoldRepository(self._live_session())

    @cached_property
    def waitlist(self) -> SqlWaitlistRepository:
        return SqlWaitlistRepository(self._live_session())

    @cached_property
    def country_directory(self) -> SqlCountryDirectory:
        return SqlCountryDirectory(self._live_session())

    @cached_property
    def patient_directory(self) -> SqlPatientDirectory:
        return SqlPatientDirectory(self._live_session())

    @cached_property
    def files(self) -> SqlFileRepository:
        return SqlFileRepository(self._live_session(), self._clock)

    @cached_property
    def stamps(self) -> SqlStampRepository:
        return SqlStampRepository(self._live_session(), self._db.dialect.name)

    @cached_property
    def timeline(self) -> SqlTimeline:
        return SqlTimeline(self._live_session())

    @cached_property
    def search_index(self) -> SqlSearchIndex:
        return SqlSearchIndex(self._live_session(), self._db.dialect.name)

    @cached_property
    def notes(self) -> SqlItemRepository[Note]:
        return SqlItemRepository(self._live_session(), Note)

    @cached_property
    def medications(self) -> SqlItemRepository[Medication]:
        return SqlItemRepository(self._live_session(), Medication)

    @cached_property
    def tasks(self) -> SqlTaskRepository:
        return SqlTaskRepository(self._live_session())

    @cached_property
    def checklists(self) -> SqlItemRepository[Checklist]:
        return SqlItemRepository(self._live_session(), Checklist)

    @cached_property
    def checklist_templates(self) -> SqlTemplateRepository:
        return SqlTemplateRepository(self._live_session())

    @cached_property
    def user_directory(self) -> SqlUserDirectory:
        return SqlUserDirectory(self._live_session())

    @cached_property
    def attachable_items(self) -> SqlAttachableItems:
        return SqlAttachableItems(self._live_session())

    def has_changes(self) -> bool:
        session = self._session
        return bool(self._events) or (session is not None and session.in_transaction)

    async def mark_processed(self, consumer: str, event_id: str) -> bool:
        row = {"consumer": consumer, "event_id": event_id, "processed_at": self._clock.now()}
        try:
            await self._live_session().execute(_MARK_PROCESSED, row)
        except UniqueViolation:
            return False
        return True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def commit(self) -> None:
        session = self._session
        if session is None:
            raise RuntimeError("commit() outside `async with`")
        records, self._audit = self._audit, []
        if records and not (session.in_transaction or self._events or self._claim):
            # Nothing else to write: let concurrent readers share one commit. The writer
            # takes the session, and closes it before a read waits for another's commit,
            # or a full pool would wait on itself.
            self._session = None
            await self._audit_writer.write(records, spare=session)
            return
        # Its head row stays locked to the commit: a shard of this process's that its reads
        # are not using at the moment, so they do not queue behind the change.
        shards = self._audit_writer.shards
        entries = await audit.append(session, records, shards.preferred())
        if self._events:
            headers = self._trace_context() if self._trace_context else None
            trace = orjson.dumps(headers).decode() if headers else None
            rows = [_outbox_row(e, trace) for e in self._events]
            await session.execute_many(_INSERT_OUTBOX, rows)
        if self._claim is not None:
            resource_id = self._events[0].aggregate_id if self._events else None
            try:
                await claim_key(session, self._claim, resource_id, self._clock.now())
            except UniqueViolation as exc:
                raise IdempotencyKeyRaced(
                    "A request with this Idempotency-Key is in progress"
                ) from exc
        await session.commit()
        if entries:
            shards.saw(entries[-1].head, appended=len(entries))
        committed_events, self._events, self._claim = self._events, [], None
        if committed_events and self._events_committed is not None:
            self._events_committed()  # the relay can move them now
        if committed_events and self._after_commit is not None:
            await self._after_commit(committed_events)


if TYPE_CHECKING:

    def _serves_every_domain(
        uow: SqlUnitOfWork,
    ) -> tuple[
        PatientsUnitOfWork,
        SchedulingUnitOfWork,
        DocumentsUnitOfWork,
        IdentityUnitOfWork,
        AuditUnitOfWork,
        ClinicalUnitOfWork,
        AttachableItems,
        PatientSearchUnitOfWork,
    ]:
        """mypy checks here that the SQL unit of work meets every domain's port."""
        return uow, uow, uow, uow, uow, uow, uow.attachable_items, uow


def _outbox_row(event: DomainEvent, trace_context: str | None) -> dict[str, object]:
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "aggregate_id": event.aggregate_id,
        "actor_id": event.actor_id,
        "occurred_at": event.occurred_at,
        "payload": orjson.dumps(event.payload()).decode(),
        "published_at": None,
        "trace_context": trace_context,
    }
