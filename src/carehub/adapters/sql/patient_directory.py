"""Scheduling's reader of patient records: country, status and where to notify them."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.database import Session, Statement
from carehub.adapters.sql.tables import care_relationships, patients
from carehub.kernel.patient_directory import PatientContact

_CONTACT = Statement(
    sa.select(
        patients.c.id,
        patients.c.country_id,
        patients.c.active,
        patients.c.email,
        patients.c.phone,
        patients.c.name_text,
    ).where(patients.c.id == sa.bindparam("id"))
)
_IN_CARE = Statement(
    sa.select(sa.literal(1)).where(
        care_relationships.c.practitioner_id == sa.bindparam("practitioner_id"),
        care_relationships.c.patient_id == sa.bindparam("patient_id"),
    )
)


class SqlPatientDirectory:
    """The `PatientDirectory` reader port over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def contact(self, patient_id: str) -> PatientContact | None:
        row = await self._session.fetch_one(_CONTACT, {"id": patient_id})
        if row is None:
            return None
        return PatientContact(
            patient_id=row["id"],
            country_id=row["country_id"],
            active=bool(row["active"]),
            email=row["email"],
            phone=row["phone"],
            display_name=row["name_text"],
        )

    async def in_care_of(self, practitioner_id: str, patient_id: str) -> bool:
        params = {"practitioner_id": practitioner_id, "patient_id": patient_id}
        return await self._session.fetch_one(_IN_CARE, params) is not None
