"""Doctor records in SQL (SQLite and PostgreSQL), one code path."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from carehub.adapters.sql.database import (
    Row,
    Session,
    Statement,
    UniqueViolation,
    as_datetime,
    insert_into,
    versioned_update,
    versioned_update_params,
)
from carehub.adapters.sql.scheduling_json import (
    dumps,
    overrides_from,
    overrides_json,
    weekly_from,
    weekly_json,
)
from carehub.adapters.sql.tables import doctors
from carehub.kernel.pagination import Page, cursor_position, encode_cursor
from carehub.practitioners.errors import DoctorIdTaken
from carehub.practitioners.model import Doctor

_INSERT = insert_into(doctors, generated=())
_GET = Statement(sa.select(doctors).where(doctors.c.id == sa.bindparam("id")))
_UPDATE = versioned_update(doctors)
_AFTER: sa.BindParameter[str] = sa.bindparam("after")
_LIMIT = sa.bindparam("limit", type_=sa.Integer)
_BY_COUNTRY = Statement(
    sa.select(doctors)
    .where(
        doctors.c.country_id == sa.bindparam("country_id"), doctors.c.active, doctors.c.id > _AFTER
    )
    .order_by(doctors.c.id)
    .limit(_LIMIT)
)
_BY_SPECIALTY = Statement(
    sa.select(doctors)
    .where(
        doctors.c.country_id == sa.bindparam("country_id"),
        doctors.c.specialty_key == sa.bindparam("specialty_key"),
        doctors.c.active,
        doctors.c.id > _AFTER,
    )
    .order_by(doctors.c.id)
    .limit(_LIMIT)
)


_BY_LICENSE = Statement(
    sa.select(doctors)
    .where(doctors.c.license == sa.bindparam("license"))
    .order_by(doctors.c.id)
    .limit(1)
)


class SqlDoctorRepository:
    """The doctors port over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, doctor: Doctor) -> None:
        try:
            await self._session.execute(_INSERT, doctor_row(doctor))
        except UniqueViolation as exc:
            raise DoctorIdTaken(doctor.id) from exc

    async def get(self, doctor_id: str) -> Doctor | None:
        row = await self._session.fetch_one(_GET, {"id": doctor_id})
        return None if row is None else doctor_from_row(row)

    async def replace(self, doctor: Doctor, *, expected_version: int) -> bool:
        params = versioned_update_params(doctor_row(doctor), expected_version)
        return await self._session.execute(_UPDATE, params) == 1

    async def list_by_country(
        self, country_id: str, *, specialty_key: str | None, cursor: str | None, limit: int
    ) -> Page[Doctor]:
        after = "" if cursor is None else cursor_position(cursor, "id", str)
        params: dict[str, Any] = {"country_id": country_id, "after": after, "limit": limit + 1}
        statement = _BY_COUNTRY
        if specialty_key is not None:
            statement, params["specialty_key"] = _BY_SPECIALTY, specialty_key
        rows = await self._session.fetch_all(statement, params)
        items = [doctor_from_row(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor({"id": items[-1].id}) if more else None)

    async def find_by_license(self, license: str) -> Doctor | None:
        row = await self._session.fetch_one(_BY_LICENSE, {"license": license})
        return None if row is None else doctor_from_row(row)


def doctor_row(doctor: Doctor) -> dict[str, Any]:
    return {
        "id": doctor.id,
        "country_id": doctor.country_id,
        "name": doctor.name,
        "specialty": doctor.specialty,
        "specialty_key": doctor.specialty_key[:128],
        "time_zone": doctor.time_zone,
        "weekly": dumps(weekly_json(doctor.weekly)),
        "overrides": dumps(overrides_json(doctor.overrides)),
        "slot_minutes": doctor.slot_minutes,
        "license": doctor.license,
        "email": doctor.email,
        "phone": doctor.phone,
        "active": doctor.active,
        "version": doctor.version,
        "created_at": doctor.created_at,
        "updated_at": doctor.updated_at,
    }


def doctor_from_row(row: Row) -> Doctor:
    return Doctor(
        id=row["id"],
        country_id=row["country_id"],
        name=row["name"],
        specialty=row["specialty"],
        time_zone=row["time_zone"],
        weekly=weekly_from(row["weekly"]),
        overrides=overrides_from(row["overrides"]),
        slot_minutes=row["slot_minutes"],
        license=row["license"],
        email=row["email"],
        phone=row["phone"],
        active=bool(row["active"]),
        version=row["version"],
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
    )
