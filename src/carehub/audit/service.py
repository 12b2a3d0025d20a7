"""Reading and verifying the audit trail. Reading it is itself audited."""

from __future__ import annotations

from collections.abc import Callable

from carehub.audit.errors import AuditForbidden
from carehub.audit.model import AuditEntry, ChainHead
from carehub.audit.ports import AuditFilter, AuditLog, AuditUnitOfWork
from carehub.audit.verification import TrailVerifier, Verification
from carehub.kernel.access_gate import AccessGate
from carehub.kernel.actor import Actor, Role
from carehub.kernel.audit import AccessRecord, Outcome
from carehub.kernel.clock import Clock
from carehub.kernel.errors import NotFound
from carehub.kernel.pagination import Page, check_limit

VERIFY_BATCH = 5000


class AccessLogNotFound(NotFound):
    def __init__(self, patient_id: str) -> None:
        super().__init__(f"Patient {patient_id} not found")


class AuditEntryNotFound(NotFound):
    def __init__(self, shard: int, seq: int) -> None:
        super().__init__(f"The audit trail has no entry {seq} in shard {shard}")


class AuditService:
    def __init__(self, uow_factory: Callable[[], AuditUnitOfWork], clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._gate = AccessGate(clock, "audit")

    async def search(
        self, *, actor: Actor, criteria: AuditFilter, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        """The whole trail, filtered; admins only."""
        check_limit(limit)
        async with self._uow() as uow:
            allowed = actor.unrestricted
            page = None
            if allowed:
                page = await uow.audit_log.search(criteria, cursor=cursor, limit=limit)
            uow.audit(self._record(actor, "audit.search", None, allowed))
            await uow.commit()
        if page is None:
            raise AuditForbidden("Only admins can read the audit trail")
        return page

    async def entry(self, *, actor: Actor, shard: int, seq: int) -> AuditEntry:
        """One entry of the trail by its place in it (admins)."""
        async with self._uow() as uow:
            allowed = actor.unrestricted
            found = None
            if allowed:
                scanned = await uow.audit_log.scan(shard=shard, after_seq=seq - 1, limit=1)
                found = next((e for e in scanned if e.seq == seq), None)
            outcome = Outcome.DENIED
            if allowed:
                outcome = Outcome.ALLOWED if found is not None else Outcome.NOT_FOUND
            uow.audit(self._gate.record(actor, "audit.read", None, f"{shard}.{seq}", outcome))
            await uow.commit()
        if not allowed:
            raise AuditForbidden("Only admins can read the audit trail")
        if found is None:
            raise AuditEntryNotFound(shard, seq)
        return found

    async def access_log(
        self, *, actor: Actor, patient_id: str, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        """Who accessed one patient's data: for that patient and for admins.

        Anyone else gets not-found, as for the record itself.
        """
        check_limit(limit)
        allowed = actor.unrestricted or (
            actor.role is Role.PATIENT and actor.patient_id == patient_id
        )
        async with self._uow() as uow:
            page = None
            if allowed:
                criteria = AuditFilter(patient_id=patient_id)
                page = await uow.audit_log.search(criteria, cursor=cursor, limit=limit)
            uow.audit(self._record(actor, "patient.access_log", patient_id, allowed))
            await uow.commit()
        if page is None:
            raise AccessLogNotFound(patient_id)
        return page

    async def verify(self) -> Verification:
        """Check every shard's chain, in batches, and every cross-link between shards;
        names the first bad entry of each shard."""
        trail = TrailVerifier()
        async with self._uow() as uow:
            log = uow.audit_log
            heads = await log.stored_heads()
            shards = sorted({*await log.shards(), *heads})
            while shards:  # then the shards only links name: none of their entries is left
                for shard in shards:
                    await _verify_shard(log, trail, shard, heads.get(shard))
                shards = trail.unstarted()
            for shard, seq in trail.lookups():
                found = await log.scan(shard=shard, after_seq=seq - 1, limit=1)
                trail.found(shard, seq, found[0] if found and found[0].seq == seq else None)
        return trail.result()

    def _record(
        self, actor: Actor, action: str, patient_id: str | None, allowed: bool
    ) -> AccessRecord:
        # A refused look-up checks no record, so it cannot tell whether the patient exists:
        # it names none.
        outcome = Outcome.ALLOWED if allowed else Outcome.DENIED
        return self._gate.record(actor, action, patient_id, patient_id, outcome, known=allowed)


async def _verify_shard(
    log: AuditLog, trail: TrailVerifier, shard: int, stored: ChainHead | None
) -> None:
    trail.start(shard)
    after = 0
    while batch := await log.scan(shard=shard, after_seq=after, limit=VERIFY_BATCH):
        if not all(trail.feed(shard, entry) for entry in batch):
            return
        after = batch[-1].seq
    trail.finish(shard, stored)
