"""The PatientDirectory contract (the patients domain as other domains read it): every
adapter (memory, SQLite, PostgreSQL) passes it. Patients and care relationships are
written through the patients domain's own port, in the same unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from carehub.kernel.patient_directory import PatientContact, PatientDirectory
from carehub.patients.ports import PatientsUnitOfWork
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.contract.patient_records import CREATED, add, person


class Unit(PatientsUnitOfWork, Protocol):
    """The patients domain's unit of work, with the reader other domains get."""

    @property
    def patient_directory(self) -> PatientDirectory: ...


NewUnit = Callable[[], Unit]


async def contact(new_uow: NewUnit, patient_id: str) -> PatientContact | None:
    async with new_uow() as uow:
        return await uow.patient_directory.contact(patient_id)


async def in_care_of(new_uow: NewUnit, practitioner_id: str, patient_id: str) -> bool:
    async with new_uow() as uow:
        return await uow.patient_directory.in_care_of(practitioner_id, patient_id)


async def test_a_contact_reads_a_patients_country_status_and_channels(new_uow: NewUnit) -> None:
    ana = person("Ana María Torres", email="ana@example.org", phone="+51 987 654 321")
    await add(new_uow, ana)
    assert await contact(new_uow, ana.id) == PatientContact(
        patient_id=ana.id,
        country_id="PE",
        active=True,
        email="ana@example.org",
        phone="+51 987 654 321",
        display_name="Ana María Torres",
    )


async def test_a_contact_without_channels_and_an_inactive_patient(new_uow: NewUnit) -> None:
    luis = replace(person("Luis Vega", country="CL"), active=False)
    await add(new_uow, luis)
    assert await contact(new_uow, luis.id) == PatientContact(
        patient_id=luis.id,
        country_id="CL",
        active=False,
        email=None,
        phone=None,
        display_name="Luis Vega",
    )


async def test_an_unknown_patient_has_no_contact(new_uow: NewUnit) -> None:
    await add(new_uow, person("Ana Torres"))
    assert await contact(new_uow, "nobody") is None


async def test_a_contact_follows_the_latest_version(new_uow: NewUnit) -> None:
    ana = person("Ana Torres", email="old@example.org")
    await add(new_uow, ana)
    moved = ana.revised(replace(ana.details, email="new@example.org"), CREATED).deactivated(CREATED)
    async with new_uow() as uow:
        assert await uow.patients.replace(moved, expected_version=ana.version)
        # The reader sees its own unit's writes, as every repository does.
        found = await uow.patient_directory.contact(ana.id)
        assert found is not None and (found.email, found.active) == ("new@example.org", False)
        await uow.commit()
    found = await contact(new_uow, ana.id)
    assert found is not None and (found.email, found.active) == ("new@example.org", False)


async def test_in_care_of_names_the_pair_only(new_uow: NewUnit) -> None:
    ana, luis = person("Ana Torres"), person("Luis Vega")
    await add(new_uow, ana, luis)
    async with new_uow() as uow:
        assert await uow.patients.add_care_relationship("doc-1", ana.id)
        await uow.commit()
    assert await in_care_of(new_uow, "doc-1", ana.id)
    assert not await in_care_of(new_uow, "doc-1", luis.id)
    assert not await in_care_of(new_uow, "doc-2", ana.id)
    assert not await in_care_of(new_uow, ana.id, "doc-1")


async def test_a_removed_or_uncommitted_relationship_is_not_care(new_uow: NewUnit) -> None:
    ana = person("Ana Torres")
    await add(new_uow, ana)
    async with new_uow() as uow:
        assert await uow.patients.add_care_relationship("doc-1", ana.id)
        assert await uow.patient_directory.in_care_of("doc-1", ana.id)
    assert not await in_care_of(new_uow, "doc-1", ana.id)
    async with new_uow() as uow:
        assert await uow.patients.add_care_relationship("doc-1", ana.id)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.patients.remove_care_relationship("doc-1", ana.id)
        await uow.commit()
    assert not await in_care_of(new_uow, "doc-1", ana.id)
