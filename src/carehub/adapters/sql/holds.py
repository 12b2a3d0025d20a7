"""Slot holds and waitlist entries in SQL (SQLite and PostgreSQL), one code path."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from carehub.adapters.sql.database import Row, Session, Statement, as_datetime, insert_into
from carehub.adapters.sql.tables import holds, waitlist_entries
from carehub.kernel.pagination import Page, cursor_position, encode_cursor
from carehub.scheduling.model import Hold, HoldStatus, WaitlistEntry, WaitStatus

_INSERT_HOLD = insert_into(holds, generated=())
_GET_HOLD = Statement(sa.select(holds).where(holds.c.id == sa.bindparam("id")))
_SET_HOLD_STATUS = Statement(
    sa.update(holds)
    .where(holds.c.id == sa.bindparam("b_id"), holds.c.status == sa.bindparam("expected"))
    .values(status=sa.bindparam("status"))
)
_DUE_HOLDS = Statement(
    sa.select(holds)
    .where(
        holds.c.status == "active",
        holds.c.expires_at <= sa.bindparam("now", type_=holds.c.expires_at.type),
    )
    .order_by(holds.c.expires_at)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)

_INSERT_ENTRY = insert_into(waitlist_entries, generated=())
_GET_ENTRY = Statement(
    sa.select(waitlist_entries).where(waitlist_entries.c.id == sa.bindparam("id"))
)
_UPDATE_ENTRY = Statement(
    sa.update(waitlist_entries)
    .where(
        waitlist_entries.c.id == sa.bindparam("b_id"),
        waitlist_entries.c.status == sa.bindparam("expected"),
    )
    .values(
        status=sa.bindparam("status"),
        offered_hold_id=sa.bindparam("offered_hold_id"),
        updated_at=sa.bindparam("updated_at", type_=waitlist_entries.c.updated_at.type),
    )
)
_w = waitlist_entries.c
_START = sa.bindparam("start", type_=_w.earliest.type)
_END = sa.bindparam("end", type_=_w.latest.type)
# Waiting entries that fit the freed slot, first come first served; a short scan of the
# partial indexes, each entry checked for the range and skipped ones filtered here.
_FIRST_FOR_DOCTOR = Statement(
    sa.select(waitlist_entries)
    .where(
        _w.status == "waiting",
        _w.doctor_id == sa.bindparam("doctor_id"),
        _w.earliest <= _START,
        _w.latest >= _END,
    )
    .order_by(_w.created_at, _w.id)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
_FIRST_FOR_SPECIALTY = Statement(
    sa.select(waitlist_entries)
    .where(
        _w.status == "waiting",
        _w.country_id == sa.bindparam("country_id"),
        _w.specialty_key == sa.bindparam("specialty_key"),
        _w.doctor_id.is_(None),
        _w.earliest <= _START,
        _w.latest >= _END,
    )
    .order_by(_w.created_at, _w.id)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
_FOR_PATIENT = Statement(
    sa.select(waitlist_entries)
    .where(_w.patient_id == sa.bindparam("patient_id"), _w.id > sa.bindparam("after"))
    .order_by(_w.id)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)

_LAPSED = Statement(
    sa.select(holds.c.waitlist_entry_id).where(
        holds.c.doctor_id == sa.bindparam("doctor_id"),
        holds.c.starts_at == sa.bindparam("start", type_=holds.c.starts_at.type),
        holds.c.ends_at == sa.bindparam("end", type_=holds.c.ends_at.type),
        # Not `in_([...])`: a literal list compiles to an expanding parameter, which the
        # once-compiled statements here cannot render.
        sa.or_(holds.c.status == "expired", holds.c.status == "released"),
        holds.c.waitlist_entry_id.is_not(None),
    )
)


class SqlHoldRepository:
    """The holds port over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, hold: Hold) -> None:
        await self._session.execute(_INSERT_HOLD, hold_row(hold))

    async def get(self, hold_id: str) -> Hold | None:
        row = await self._session.fetch_one(_GET_HOLD, {"id": hold_id})
        return None if row is None else hold_from_row(row)

    async def replace(self, hold: Hold, *, expected_status: str) -> bool:
        params = {"b_id": hold.id, "expected": expected_status, "status": hold.status.value}
        return await self._session.execute(_SET_HOLD_STATUS, params) == 1

    async def due(self, *, now: Any, limit: int) -> list[Hold]:
        rows = await self._session.fetch_all(_DUE_HOLDS, {"now": now, "limit": limit})
        return [hold_from_row(r) for r in rows]

    async def lapsed_offers(self, *, doctor_id: str, start: Any, end: Any) -> frozenset[str]:
        params = {"doctor_id": doctor_id, "start": start, "end": end}
        rows = await self._session.fetch_all(_LAPSED, params)
        return frozenset(r["waitlist_entry_id"] for r in rows)


class SqlWaitlistRepository:
    """The waitlist port over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, entry: WaitlistEntry) -> None:
        await self._session.execute(_INSERT_ENTRY, entry_row(entry))

    async def get(self, entry_id: str) -> WaitlistEntry | None:
        row = await self._session.fetch_one(_GET_ENTRY, {"id": entry_id})
        return None if row is None else entry_from_row(row)

    async def replace(self, entry: WaitlistEntry, *, expected_status: str) -> bool:
        params = {
            "b_id": entry.id,
            "expected": expected_status,
            "status": entry.status.value,
            "offered_hold_id": entry.offered_hold_id,
            "updated_at": entry.updated_at,
        }
        return await self._session.execute(_UPDATE_ENTRY, params) == 1

    async def first_waiting(
        self,
        *,
        doctor_id: str,
        country_id: str,
        specialty_key: str,
        start: Any,
        end: Any,
        skip: frozenset[str] = frozenset(),
    ) -> WaitlistEntry | None:
        limit = len(skip) + 1
        window = {"start": start, "end": end, "limit": limit}
        for_doctor = await self._session.fetch_all(
            _FIRST_FOR_DOCTOR, {**window, "doctor_id": doctor_id}
        )
        for_specialty = await self._session.fetch_all(
            _FIRST_FOR_SPECIALTY,
            {**window, "country_id": country_id, "specialty_key": specialty_key},
        )
        candidates = sorted(
            (entry_from_row(r) for r in (*for_doctor, *for_specialty)),
            key=lambda e: (e.created_at, e.id),
        )
        return next((e for e in candidates if e.id not in skip), None)

    async def for_patient(
        self, patient_id: str, *, cursor: str | None, limit: int
    ) -> Page[WaitlistEntry]:
        after = "" if cursor is None else cursor_position(cursor, "id", str)
        rows = await self._session.fetch_all(
            _FOR_PATIENT, {"patient_id": patient_id, "after": after, "limit": limit + 1}
        )
        items = [entry_from_row(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor({"id": items[-1].id}) if more else None)


def hold_row(hold: Hold) -> dict[str, Any]:
    return {
        "id": hold.id,
        "country_id": hold.country_id,
        "doctor_id": hold.doctor_id,
        "patient_id": hold.patient_id,
        "starts_at": hold.start,
        "ends_at": hold.end,
        "expires_at": hold.expires_at,
        "status": hold.status.value,
        "waitlist_entry_id": hold.waitlist_entry_id,
        "created_by": hold.created_by,
        "created_at": hold.created_at,
    }


def hold_from_row(row: Row) -> Hold:
    return Hold(
        id=row["id"],
        country_id=row["country_id"],
        doctor_id=row["doctor_id"],
        patient_id=row["patient_id"],
        start=as_datetime(row["starts_at"]),
        end=as_datetime(row["ends_at"]),
        expires_at=as_datetime(row["expires_at"]),
        status=HoldStatus(row["status"]),
        waitlist_entry_id=row["waitlist_entry_id"],
        created_by=row["created_by"],
        created_at=as_datetime(row["created_at"]),
    )


def entry_row(entry: WaitlistEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "patient_id": entry.patient_id,
        "country_id": entry.country_id,
        "doctor_id": entry.doctor_id,
        "specialty_key": entry.specialty_key,
        "earliest": entry.earliest,
        "latest": entry.latest,
        "status": entry.status.value,
        "offered_hold_id": entry.offered_hold_id,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
    }


def entry_from_row(row: Row) -> WaitlistEntry:
    return WaitlistEntry(
        id=row["id"],
        patient_id=row["patient_id"],
        country_id=row["country_id"],
        doctor_id=row["doctor_id"],
        specialty_key=row["specialty_key"],
        earliest=as_datetime(row["earliest"]),
        latest=as_datetime(row["latest"]),
        status=WaitStatus(row["status"]),
        offered_hold_id=row["offered_hold_id"],
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
    )
