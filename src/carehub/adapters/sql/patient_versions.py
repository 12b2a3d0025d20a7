"""Every kept version of every patient record in SQL (SQLite and PostgreSQL), one code
path (`carehub.patients.ports.PatientVersions`)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from carehub.adapters.sql.database import Session, Statement, as_utc, insert_into
from carehub.adapters.sql.patients import patient_from_json, patient_json
from carehub.adapters.sql.tables import patient_versions
from carehub.adapters.version_cursor import below_version, versions_below
from carehub.kernel.pagination import Page
from carehub.patients.model import Patient

_v = patient_versions.c
_INSERT = insert_into(patient_versions, generated=())
_OF_PATIENT = _v.patient_id == sa.bindparam("patient_id")
_GET = Statement(sa.select(_v.data).where(_OF_PATIENT, _v.version == sa.bindparam("version")))
LIMIT = sa.bindparam("limit", type_=sa.Integer)


class SqlPatientVersions:
    """The patient versions port over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, patient: Patient) -> None:
        await self.add_many([patient])

    async def add_many(self, patients: Sequence[Patient]) -> None:
        # One statement for a whole bulk registration, as its records are written.
        await self._session.execute_many(_INSERT, [version_row(p) for p in patients])

    async def get(self, patient_id: str, version: int) -> Patient | None:
        row = await self._session.fetch_one(_GET, {"patient_id": patient_id, "version": version})
        return None if row is None else patient_from_json(row["data"])

    async def history(self, patient_id: str, *, cursor: str | None, limit: int) -> Page[Patient]:
        below = below_version(cursor)
        params: dict[str, Any] = {"patient_id": patient_id, "limit": limit + 1}
        if below is not None:
            params["below"] = below
        rows = await self._session.fetch_all(history_statement(below is not None), params)
        items = [patient_from_json(r["data"]) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, versions_below(items[-1].version) if more else None)


@lru_cache(maxsize=2)
def history_statement(next_page: bool) -> Statement:
    """A record's versions newest first: its primary key's range read backwards."""
    conditions = [_OF_PATIENT]
    if next_page:
        conditions.append(_v.version < sa.bindparam("below", type_=_v.version.type))
    return Statement(sa.select(_v.data).where(*conditions).order_by(_v.version.desc()).limit(LIMIT))


def version_row(patient: Patient) -> dict[str, Any]:
    return {
        "patient_id": patient.id,
        "version": patient.version,
        "data": patient_json(patient),
        "recorded_at": as_utc(patient.updated_at),
    }
