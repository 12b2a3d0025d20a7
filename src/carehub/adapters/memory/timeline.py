"""The timeline and its journal in memory (`carehub.timeline.ports`)."""

from __future__ import annotations

from collections.abc import Callable, Set
from datetime import datetime
from typing import TypeVar

from carehub.adapters.memory.store import MemoryStore
from carehub.kernel.events import EventMessage
from carehub.kernel.pagination import Page
from carehub.timeline.model import EntryType, Position, TimelineEntry

T = TypeVar("T")


class MemoryTimeline:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def journal(self, message: EventMessage, patient_id: str) -> None:
        self._store.timeline_journal.setdefault(message.event_id, (patient_id, message))

    async def add(self, entry: TimelineEntry) -> None:
        self._store.timeline_entries.setdefault((entry.patient_id, entry.event_id), entry)

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
        before = None if cursor is None else Position.from_cursor(cursor)
        found = sorted(
            (
                entry
                for (patient, _), entry in self._store.timeline_entries.items()
                if patient == patient_id
                and (types is None or entry.entry_type in types)
                and (start is None or entry.occurred_at >= start)
                and (end is None or entry.occurred_at <= end)
                and (before is None or Position.of(entry) < before)
            ),
            key=Position.of,
            reverse=True,
        )
        return _page(found, limit, Position.of)

    async def clear(self, patient_id: str | None) -> int:
        entries = self._store.timeline_entries
        gone = [key for key in entries if patient_id is None or key[0] == patient_id]
        for key in gone:
            del entries[key]
        return len(gone)

    async def journaled(
        self, patient_id: str | None, *, cursor: str | None, limit: int
    ) -> Page[EventMessage]:
        after = None if cursor is None else Position.from_cursor(cursor)
        found = sorted(
            (
                message
                for patient, message in self._store.timeline_journal.values()
                if (patient_id is None or patient == patient_id)
                and (after is None or _position(message) > after)
            ),
            key=_position,
        )
        return _page(found, limit, _position)


def _position(message: EventMessage) -> Position:
    return Position(message.occurred_at, message.event_id)


def _page(found: list[T], limit: int, position: Callable[[T], Position]) -> Page[T]:
    items = found[:limit]
    more = len(found) > limit
    return Page(items, position(items[-1]).cursor() if more else None)
