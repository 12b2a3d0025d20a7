"""Where the timeline lives: its entries, and the journal of the events it was fed, which a
rebuild replays."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from typing import Protocol

from carehub.kernel.events import EventMessage
from carehub.kernel.pagination import Page
from carehub.kernel.patient_directory import PatientDirectory
from carehub.kernel.unit_of_work import UnitOfWork
from carehub.timeline.model import EntryType, TimelineEntry


class TimelineRepository(Protocol):
    """A patient's entries newest first, and the journal of consumed events oldest first.
    Writes join the unit's transaction, except `clear` where the store's transactions are
    bounded (see there)."""

    async def journal(self, message: EventMessage, patient_id: str) -> None:
        """Keep an event the timeline consumed (ids and codes only) under its patient; an
        event id kept before stays kept once (a store may write the same event again)."""
        ...

    async def add(self, entry: TimelineEntry) -> None:
        """Add an entry; with the same (patient, event id) as one there, it stays one entry
        (the same event always makes the same entry, so a store may write it again)."""
        ...

    async def page(
        self,
        patient_id: str,
        *,
        types: Set[EntryType] | None,
        start: datetime | None,
        end: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Page[TimelineEntry]:
        """A page of the patient's entries, newest first by (occurred_at, event_id), of
        the given types only (None: every type) and from `start` to `end` (both included,
        None: open). A store that filters types after reading may stop before `limit`
        after reading a bounded number of entries: the page then comes back short, with a
        cursor past what it read."""
        ...

    async def clear(self, patient_id: str | None) -> int:
        """Delete the patient's entries (everyone's when None), the journal kept; returns
        how many. A maintenance step before a rebuild: where one transaction cannot hold
        them all (DynamoDB) the entries are deleted as it runs, not at commit, so call it
        in a unit of its own."""
        ...

    async def journaled(
        self, patient_id: str | None, *, cursor: str | None, limit: int
    ) -> Page[EventMessage]:
        """A page of the journal of one patient (everyone's when None), oldest first by
        (occurred_at, event_id); across patients, a store may list them in its own order
        (DynamoDB scans), each event once."""
        ...


class TimelineUnitOfWork(UnitOfWork, Protocol):
    @property
    def timeline(self) -> TimelineRepository: ...

    @property
    def patient_directory(self) -> PatientDirectory: ...
