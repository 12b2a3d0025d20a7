"""The patients domain's CountryDirectory contract (whether a country record exists, read
inside the unit that writes a patient): every adapter (memory, SQLite, PostgreSQL,
DynamoDB) passes it. Countries are written through the countries domain's port on the
same store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from carehub.countries.ports import CountriesUnitOfWork
from carehub.patients.ports import PatientsUnitOfWork
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.contract.test_country_repository import add, country


class Unit(PatientsUnitOfWork, CountriesUnitOfWork, Protocol):
    """One store seen through both domains' ports."""


NewUnit = Callable[[], Unit]


async def exists(new_uow: NewUnit, country_id: str) -> bool:
    async with new_uow() as uow:
        return await uow.country_directory.exists(country_id)


async def test_a_stored_country_exists_by_its_exact_id(new_uow: NewUnit) -> None:
    await add(new_uow, country("001", "PE"), country("CL", "CL"))
    assert await exists(new_uow, "001")
    assert await exists(new_uow, "CL")
    assert not await exists(new_uow, "PE")  # a code is not an id
    assert not await exists(new_uow, "cl")
    assert not await exists(new_uow, "ZZZ-nope")


async def test_nothing_exists_in_an_empty_store(new_uow: NewUnit) -> None:
    assert not await exists(new_uow, "PE")


async def test_a_unit_sees_its_own_country_and_others_only_once_committed(
    new_uow: NewUnit,
) -> None:
    async with new_uow() as uow:
        await uow.countries.add(country("PE"))
        assert await uow.country_directory.exists("PE")
    assert not await exists(new_uow, "PE")
    await add(new_uow, country("PE"))
    assert await exists(new_uow, "PE")
