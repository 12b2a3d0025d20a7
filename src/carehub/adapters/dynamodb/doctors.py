"""Doctor records in the table: the record item, listed (while active) by country in GSI1
and by country and specialty in GSI2, and found by license in GSI3 (docs/dynamodb.md,
"doctors")."""

from __future__ import annotations

from carehub.adapters.dynamodb.items import Item, Key, record_data, record_item
from carehub.adapters.dynamodb.pages import index_items, index_page
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import NEW_ITEM, version_is
from carehub.adapters.sql.doctors import doctor_from_row, doctor_row
from carehub.kernel.pagination import Page
from carehub.practitioners.errors import DoctorIdTaken
from carehub.practitioners.model import Doctor

_KIND = "doctor"
_SPECIALTY_KEY_LENGTH = 128  # as the SQL column keeps it


def _key(doctor_id: str) -> Key:
    return (f"DOCTOR#{doctor_id}", "DOCTOR")


def _by_country(country_id: str) -> str:
    return f"COUNTRY#{country_id}#DOCTORS"


def _by_specialty(country_id: str, specialty_key: str) -> str:
    return f"COUNTRY#{country_id}#SPECIALTY#{specialty_key[:_SPECIALTY_KEY_LENGTH]}"


def _by_license(license: str) -> str:
    return f"LICENSE#{license}"


class DynamoDoctorRepository:
    """The doctors port over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def add(self, doctor: Doctor) -> None:
        if await self._session.get(_key(doctor.id)) is not None:
            raise DoctorIdTaken(doctor.id)
        refusal = lambda: DoctorIdTaken(doctor.id)  # noqa: E731
        self._session.writes.put(_item(doctor), condition=NEW_ITEM, refusal=refusal)

    async def get(self, doctor_id: str) -> Doctor | None:
        item = await self._session.get(_key(doctor_id))
        return None if item is None else doctor_from_row(record_data(item))

    async def replace(self, doctor: Doctor, *, expected_version: int) -> bool:
        stored = await self._session.get(_key(doctor.id))
        if stored is None or stored.get("version") != expected_version:
            return False
        self._session.writes.put(_item(doctor), condition=version_is(expected_version))
        return True

    async def list_by_country(
        self, country_id: str, *, specialty_key: str | None, cursor: str | None, limit: int
    ) -> Page[Doctor]:
        if specialty_key is None:
            index, partition = "GSI1", _by_country(country_id)
        else:
            index, partition = "GSI2", _by_specialty(country_id, specialty_key)
        return await index_page(
            self._session,
            index,
            partition,
            cursor=cursor,
            limit=limit,
            record=lambda item: doctor_from_row(record_data(item)),
        )

    async def find_by_license(self, license: str) -> Doctor | None:
        """The first doctor (by id) holding the license, this unit's own writes laid over
        (a license has one holder, or a handful: all are read)."""
        stored = await index_items(self._session, "GSI3", _by_license(license), limit=None)
        found = {item["PK"]: item for item in stored}
        for pk, item in self._session.writes.written("DOCTOR").items():
            found.pop(pk, None)
            if item is not None and item.get("GSI3PK") == _by_license(license):
                found[pk] = item
        first = min(found.values(), key=lambda item: str(item["GSI3SK"]), default=None)
        return None if first is None else doctor_from_row(record_data(first))


def _item(doctor: Doctor) -> Item:
    # Only active doctors are listed: an inactive one carries no index keys (sparse indexes).
    active = doctor.active
    return record_item(
        _key(doctor.id),
        kind=_KIND,
        data=doctor_row(doctor),
        version=doctor.version,
        indexes={
            "GSI1PK": _by_country(doctor.country_id) if active else None,
            "GSI1SK": doctor.id if active else None,
            "GSI2PK": _by_specialty(doctor.country_id, doctor.specialty_key) if active else None,
            "GSI2SK": doctor.id if active else None,
            # Every doctor with a license, active or not, is found by it.
            "GSI3PK": None if doctor.license is None else _by_license(doctor.license),
            "GSI3SK": None if doctor.license is None else doctor.id,
        },
    )
