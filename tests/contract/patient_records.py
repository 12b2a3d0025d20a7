"""Patients to store, and the few calls every patient contract test makes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from carehub.kernel.ids import new_id
from carehub.kernel.pagination import Page
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
from tests.contract.conftest import UnitOfWorkFactory

CREATED = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
SNOMED = "http://snomed.info/sct"
DNI = "urn:pe:dni"
_MRNS = itertools.count(1)


def person(
    name: str, *, country: str = "PE", patient_id: str | None = None, **fields: Any
) -> Patient:
    """A new patient with a fresh MRN (unique per country in SQL; the port takes it as given)."""
    return Patient(
        id=patient_id or new_id(),
        mrn=str(next(_MRNS)),
        country_id=country,
        details=PatientDetails(name=HumanName.from_text(name), **fields),
        created_at=CREATED,
        updated_at=CREATED,
    )


def complete_patient() -> Patient:
    """A patient with every field set, to prove nothing is lost on the way to storage."""
    return Patient(
        id=new_id(),
        mrn="00000018",
        country_id="PE",
        active=False,
        version=7,
        created_at=CREATED,
        updated_at=CREATED + timedelta(days=1, microseconds=1),
        details=PatientDetails(
            name=HumanName.from_parts(("José", "Luis"), "Quispe Mamani"),
            birth_date=date(1980, 3, 14),
            birth_date_estimated=True,
            sex=Sex.MALE,
            email="jl.quispe@example.org",
            phone="+51 987 654 321",
            address=Address(
                text=None,
                lines=("Av. Arequipa 1234", "Dpto 5"),
                city="Lima",
                district="Miraflores",
                state="Lima",
                postal_code="15046",
                country="PE",
            ),
            identifiers=(Identifier(DNI, "40123456"), Identifier("urn:pe:passport", "X1")),
            conditions=(
                CodedEntry("44054006", SNOMED, "Diabetes mellitus type 2"),
                CodedEntry(code=None, system=None, display="Tos crónica"),
            ),
            allergies=(CodedEntry("91936005", SNOMED, "Allergy to penicillin"),),
        ),
    )


async def add(new_uow: UnitOfWorkFactory, *patients: Patient) -> None:
    async with new_uow() as uow:
        for patient in patients:
            await uow.patients.add(patient)
        await uow.commit()


async def get(new_uow: UnitOfWorkFactory, patient_id: str) -> Patient | None:
    async with new_uow() as uow:
        return await uow.patients.get(patient_id)


async def search(
    new_uow: UnitOfWorkFactory, criteria: PatientFilter, cursor: str | None = None, limit: int = 50
) -> Page[Patient]:
    async with new_uow() as uow:
        return await uow.patients.search(criteria, cursor=cursor, limit=limit)


async def everything(new_uow: UnitOfWorkFactory, criteria: PatientFilter, limit: int) -> list[str]:
    """Every id a client sees paging through with `limit`, asserting the page sizes."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = await search(new_uow, criteria, cursor, limit)
        assert page.items, "a cursor was issued for an empty page"
        ids.extend(p.id for p in page.items)
        if page.next_cursor is None:
            return ids
        assert len(page.items) == limit
        cursor = page.next_cursor
