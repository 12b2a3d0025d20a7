"""Reading a patient's timeline (through the access gate, audited), and rebuilding the
projection from the journal of the events it was fed."""

from __future__ import annotations

from collections.abc import Callable, Set
from datetime import datetime

from carehub.kernel.access_gate import AccessGate
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.errors import FieldError, Forbidden, Invalid
from carehub.kernel.pagination import Page, check_limit
from carehub.timeline.errors import PatientNotVisible
from carehub.timeline.model import EntryType, TimelineEntry, project
from carehub.timeline.ports import TimelineUnitOfWork

READ = "timeline.read"
REBUILD = "timeline.rebuild"
# Journal events replayed per unit of work: on DynamoDB a unit is one transaction of at
# most 100 items, and a batch's entries are all it writes.
REBUILD_BATCH = 50

# Called after each batch with the events replayed so far and how many were expected (the
# entries the projection held before; None when it held none).
Progress = Callable[[int, int | None], None]


class TimelineService:
    def __init__(self, uow_factory: Callable[[], TimelineUnitOfWork], clock: Clock) -> None:
        self._uow = uow_factory
        self._gate = AccessGate(clock, "timeline")

    async def page(
        self,
        *,
        actor: Actor,
        patient_id: str,
        types: Set[EntryType] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[TimelineEntry]:
        """A page of the patient's timeline, newest first, for whoever may see the
        patient (audited, refusals too)."""
        check_limit(limit)
        if start is not None and end is not None and end < start:
            raise Invalid("to is before from", errors=[FieldError("to", "must not be before from")])
        async with self._uow() as uow:
            await self._gate.patient(
                uow, uow.patient_directory, actor, READ, patient_id, PatientNotVisible
            )
            page = await uow.timeline.page(
                patient_id, types=types, start=start, end=end, cursor=cursor, limit=limit
            )
            uow.audit(self._gate.record(actor, READ, patient_id, None))
            await uow.commit()
        return page

    async def rebuild(
        self, *, actor: Actor, patient_id: str | None, progress: Progress | None = None
    ) -> int:
        """Empty the projection (one patient's, or everyone's) and replay the journal
        through `project`, a batch per unit of work; returns the entries rebuilt.
        Operators only. An event consumed meanwhile is added by the consumer and by the
        replay alike: adding an entry twice keeps one."""
        if not actor.unrestricted:
            raise Forbidden("Only operators rebuild the timeline")
        async with self._uow() as uow:
            cleared = await uow.timeline.clear(patient_id)
            uow.audit(self._gate.record(actor, REBUILD, patient_id, None))
            await uow.commit()
        expected = cleared or None
        replayed = rebuilt = 0
        cursor: str | None = None
        while True:
            async with self._uow() as uow:
                batch = await uow.timeline.journaled(patient_id, cursor=cursor, limit=REBUILD_BATCH)
                entries = [entry for m in batch.items if (entry := project(m)) is not None]
                for entry in entries:
                    await uow.timeline.add(entry)
                if entries:
                    await uow.commit()
            replayed += len(batch.items)
            rebuilt += len(entries)
            if progress is not None:
                progress(replayed, expected)
            if batch.next_cursor is None:
                return rebuilt
            cursor = batch.next_cursor
