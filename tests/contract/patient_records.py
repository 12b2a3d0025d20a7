"""Patients to store, and the few calls every patient contract test makes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from carehub.kernel.ids import new_id
from carehub.kernel.pagination import Page
from carehub.patients.model import HumanName, Patient, PatientDetails
from carehub.patients.ports import PatientFilter
from tests.contract.conftest import UnitOfWorkFactory

CREATED = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
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
