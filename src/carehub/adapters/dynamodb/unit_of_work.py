"""The DynamoDB unit of work: the aggregate's items, its outbox events, its audit entries
and its idempotency claim commit in one `TransactWriteItems`, or, when that is one item,
in one conditional write, which costs half as much (docs/dynamodb.md)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Self

import structlog

from carehub.adapters.dynamodb.analytics import DynamoAnalyticsRepository
from carehub.adapters.dynamodb.appointments import DynamoAppointmentRepository
from carehub.adapters.dynamodb.audit import DynamoAuditLog, append_writes
from carehub.adapters.dynamodb.clinical import (
    DynamoAttachableItems,
    DynamoItems,
    DynamoTasks,
    DynamoTemplates,
    DynamoUserDirectory,
)
from carehub.adapters.dynamodb.countries import DynamoCountryDirectory, DynamoCountryRepository
from carehub.adapters.dynamodb.doctors import DynamoDoctorRepository
from carehub.adapters.dynamodb.files import DynamoFileRepository
from carehub.adapters.dynamodb.holds import DynamoHoldRepository
from carehub.adapters.dynamodb.idempotency import claim_write
from carehub.adapters.dynamodb.items import key_of, utc_text
from carehub.adapters.dynamodb.otps import DynamoOtpRepository
from carehub.adapters.dynamodb.outbox import outbox_item
from carehub.adapters.dynamodb.patient_directory import DynamoPatientDirectory
from carehub.adapters.dynamodb.patient_search_index import DynamoPatientSearchIndex
from carehub.adapters.dynamodb.patient_versions import DynamoPatientVersions
from carehub.adapters.dynamodb.patients import DynamoPatientRepository
from carehub.adapters.dynamodb.refresh_sessions import DynamoSessionRepository
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.slot_claims import DynamoSlotClaims
from carehub.adapters.dynamodb.stamps import DynamoStampRepository
from carehub.adapters.dynamodb.table_client import CancellationCodes, DynamoDbFailed, DynamoTable
from carehub.adapters.dynamodb.timeline import DynamoTimeline
from carehub.adapters.dynamodb.users import DynamoUserRepository
from carehub.adapters.dynamodb.waitlist import DynamoWaitlistRepository
from carehub.adapters.dynamodb.webhooks import DynamoWebhookRepository
from carehub.adapters.dynamodb.writes import (
    MAX_TRANSACTION_ITEMS,
    NEW_ITEM,
    TransactionTooLarge,
    Write,
    WriteBuffer,
)
from carehub.adapters.queued_changes import QueuedChanges
from carehub.audit.shards import AuditShards
from carehub.clinical.checklists import Checklist
from carehub.clinical.medications import Medication
from carehub.clinical.notes import Note
from carehub.kernel.audit import AccessRecord
from carehub.kernel.clock import Clock
from carehub.kernel.secret_box import SecretBox
from carehub.kernel.unit_of_work import AfterCommit

if TYPE_CHECKING:
    from carehub.analytics.ports import AnalyticsUnitOfWork
    from carehub.audit.ports import AuditUnitOfWork
    from carehub.clinical.ports import ClinicalUnitOfWork
    from carehub.countries.ports import CountriesUnitOfWork
    from carehub.documents.ports import DocumentsUnitOfWork
    from carehub.events.ports import ConsumerUnitOfWork
    from carehub.identity.ports import IdentityUnitOfWork
    from carehub.patients.ports import PatientSearchUnitOfWork, PatientsUnitOfWork
    from carehub.practitioners.ports import PractitionersUnitOfWork
    from carehub.scheduling.ports import SchedulingUnitOfWork
    from carehub.timeline.ports import TimelineUnitOfWork
    from carehub.webhooks.ports import WebhooksUnitOfWork

log = structlog.get_logger("carehub.dynamodb")

# How often a commit is sent again when only its chaining lost a race, or DynamoDB
# cancelled it for a concurrent transaction on one of its items.
_ATTEMPTS = 8


class DynamoUnitOfWork(QueuedChanges):
    """One transaction on carehub's table (see `carehub.kernel.unit_of_work.UnitOfWork`).

    Reads go to the table (consistent `GetItem`s, `Query`s) and see this unit's own writes
    by key; writes wait in a buffer, each with its condition and the error that condition
    failing means, until `commit()` sends them in one transaction.
    """

    def __init__(
        self,
        table: DynamoTable,
        clock: Clock,
        events_committed: Callable[[], None] | None = None,
        *,
        secrets: SecretBox,
        audit_shards: AuditShards | None = None,
        after_commit: AfterCommit | None = None,
        trace_context: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self._after_commit = after_commit
        self._table = table
        # The current trace context, stored with each event (None: tracing is off).
        self._trace_context = trace_context
        # Where this process appends audit entries (shared by its units of work).
        self._audit_shards = audit_shards or AuditShards(1)
        self._secrets = secrets
        self._clock = clock
        self._events_committed = events_committed
        self._session: DynamoSession | None = None

    async def __aenter__(self) -> Self:
        self._open_once()
        self._session = DynamoSession(self._table)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        session.writes.clear()  # uncommitted writes were never sent: nothing to undo
        session.bulk.clear()
        used = session.capacity
        if used.calls:
            log.debug(
                "dynamodb.capacity",
                read_units=used.read_units,
                write_units=used.write_units,
                calls=used.calls,
            )

    def _live_session(self) -> DynamoSession:
        if self._session is None:
            raise RuntimeError("repositories are used inside `async with`")
        return self._session

    @cached_property
    def countries(self) -> DynamoCountryRepository:
        return DynamoCountryRepository(self._live_session())

    @cached_property
    def country_directory(self) -> DynamoCountryDirectory:
        return DynamoCountryDirectory(self._live_session())

    @cached_property
    def doctors(self) -> DynamoDoctorRepository:
        return DynamoDoctorRepository(self._live_session())

    @cached_property
    def patients(self) -> DynamoPatientRepository:
        return DynamoPatientRepository(self._live_session())

    @cached_property
    def patient_versions(self) -> DynamoPatientVersions:
        return DynamoPatientVersions(self._live_session())

    @cached_property
    def patient_directory(self) -> DynamoPatientDirectory:
        return DynamoPatientDirectory(self._live_session())

    @cached_property
    def search_index(self) -> DynamoPatientSearchIndex:
        return DynamoPatientSearchIndex(self._live_session())

    @cached_property
    def otps(self) -> DynamoOtpRepository:
        return DynamoOtpRepository(self._live_session())

    @cached_property
    def files(self) -> DynamoFileRepository:
        return DynamoFileRepository(self._live_session(), self._clock)

    @cached_property
    def stamps(self) -> DynamoStampRepository:
        return DynamoStampRepository(self._live_session())

    @cached_property
    def appointments(self) -> DynamoAppointmentRepository:
        return DynamoAppointmentRepository(self._live_session())

    @cached_property
    def holds(self) -> DynamoHoldRepository:
        return DynamoHoldRepository(self._live_session())

    @cached_property
    def waitlist(self) -> DynamoWaitlistRepository:
        return DynamoWaitlistRepository(self._live_session())

    @cached_property
    def slot_claims(self) -> DynamoSlotClaims:
        return DynamoSlotClaims(self._live_session())

    @cached_property
    def analytics(self) -> DynamoAnalyticsRepository:
        return DynamoAnalyticsRepository(self._live_session())

    @cached_property
    def timeline(self) -> DynamoTimeline:
        return DynamoTimeline(self._live_session())

    @cached_property
    def webhooks(self) -> DynamoWebhookRepository:
        return DynamoWebhookRepository(self._live_session(), self._secrets)

    @cached_property
    def notes(self) -> DynamoItems[Note]:
        return DynamoItems(self._live_session(), Note)

    @cached_property
    def medications(self) -> DynamoItems[Medication]:
        return DynamoItems(self._live_session(), Medication)

    @cached_property
    def tasks(self) -> DynamoTasks:
        return DynamoTasks(self._live_session())

    @cached_property
    def checklists(self) -> DynamoItems[Checklist]:
        return DynamoItems(self._live_session(), Checklist)

    @cached_property
    def checklist_templates(self) -> DynamoTemplates:
        return DynamoTemplates(self._live_session())

    @cached_property
    def user_directory(self) -> DynamoUserDirectory:
        return DynamoUserDirectory(self.users)

    @cached_property
    def attachable_items(self) -> DynamoAttachableItems:
        return DynamoAttachableItems(self._live_session())

    async def mark_processed(self, consumer: str, event_id: str) -> bool:
        """A `PROCESSED#` item in this unit's transaction; False when the consumer applied
        the event before (a racing copy of the same message fails at commit instead)."""
        session = self._live_session()
        key = (f"PROCESSED#{consumer}#{event_id}", "MARK")
        if await session.get(key) is not None:
            return False
        item = {"PK": key[0], "SK": key[1], "kind": "processed", "at": utc_text(self._clock.now())}
        session.writes.put(item, condition=NEW_ITEM)
        return True

    def has_changes(self) -> bool:
        session = self._session
        written = session is not None and bool(session.writes.writes() or session.bulk.steps())
        return written or bool(self._events) or bool(self._audit)

    @cached_property
    def users(self) -> DynamoUserRepository:
        return DynamoUserRepository(self._live_session())

    @cached_property
    def sessions(self) -> DynamoSessionRepository:
        return DynamoSessionRepository(self._live_session(), self.users)

    @cached_property
    def audit_log(self) -> DynamoAuditLog:
        return DynamoAuditLog(self._live_session(), configured=self._audit_shards.count)

    async def commit(self) -> None:
        session = self._session
        if session is None:
            raise RuntimeError("commit() outside `async with`")
        records, self._audit = self._audit, []
        await self._send_bulk(session)
        fixed = [*session.writes.writes(), *self._event_writes(), *self._claim_writes()]
        for attempt in range(_ATTEMPTS):
            if records:
                sent = await self._send_with_audit(session, fixed, records)
            else:
                sent = await self._send(session, fixed)
            if sent:
                break
            await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
        else:
            raise DynamoDbFailed("DynamoDB kept cancelling the transaction; try again")
        session.writes.clear()
        committed_events, self._events, self._claim = self._events, [], None
        if committed_events and self._events_committed is not None:
            self._events_committed()  # the relay can move them now
        if committed_events and self._after_commit is not None:
            await self._after_commit(committed_events)

    async def _send_bulk(self, session: DynamoSession) -> None:
        """The unit's idempotent bulk writes, before its transaction (see `BulkWrites`)."""
        for puts, deletes in session.bulk.steps():
            await self._table.put_many(puts, session.capacity)
            await self._table.delete_many([key_of(*key) for key in deletes], session.capacity)
        session.bulk.clear()

    async def _send(self, session: DynamoSession, writes: list[Write]) -> bool:
        """Send the unit's writes; False when DynamoDB cancelled them for a concurrent
        transaction on one of their items (worth sending again)."""
        codes = await self._write(session, writes)
        if codes is not None:
            _check_cancellation(writes, codes)
        return codes is None

    async def _send_with_audit(
        self, session: DynamoSession, fixed: list[Write], records: list[AccessRecord]
    ) -> bool:
        """Send the unit's writes with its entries appended to a shard of this process's;
        False when the append lost a race (another writer took its seq: the next attempt
        goes to another shard) or DynamoDB cancelled for a concurrent transaction."""
        async with self._audit_shards.turn() as turn:
            entries, chained = await append_writes(session, records, turn)
            codes = await self._write(session, [*fixed, *chained])
            if codes is None:
                turn.appended(entries)
                return True
            turn.not_written()  # a cancelled call stores nothing
            if "ConditionalCheckFailed" in codes[len(fixed) :]:
                turn.lost_race()
            _check_cancellation(fixed, codes)
            return False

    async def _write(self, session: DynamoSession, writes: list[Write]) -> CancellationCodes | None:
        """One call with every write: None once committed, else why each was cancelled."""
        if not writes:
            return None
        if len(writes) > MAX_TRANSACTION_ITEMS:
            raise TransactionTooLarge(len(writes))
        if len(writes) == 1 and writes[0].action != "ConditionCheck":
            # A plain conditional write costs half a one-item transaction (1 WCU a KB).
            request = writes[0].request(self._table.name)
            committed = await self._table.write(writes[0].action, request, session.capacity)
            return None if committed else ["ConditionalCheckFailed"]
        actions = [write.transact_item(self._table.name) for write in writes]
        return await self._table.transact(actions, session.capacity)

    def _event_writes(self) -> list[Write]:
        buffer = WriteBuffer()
        trace = self._trace_context() if self._trace_context else {}
        for event in self._events:
            message = event.to_message()
            message.trace_context.update(trace)
            buffer.put(outbox_item(message), condition=NEW_ITEM)
        return buffer.writes()

    def _claim_writes(self) -> list[Write]:
        if self._claim is None:
            return []
        resource_id = self._events[0].aggregate_id if self._events else None
        return [claim_write(self._claim, resource_id, self._clock.now())]


def _check_cancellation(fixed: list[Write], codes: list[str]) -> None:
    """Raise the error of the first of the unit's own writes whose condition failed, or a
    failure when sending again cannot help."""
    for write, code in zip(fixed, codes, strict=False):
        if code == "ConditionalCheckFailed":
            raise write.refusal()
    if not _retryable(codes, len(fixed)):
        raise DynamoDbFailed(f"DynamoDB cancelled the transaction: {_summary(codes)}")


def _retryable(codes: list[str], own: int) -> bool:
    """Sending again can succeed: only the audit chaining lost (it chains again), or
    DynamoDB cancelled for another transaction on the same items (it passes)."""
    failed = [(index, code) for index, code in enumerate(codes) if code not in ("None", "")]
    return bool(failed) and all(
        code == "TransactionConflict" or (code == "ConditionalCheckFailed" and index >= own)
        for index, code in failed
    )


def _summary(codes: list[str]) -> str:
    return ", ".join(sorted({code for code in codes if code not in ("None", "")})) or "unknown"


if TYPE_CHECKING:

    def _serves_the_built_domains(
        uow: DynamoUnitOfWork,
    ) -> tuple[
        CountriesUnitOfWork,
        PractitionersUnitOfWork,
        PatientsUnitOfWork,
        DocumentsUnitOfWork,
        SchedulingUnitOfWork,
        IdentityUnitOfWork,
        AuditUnitOfWork,
        ClinicalUnitOfWork,
        PatientSearchUnitOfWork,
    ]:
        """mypy checks here that the unit of work meets the ports built on DynamoDB so far."""
        return uow, uow, uow, uow, uow, uow, uow, uow, uow

    def _serves_the_event_backbone(
        uow: DynamoUnitOfWork,
    ) -> tuple[ConsumerUnitOfWork, AnalyticsUnitOfWork, WebhooksUnitOfWork, TimelineUnitOfWork]:
        """mypy checks here that consumers, analytics, webhooks and the timeline can run on
        DynamoDB."""
        return uow, uow, uow, uow
