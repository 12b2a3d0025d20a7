"""The PatientRepository contract, continued: care relationships and the narrowing that
access rules add to a search (a patient's own record, a doctor's patients)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from carehub.patients.ports import PatientFilter
from tests.contract.conftest import UnitOfWorkFactory
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.contract.patient_records import add, everything, get, person, search


async def test_a_care_relationship_can_be_added_checked_and_removed(
    new_uow: UnitOfWorkFactory,
) -> None:
    patient = person("Ana Torres")
    await add(new_uow, patient)
    async with new_uow() as uow:
        assert await uow.patients.add_care_relationship("dr-1", patient.id)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.patients.in_care_of("dr-1", patient.id)
        assert not await uow.patients.in_care_of("dr-2", patient.id)
        assert await uow.patients.remove_care_relationship("dr-1", patient.id)
        assert not await uow.patients.remove_care_relationship("dr-1", patient.id)
        await uow.commit()
    async with new_uow() as uow:
        assert not await uow.patients.in_care_of("dr-1", patient.id)


async def test_adding_an_existing_care_relationship_returns_false_and_work_goes_on(
    new_uow: UnitOfWorkFactory, adapter: str, request: pytest.FixtureRequest
) -> None:
    ana, luis = person("Ana Torres"), person("Luis Vega")
    await add(new_uow, ana)
    async with new_uow() as uow:
        assert await uow.patients.add_care_relationship("dr-1", ana.id)
        await uow.commit()
    async with new_uow() as uow:
        assert not await uow.patients.add_care_relationship("dr-1", ana.id)
        await uow.patients.add(luis)
        await uow.commit()
    assert await get(new_uow, luis.id) == luis


async def test_an_uncommitted_care_relationship_is_not_kept(new_uow: UnitOfWorkFactory) -> None:
    patient = person("Ana Torres")
    await add(new_uow, patient)
    async with new_uow() as uow:
        await uow.patients.add_care_relationship("dr-1", patient.id)
    async with new_uow() as uow:
        assert not await uow.patients.in_care_of("dr-1", patient.id)


async def test_care_of_lists_only_that_practitioners_patients(new_uow: UnitOfWorkFactory) -> None:
    patients = [person(f"Person {i}", country="PE" if i % 2 else "CL") for i in range(12)]
    await add(new_uow, *patients)
    mine = patients[::3]
    async with new_uow() as uow:
        for patient in mine:
            await uow.patients.add_care_relationship("dr-1", patient.id)
        await uow.patients.add_care_relationship("dr-2", patients[1].id)
        await uow.commit()
    expected = sorted(p.id for p in mine)
    assert await everything(new_uow, PatientFilter(care_of="dr-1"), 2) == expected
    narrowed = PatientFilter(care_of="dr-1", country_id="PE")
    assert await everything(new_uow, narrowed, 2) == sorted(
        p.id for p in mine if p.country_id == "PE"
    )
    assert not (await search(new_uow, PatientFilter(care_of="dr-9"))).items


async def test_patient_id_lists_only_that_patient(new_uow: UnitOfWorkFactory) -> None:
    ana, luis = person("Ana Torres"), person("Luis Vega")
    gone = replace(person("Eva Ruiz"), active=False)
    await add(new_uow, ana, luis, gone)
    assert (await search(new_uow, PatientFilter(patient_id=ana.id))).items == [ana]
    assert not (await search(new_uow, PatientFilter(patient_id=ana.id, country_id="CL"))).items
    assert not (await search(new_uow, PatientFilter(patient_id=gone.id))).items
    found = await search(new_uow, PatientFilter(patient_id=gone.id, include_inactive=True))
    assert found.items == [gone]
