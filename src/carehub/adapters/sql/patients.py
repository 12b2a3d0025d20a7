"""Patient records in SQL (SQLite and PostgreSQL), one code path."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import orjson
import sqlalchemy as sa

from carehub.adapters.sql.database import (
    Row,
    Session,
    Statement,
    UniqueViolation,
    as_date,
    as_datetime,
    insert_into,
    versioned_update,
    versioned_update_params,
)
from carehub.adapters.sql.patient_search import search_rows
from carehub.adapters.sql.tables import (
    care_relationships,
    mrn_counters,
    patient_condition_terms,
    patient_identifiers,
    patient_name_tokens,
    patients,
)
from carehub.kernel.pagination import Page, cursor_position, encode_cursor
from carehub.kernel.text import fold
from carehub.patients.errors import IdentifierTaken, MrnTaken, PatientIdTaken
from carehub.patients.model import (
    Address,
    CodedEntry,
    HumanName,
    Identifier,
    Patient,
    PatientDetails,
    Sex,
)
from carehub.patients.ports import PatientFilter

_INSERT_PATIENT = insert_into(patients)
_INSERT_TOKEN = insert_into(patient_name_tokens)
_INSERT_TERM = insert_into(patient_condition_terms)
_INSERT_IDENTIFIER = insert_into(patient_identifiers)
_GET = Statement(
    sa.select(*[c for c in patients.c if c.name != "seq"]).where(
        patients.c.id == sa.bindparam("id")
    )
)
_UPDATE = versioned_update(patients)
_DELETE_CHILDREN = [
    Statement(sa.delete(table).where(table.c.patient_id == sa.bindparam("patient_id")))
    for table in (patient_name_tokens, patient_condition_terms, patient_identifiers)
]
_RESERVE_MRN = Statement(
    sa.text(
        "INSERT INTO mrn_counters (country_id, last_value) VALUES (:country_id, :count) "
        "ON CONFLICT (country_id) DO UPDATE "
        "SET last_value = mrn_counters.last_value + excluded.last_value "
        "RETURNING last_value"
    ).bindparams(sa.bindparam("country_id", type_=mrn_counters.c.country_id.type))
)
_IN_CARE = Statement(
    sa.select(sa.literal(1)).where(
        care_relationships.c.practitioner_id == sa.bindparam("practitioner_id"),
        care_relationships.c.patient_id == sa.bindparam("patient_id"),
    )
)
# ON CONFLICT rather than catching the violation: on PostgreSQL a failed statement aborts
# the whole transaction, and the audit entry still has to be written after it.
_INSERT_CARE = Statement(
    sa.text(
        "INSERT INTO care_relationships (practitioner_id, patient_id) "
        "VALUES (:practitioner_id, :patient_id) ON CONFLICT DO NOTHING"
    ).bindparams(
        sa.bindparam("practitioner_id", type_=care_relationships.c.practitioner_id.type),
        sa.bindparam("patient_id", type_=care_relationships.c.patient_id.type),
    )
)
_DELETE_CARE = Statement(
    sa.delete(care_relationships).where(
        care_relationships.c.practitioner_id == sa.bindparam("practitioner_id"),
        care_relationships.c.patient_id == sa.bindparam("patient_id"),
    )
)


class SqlPatientRepository:
    """The patients port over a SQL session."""

    def __init__(self, session: Session, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    async def add(self, patient: Patient) -> None:
        await self.add_many([patient])

    async def add_many(self, patients_in: Sequence[Patient]) -> None:
        try:
            await self._session.execute_many(_INSERT_PATIENT, [patient_row(p) for p in patients_in])
            await self._write_children(patients_in)
        except UniqueViolation as exc:
            raise _domain_error(exc, patients_in) from exc

    async def get(self, patient_id: str) -> Patient | None:
        row = await self._session.fetch_one(_GET, {"id": patient_id})
        return None if row is None else patient_from_row(row)

    async def replace(self, patient: Patient, *, expected_version: int) -> bool:
        row = versioned_update_params(patient_row(patient), expected_version)
        try:
            if await self._session.execute(_UPDATE, row) != 1:
                return False
            for statement in _DELETE_CHILDREN:
                await self._session.execute(statement, {"patient_id": patient.id})
            await self._write_children([patient])
        except UniqueViolation as exc:
            raise _domain_error(exc, [patient]) from exc
        return True

    async def reserve_mrn_numbers(self, country_id: str, count: int) -> int:
        params = {"country_id": country_id, "count": count}
        row = await self._session.execute_returning(_RESERVE_MRN, params)
        last = int(row["last_value"])
        return last - count + 1

    async def in_care_of(self, practitioner_id: str, patient_id: str) -> bool:
        params = {"practitioner_id": practitioner_id, "patient_id": patient_id}
        return await self._session.fetch_one(_IN_CARE, params) is not None

    async def add_care_relationship(self, practitioner_id: str, patient_id: str) -> bool:
        row = {"practitioner_id": practitioner_id, "patient_id": patient_id}
        return await self._session.execute(_INSERT_CARE, row) == 1

    async def remove_care_relationship(self, practitioner_id: str, patient_id: str) -> bool:
        params = {"practitioner_id": practitioner_id, "patient_id": patient_id}
        return await self._session.execute(_DELETE_CARE, params) > 0

    async def search(
        self, criteria: PatientFilter, *, cursor: str | None, limit: int
    ) -> Page[Patient]:
        after = None if cursor is None else cursor_position(cursor, "after", str)
        rows = await search_rows(self._session, self._dialect, criteria, after, limit + 1)
        items = [patient_from_row(r) for r in rows[:limit]]
        next_cursor = encode_cursor({"after": items[-1].id}) if len(rows) > limit else None
        return Page(items=items, next_cursor=next_cursor)

    async def _write_children(self, patients_in: Sequence[Patient]) -> None:
        tokens: list[dict[str, Any]] = []
        terms: list[dict[str, Any]] = []
        identifiers: list[dict[str, Any]] = []
        for p in patients_in:
            tokens.extend(
                {"token": t[:128], "patient_id": p.id} for t in p.details.name.search_tokens()
            )
            found: set[str] = set()
            for entry in p.details.conditions:
                found.update(entry.search_terms())
            terms.extend({"term": t[:256], "patient_id": p.id} for t in found)
            identifiers.extend(
                {"system": i.system, "value": i.value, "patient_id": p.id}
                for i in p.details.identifiers
            )
        await self._session.execute_many(_INSERT_TOKEN, tokens)
        await self._session.execute_many(_INSERT_TERM, terms)
        await self._session.execute_many(_INSERT_IDENTIFIER, identifiers)


def _domain_error(exc: UniqueViolation, patients_in: Sequence[Patient]) -> Exception:
    if exc.table == "patient_identifiers":
        systems = [i.system for p in patients_in for i in p.details.identifiers]
        return IdentifierTaken(systems[0] if len(systems) == 1 else "given")
    if exc.table == "patients" and "id" in exc.columns:
        return PatientIdTaken(_taken_id(patients_in))
    if exc.table == "patients" and "mrn" in exc.columns:
        countries = {p.country_id for p in patients_in}
        return MrnTaken(countries.pop() if len(countries) == 1 else "given")
    return exc


def _taken_id(patients_in: Sequence[Patient]) -> str | None:
    """The id the violation is about, when it can be told without another query (which
    PostgreSQL would refuse in the failed transaction): the only one, or one given twice."""
    if len(patients_in) == 1:
        return patients_in[0].id
    seen: set[str] = set()
    for patient in patients_in:
        if patient.id in seen:
            return patient.id
        seen.add(patient.id)
    return None


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _loads(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _coded(entries: Sequence[CodedEntry]) -> str:
    return _dumps([{"code": e.code, "system": e.system, "display": e.display} for e in entries])


def patient_row(patient: Patient) -> dict[str, Any]:
    d = patient.details
    address = d.address
    return {
        "id": patient.id,
        "mrn": patient.mrn,
        "country_id": patient.country_id,
        "active": patient.active,
        "version": patient.version,
        "name_text": d.name.text,
        "given_names": _dumps(list(d.name.given)),
        "family_name": d.name.family,
        "birth_date": d.birth_date,
        "birth_date_estimated": d.birth_date_estimated,
        "sex": d.sex.value if d.sex else None,
        "email": d.email,
        "phone": d.phone,
        "address": None if address is None else _dumps(_address_json(address)),
        "address_search": None if address is None else fold(address.display())[:1024],
        "city_search": fold(address.city)[:256] if address and address.city else None,
        "identifiers": _dumps([{"system": i.system, "value": i.value} for i in d.identifiers]),
        "conditions": _coded(d.conditions),
        "allergies": _coded(d.allergies),
        "created_at": patient.created_at,
        "updated_at": patient.updated_at,
    }


def patient_json(patient: Patient) -> str:
    """The record as one JSON document: its row's values, as `patient_row` gives them
    (DynamoDB's patient items keep the same in `data`)."""
    return _dumps(patient_row(patient))


def patient_from_json(value: Any) -> Patient:
    """The record `patient_json` wrote (as text, or as the driver decoded it)."""
    return patient_from_row(_loads(value))


def _address_json(a: Address) -> dict[str, Any]:
    return {
        "text": a.text,
        "lines": list(a.lines),
        "city": a.city,
        "district": a.district,
        "state": a.state,
        "postalCode": a.postal_code,
        "country": a.country,
    }


def patient_from_row(row: Row) -> Patient:
    address = row["address"]
    return Patient(
        id=row["id"],
        mrn=row["mrn"],
        country_id=row["country_id"],
        active=bool(row["active"]),
        version=row["version"],
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
        details=PatientDetails(
            name=HumanName(
                text=row["name_text"],
                given=_given(row["given_names"]),
                family=row["family_name"],
            ),
            birth_date=as_date(row["birth_date"]),
            birth_date_estimated=bool(row["birth_date_estimated"]),
            sex=_SEXES[row["sex"]],
            email=row["email"],
            phone=row["phone"],
            address=None if address is None else _address(address),
            identifiers=_identifiers(row["identifiers"]),
            conditions=_coded_entries(row["conditions"]),
            allergies=_coded_entries(row["allergies"]),
        ),
    )


# The JSON columns repeat a lot between patients (the same given names, the same
# conditions, no identifiers); the model's values are immutable, so one parse serves every
# row with the same text. Both drivers hand back the JSON as text; anything already
# decoded takes the uncached way.
_SEXES: dict[str | None, Sex | None] = {None: None, "": None} | {s.value: s for s in Sex}


@lru_cache(maxsize=4096)
def _given_text(text: str) -> tuple[str, ...]:
    return tuple(orjson.loads(text))


@lru_cache(maxsize=4096)
def _coded_text(text: str) -> tuple[CodedEntry, ...]:
    return tuple(CodedEntry(**c) for c in orjson.loads(text))


def _given(value: Any) -> tuple[str, ...]:
    return _given_text(value) if isinstance(value, str) else tuple(_loads(value))


def _coded_entries(value: Any) -> tuple[CodedEntry, ...]:
    if isinstance(value, str):
        return _coded_text(value)
    return tuple(CodedEntry(**c) for c in _loads(value))


def _identifiers(value: Any) -> tuple[Identifier, ...]:
    found = _loads(value)
    return tuple(Identifier(**i) for i in found) if found else ()


def _address(value: Any) -> Address:
    a = _loads(value)
    return Address(
        text=a["text"],
        lines=tuple(a["lines"]),
        city=a["city"],
        district=a["district"],
        state=a["state"],
        postal_code=a["postalCode"],
        country=a["country"],
    )
