"""The timeline and its journal in SQL (SQLite and PostgreSQL), one code path.

A page is one query on `ix_timeline_entries_patient_id_occurred_at_event_id`, newest first
from the cursor's (occurred_at, event_id) on; a type filter is checked on the rows the
index gives. The journal is read oldest first by its own indexes.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa

from carehub.adapters.sql.database import Row, Session, Statement, as_datetime, as_utc
from carehub.adapters.sql.tables import timeline_entries, timeline_journal
from carehub.kernel.events import EventMessage
from carehub.kernel.pagination import Page
from carehub.timeline.model import EntryType, Position, TimelineEntry

_e, _j = timeline_entries.c, timeline_journal.c

# One placeholder per entry type: a filter of fewer types repeats one of them, so one
# compiled statement serves every filter.
_TYPE_PARAMS = tuple(f"type_{n}" for n in range(len(EntryType)))


# Inserts that leave a row already there as it is (a repeated event).
_ADD = Statement(
    sa.text("""
INSERT INTO timeline_entries (patient_id, event_id, occurred_at, entry_type, data)
VALUES (:patient_id, :event_id, :occurred_at, :entry_type, :data)
ON CONFLICT (patient_id, event_id) DO NOTHING
""").bindparams(*[sa.bindparam(c.name, type_=c.type) for c in timeline_entries.c])
)
_JOURNAL = Statement(
    sa.text("""
INSERT INTO timeline_journal (event_id, patient_id, occurred_at, message)
VALUES (:event_id, :patient_id, :occurred_at, :message)
ON CONFLICT (event_id) DO NOTHING
""").bindparams(*[sa.bindparam(c.name, type_=c.type) for c in timeline_journal.c])
)
_CLEAR_PATIENT = Statement(
    sa.delete(timeline_entries).where(_e.patient_id == sa.bindparam("patient_id"))
)
_CLEAR_ALL = Statement(sa.delete(timeline_entries))


@cache
def _page_statement(typed: bool, start: bool, end: bool, before: bool) -> Statement:
    """Newest first by (occurred_at, event_id) within one patient: the index's order."""
    at = _e.occurred_at
    where: list[sa.ColumnElement[bool]] = [_e.patient_id == sa.bindparam("patient_id")]
    if typed:
        where.append(_e.entry_type.in_([sa.bindparam(name) for name in _TYPE_PARAMS]))
    if start:
        where.append(at >= sa.bindparam("start", type_=at.type))
    if end:
        where.append(at <= sa.bindparam("end", type_=at.type))
    if before:
        position = (sa.bindparam("b_at", type_=at.type), sa.bindparam("b_id", type_=sa.String()))
        where.append(sa.tuple_(at, _e.event_id) < sa.tuple_(*position))
    query = sa.select(timeline_entries).where(*where).order_by(at.desc(), _e.event_id.desc())
    return Statement(query.limit(sa.bindparam("limit")))


@cache
def _journal_statement(one_patient: bool, after: bool) -> Statement:
    """Oldest first by (occurred_at, event_id), one patient's or everyone's."""
    at = _j.occurred_at
    where: list[sa.ColumnElement[bool]] = []
    if one_patient:
        where.append(_j.patient_id == sa.bindparam("patient_id"))
    if after:
        position = (sa.bindparam("a_at", type_=at.type), sa.bindparam("a_id", type_=sa.String()))
        where.append(sa.tuple_(at, _j.event_id) > sa.tuple_(*position))
    query = sa.select(_j.message).where(*where).order_by(at, _j.event_id)
    return Statement(query.limit(sa.bindparam("limit")))


class SqlTimeline:
    """`carehub.timeline.ports.TimelineRepository` over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def journal(self, message: EventMessage, patient_id: str) -> None:
        row = {
            "event_id": message.event_id,
            "patient_id": patient_id,
            "occurred_at": as_utc(message.occurred_at),
            "message": orjson.dumps(message.to_json()).decode(),
        }
        await self._session.execute(_JOURNAL, row)

    async def add(self, entry: TimelineEntry) -> None:
        await self._session.execute(_ADD, entry_row(entry))

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
        params: dict[str, Any] = {"patient_id": patient_id, "limit": limit + 1}
        typed = types is not None
        if types is not None:
            if not types:
                return Page([], None)
            chosen = sorted(types)
            params.update(
                {name: chosen[n % len(chosen)].value for n, name in enumerate(_TYPE_PARAMS)}
            )
        if start is not None:
            params["start"] = as_utc(start)
        if end is not None:
            params["end"] = as_utc(end)
        if cursor is not None:
            before = Position.from_cursor(cursor)
            params.update(b_at=as_utc(before.at), b_id=before.event_id)
        statement = _page_statement(typed, start is not None, end is not None, cursor is not None)
        rows = await self._session.fetch_all(statement, params)
        items = [entry_of(row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items, Position.of(items[-1]).cursor() if more else None)

    async def clear(self, patient_id: str | None) -> int:
        if patient_id is None:
            return await self._session.execute(_CLEAR_ALL)
        return await self._session.execute(_CLEAR_PATIENT, {"patient_id": patient_id})

    async def journaled(
        self, patient_id: str | None, *, cursor: str | None, limit: int
    ) -> Page[EventMessage]:
        params: dict[str, Any] = {"limit": limit + 1}
        if patient_id is not None:
            params["patient_id"] = patient_id
        if cursor is not None:
            after = Position.from_cursor(cursor)
            params.update(a_at=as_utc(after.at), a_id=after.event_id)
        statement = _journal_statement(patient_id is not None, cursor is not None)
        rows = await self._session.fetch_all(statement, params)
        messages = [_message_of(row) for row in rows[:limit]]
        if len(rows) <= limit:
            return Page(messages, None)
        last = messages[-1]
        return Page(messages, Position(last.occurred_at, last.event_id).cursor())


def entry_row(entry: TimelineEntry) -> dict[str, Any]:
    data = {
        "action": entry.action,
        "itemId": entry.item_id,
        "actorId": entry.actor_id,
        "summary": entry.summary,
        "status": entry.status,
        "version": entry.version,
    }
    return {
        "patient_id": entry.patient_id,
        "event_id": entry.event_id,
        "occurred_at": as_utc(entry.occurred_at),
        "entry_type": entry.entry_type.value,
        "data": orjson.dumps(data).decode(),
    }


def entry_of(row: Row) -> TimelineEntry:
    data = _json(row["data"])
    return TimelineEntry(
        patient_id=row["patient_id"],
        event_id=row["event_id"],
        occurred_at=as_datetime(row["occurred_at"]),
        entry_type=EntryType(row["entry_type"]),
        action=data["action"],
        item_id=data["itemId"],
        actor_id=data["actorId"],
        summary=data["summary"],
        status=data.get("status"),
        version=data.get("version"),
    )


def _message_of(row: Row) -> EventMessage:
    return EventMessage.from_json(_json(row["message"]))


def _json(value: Any) -> dict[str, Any]:
    found: dict[str, Any] = orjson.loads(value) if isinstance(value, str | bytes) else dict(value)
    return found
