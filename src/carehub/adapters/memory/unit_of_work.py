"""An in-memory unit of work: changes vanish unless committed, like a real transaction."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

from carehub.adapters.memory.audit import MemoryAuditLog
from carehub.adapters.memory.clinical import (
    MemoryAttachableItems,
    MemoryItems,
    MemoryTasks,
    MemoryTemplates,
    MemoryUserDirectory,
)
from carehub.adapters.memory.documents import MemoryFiles, MemoryStamps
from carehub.adapters.memory.identity import MemoryOtps, MemorySessions, MemoryUsers
from carehub.adapters.memory.patient_versions import MemoryPatientVersions
from carehub.adapters.memory.patients import (
    MemoryCountryDirectory,
    MemoryPatientDirectory,
    MemoryPatientRepository,
)
from carehub.adapters.memory.scheduling import (
    MemoryAppointments,
    MemoryCountries,
    MemoryDoctors,
    MemoryHolds,
    MemorySlotClaims,
    MemoryWaitlist,
)
from carehub.adapters.memory.search import MemorySearchIndex
from carehub.adapters.memory.store import IdempotencyEntry, MemoryStore
from carehub.adapters.memory.timeline import MemoryTimeline
from carehub.adapters.queued_changes import QueuedChanges
from carehub.audit.model import chain, empty_chain
from carehub.audit.shards import AuditShards
from carehub.clinical.checklists import Checklist
from carehub.clinical.medications import Medication
from carehub.clinical.notes import Note
from carehub.kernel.clock import Clock
from carehub.kernel.idempotency import (
    REPLAY_WINDOW,
    IdempotencyKeyRaced,
    StoredOutcome,
)

if TYPE_CHECKING:
    from carehub.audit.ports import AuditUnitOfWork
    from carehub.clinical.ports import ClinicalUnitOfWork
    from carehub.documents.ports import DocumentsUnitOfWork
    from carehub.identity.ports import IdentityUnitOfWork
    from carehub.patients.ports import PatientSearchUnitOfWork, PatientsUnitOfWork
    from carehub.scheduling.ports import SchedulingUnitOfWork
    from carehub.timeline.ports import TimelineUnitOfWork


class MemoryUnitOfWork(QueuedChanges):
    """Every domain's unit of work over one `MemoryStore`, as `SqlUnitOfWork` is over one
    database."""

    def __init__(
        self, store: MemoryStore, clock: Clock, *, audit_shards: AuditShards | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self._clock = clock
        # Another writer on the same store (another process, as a test sees it), or the
        # store's own.
        self._audit_shards = audit_shards or store.audit_shards
        self.patients = MemoryPatientRepository(store)
        self.patient_versions = MemoryPatientVersions(store)
        self.patient_directory = MemoryPatientDirectory(store)
        self.country_directory = MemoryCountryDirectory(store)
        self.users = MemoryUsers(store)
        self.sessions = MemorySessions(store)
        self.otps = MemoryOtps(store)
        self.audit_log = MemoryAuditLog(store)
        self.countries = MemoryCountries(store)
        self.doctors = MemoryDoctors(store)
        self.appointments = MemoryAppointments(store)
        self.holds = MemoryHolds(store)
        self.waitlist = MemoryWaitlist(store)
        self.slot_claims = MemorySlotClaims(store)
        self.files = MemoryFiles(store)
        self.stamps = MemoryStamps(store)
        self.notes = MemoryItems(store, Note)
        self.medications = MemoryItems(store, Medication)
        self.tasks = MemoryTasks(store)
        self.checklists = MemoryItems(store, Checklist)
        self.checklist_templates = MemoryTemplates(store)
        self.user_directory = MemoryUserDirectory(store)
        self.attachable_items = MemoryAttachableItems(store)
        self.timeline = MemoryTimeline(store)
        self.search_index = MemorySearchIndex(store)
        self._snapshot: MemoryStore | None = None
        self._commits_seen = 0
        self.committed = False

    async def __aenter__(self) -> Self:
        self._snapshot = self.store.snapshot()
        self._commits_seen = self.store.commits
        self._forget_queued()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._snapshot is None:
            return
        last_commit = self.store.last_commit
        if self.store.commits != self._commits_seen and last_commit is not None:
            # Going back to where this unit began would undo what others committed since;
            # their last commit is the state to return to. (Units writing at the same time
            # are not isolated from each other, as SQL's are: a fake needs no more.)
            self.store.restore(last_commit.snapshot())
        else:
            self.store.restore(self._snapshot)
        self._snapshot = None

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
        if self._audit:
            await self._append_audit()
        self._events = []
        self._claim = None
        self._snapshot = self.store.snapshot()
        self.store.commits += 1
        self.store.last_commit = self.store.snapshot()
        self._commits_seen = self.store.commits
        self.committed = True

    async def _append_audit(self) -> None:
        # The store is the one truth here, so no append ever loses a race: the shards'
        # turns only choose the shard and the links, as they do for the real stores.
        async with self._audit_shards.turn() as turn:
            heads = self.store.audit_heads
            head = heads.get(turn.shard) or empty_chain(turn.shard)
            entries = chain(self._audit, head, turn.links)
            self.store.audit.extend(entries)
            heads[turn.shard] = entries[-1].head
            turn.appended(entries)
        self._audit = []


if TYPE_CHECKING:

    def _serves_every_domain(
        uow: MemoryUnitOfWork,
    ) -> tuple[
        PatientsUnitOfWork,
        SchedulingUnitOfWork,
        DocumentsUnitOfWork,
        IdentityUnitOfWork,
        AuditUnitOfWork,
        ClinicalUnitOfWork,
        TimelineUnitOfWork,
        PatientSearchUnitOfWork,
    ]:
        """mypy checks here that the memory unit of work meets every domain's port."""
        return uow, uow, uow, uow, uow, uow, uow, uow


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
