"""Appointments and their history in SQL (SQLite and PostgreSQL), one code path."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from carehub.adapters.sql.database import (
    Row,
    Session,
    Statement,
    UniqueViolation,
    as_datetime,
    insert_into,
)
from carehub.adapters.sql.tables import appointment_transitions, appointments
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.pagination import Page, decode_cursor, encode_cursor
from carehub.scheduling.errors import AppointmentIdTaken
from carehub.scheduling.model import Appointment, Status, Transition
from carehub.scheduling.ports import AppointmentFilter

_INSERT = insert_into(appointments, generated=())
_GET = Statement(sa.select(appointments).where(appointments.c.id == sa.bindparam("id")))
_HISTORY = Statement(
    sa.select(appointment_transitions)
    .where(appointment_transitions.c.appointment_id == sa.bindparam("id"))
    .order_by(appointment_transitions.c.step)
)
_INSERT_STEP = insert_into(appointment_transitions, generated=())
_CHANGED = ("starts_at", "ends_at", "status", "claim_id", "version", "updated_at")
_UPDATE = Statement(
    sa.update(appointments)
    .where(
        appointments.c.id == sa.bindparam("b_id"),
        appointments.c.version == sa.bindparam("expected"),
    )
    .values({name: sa.bindparam(name, type_=appointments.c[name].type) for name in _CHANGED})
)
# Which index serves a query: its most selective criterion, then the start time.
_LEADING = ("doctor_id", "patient_id", "country_id", "status")


class SqlAppointmentRepository:
    """The appointments port over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, appointment: Appointment) -> None:
        try:
            await self._session.execute(_INSERT, appointment_row(appointment))
        except UniqueViolation as exc:
            raise AppointmentIdTaken(appointment.id) from exc
        await self._write_steps(appointment, appointment.history)

    async def get(self, appointment_id: str) -> Appointment | None:
        row = await self._session.fetch_one(_GET, {"id": appointment_id})
        if row is None:
            return None
        steps = await self._session.fetch_all(_HISTORY, {"id": appointment_id})
        return appointment_from_row(row, tuple(transition_from_row(s) for s in steps))

    async def replace(self, appointment: Appointment, *, expected_version: int) -> bool:
        row = appointment_row(appointment)
        params = {name: row[name] for name in _CHANGED}
        params.update(b_id=appointment.id, expected=expected_version)
        if await self._session.execute(_UPDATE, params) != 1:
            return False
        # Each version adds exactly one step (`Appointment.moved`): write only the new ones.
        added = appointment.version - expected_version
        await self._write_steps(appointment, appointment.history[-added:] if added else ())
        return True

    async def search(
        self, criteria: AppointmentFilter, *, cursor: str | None, limit: int
    ) -> Page[Appointment]:
        present = tuple(name for name in _LEADING if getattr(criteria, name) is not None)
        params: dict[str, Any] = {name: str(getattr(criteria, name)) for name in present}
        after_start, after_id = _position(cursor)
        params.update(
            start_from=criteria.start_from,
            start_to=criteria.start_to,
            after_start=after_start,
            after_id=after_id,
            limit=limit + 1,
        )
        statement = _search_statement(
            present,
            criteria.start_from is not None,
            criteria.start_to is not None,
            after_start is not None,
        )
        rows = await self._session.fetch_all(statement, params)
        items = [appointment_from_row(r, ()) for r in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = items[-1]
            next_cursor = encode_cursor({"s": last.start.isoformat(), "id": last.id})
        return Page(items, next_cursor)

    async def _write_steps(self, appointment: Appointment, steps: tuple[Transition, ...]) -> None:
        first = len(appointment.history) - len(steps)
        if not steps:
            return
        await self._session.execute_many(
            _INSERT_STEP,
            [
                {"appointment_id": appointment.id, "step": first + index, **transition_row(t)}
                for index, t in enumerate(steps)
            ],
        )


@lru_cache(maxsize=64)
def _search_statement(
    present: tuple[str, ...], has_from: bool, has_to: bool, has_after: bool
) -> Statement:
    c = appointments.c
    conditions: list[sa.ColumnElement[bool]] = [c[name] == sa.bindparam(name) for name in present]
    if has_from:
        conditions.append(c.starts_at >= sa.bindparam("start_from", type_=c.starts_at.type))
    if has_to:
        conditions.append(c.starts_at < sa.bindparam("start_to", type_=c.starts_at.type))
    if has_after:
        after_start = sa.bindparam("after_start", type_=c.starts_at.type)
        conditions.append(
            sa.or_(
                c.starts_at > after_start,
                sa.and_(c.starts_at == after_start, c.id > sa.bindparam("after_id")),
            )
        )
    query = (
        sa.select(appointments)
        .where(*conditions)
        .order_by(c.starts_at, c.id)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )
    return Statement(query)


def _position(cursor: str | None) -> tuple[datetime | None, str | None]:
    if cursor is None:
        return None, None
    position = decode_cursor(cursor)
    start, appointment_id = position.get("s"), position.get("id")
    if not (isinstance(start, str) and isinstance(appointment_id, str)):
        raise Invalid(
            "cursor is not valid", errors=[FieldError("cursor", "not a cursor we issued")]
        )
    try:
        return datetime.fromisoformat(start), appointment_id
    except ValueError as exc:
        raise Invalid(
            "cursor is not valid", errors=[FieldError("cursor", "not a cursor we issued")]
        ) from exc


def appointment_row(a: Appointment) -> dict[str, Any]:
    return {
        "id": a.id,
        "country_id": a.country_id,
        "doctor_id": a.doctor_id,
        "patient_id": a.patient_id,
        "starts_at": a.start,
        "ends_at": a.end,
        "time_zone": a.time_zone,
        "status": a.status.value,
        "mode": a.mode,
        "claim_id": a.claim_id,
        "version": a.version,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    }


def transition_row(t: Transition) -> dict[str, Any]:
    return {
        "at": t.at,
        "actor_id": t.actor_id,
        "action": t.action,
        "from_status": None if t.from_status is None else t.from_status.value,
        "to_status": t.to_status.value,
        "reason": t.reason,
    }


def transition_from_row(row: Row) -> Transition:
    return Transition(
        at=as_datetime(row["at"]),
        actor_id=row["actor_id"],
        action=row["action"],
        from_status=None if row["from_status"] is None else Status(row["from_status"]),
        to_status=Status(row["to_status"]),
        reason=row["reason"],
    )


def appointment_from_row(row: Row, history: tuple[Transition, ...]) -> Appointment:
    return Appointment(
        id=row["id"],
        country_id=row["country_id"],
        doctor_id=row["doctor_id"],
        patient_id=row["patient_id"],
        start=as_datetime(row["starts_at"]),
        end=as_datetime(row["ends_at"]),
        time_zone=row["time_zone"],
        status=Status(row["status"]),
        mode=row["mode"],
        claim_id=row["claim_id"],
        history=history,
        version=row["version"],
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
    )
