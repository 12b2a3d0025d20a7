"""The CountryRepository port on every backend (memory, SQLite, PostgreSQL, DynamoDB), and the
read-only CountryDirectory scheduling sees it through: ids and codes are unique, writes
are conditional on the version, and every country is listed by id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from carehub.countries.errors import CountryTaken
from carehub.countries.model import Country, profile_for
from carehub.countries.ports import CountriesUnitOfWork
from carehub.countries.rules import NotificationText
from carehub.scheduling.ports import SchedulingUnitOfWork
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)

NewUnit = Callable[[], CountriesUnitOfWork]

NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)


def country(country_id: str, code: str = "PE") -> Country:
    """A country with its code's default rules."""
    profile = profile_for(code)
    return Country(
        id=country_id,
        code=code,
        name=profile.name,
        time_zones=profile.time_zones,
        locale=profile.locale,
        rules=profile.rules,
        created_at=NOW,
        updated_at=NOW,
    )


async def add(new_uow: NewUnit, *countries: Country) -> None:
    async with new_uow() as uow:
        for c in countries:
            await uow.countries.add(c)
        await uow.commit()


async def get(new_uow: NewUnit, country_id: str) -> Country | None:
    async with new_uow() as uow:
        return await uow.countries.get(country_id)


async def test_every_field_comes_back_by_id_and_by_code(new_uow: NewUnit) -> None:
    base = country("002", "CO")
    full = replace(
        base,
        time_zones=("America/Bogota", "America/Lima"),
        rules=replace(base.rules, slot_minutes=20, horizon_days=30),
        texts={"es": {"confirmed": NotificationText("Cita {appointmentId}", "A las {localTime}")}},
        closed_dates=(date(2031, 7, 20), date(2031, 8, 7)),
        version=3,
        created_at=NOW.astimezone(ZoneInfo("America/Bogota")),
        updated_at=NOW + timedelta(hours=1, microseconds=5),
    )
    await add(new_uow, full)
    assert await get(new_uow, "002") == full
    async with new_uow() as uow:
        assert await uow.countries.get_by_code("CO") == full
        assert await uow.countries.get_by_code("PE") is None
        assert await uow.countries.get("CO") is None  # an id is not a code


async def test_a_taken_id_raises_country_taken(new_uow: NewUnit) -> None:
    first = country("PE")
    await add(new_uow, first)
    with pytest.raises(CountryTaken) as by_id:
        await add(new_uow, country("PE", "CO"))
    assert by_id.value.field == "countryId"
    async with new_uow() as uow:
        assert await uow.countries.list_all() == [first]


async def test_records_may_share_a_code_and_by_code_reads_the_first_by_id(
    new_uow: NewUnit,
) -> None:
    """Seed 001 adds "002" with code CL beside the shipped "CL": both share CL's rules."""
    shipped, seeded, later = country("CL", "CL"), country("002", "CL"), country("z-cl", "CL")
    await add(new_uow, shipped, later)
    await add(new_uow, seeded)
    async with new_uow() as uow:
        assert await uow.countries.list_all() == [seeded, shipped, later]
        assert await uow.countries.get_by_code("CL") == seeded


async def test_replace_with_the_expected_version_stores_it(new_uow: NewUnit) -> None:
    await add(new_uow, country("PE"))
    closed = replace(country("PE"), closed_dates=(date(2031, 7, 28),), version=2)
    async with new_uow() as uow:
        assert await uow.countries.replace(closed, expected_version=1)
        await uow.commit()
    assert await get(new_uow, "PE") == closed


async def test_replace_with_a_stale_version_returns_false_and_writes_nothing(
    new_uow: NewUnit,
) -> None:
    await add(new_uow, country("PE"))
    late = replace(country("PE"), name="Perú", version=3)
    async with new_uow() as uow:
        assert not await uow.countries.replace(late, expected_version=2)
        assert not await uow.countries.replace(country("CO", "CO"), expected_version=1)
        await uow.commit()
    assert await get(new_uow, "PE") == country("PE")
    assert await get(new_uow, "CO") is None


async def test_every_country_is_listed_by_id(new_uow: NewUnit) -> None:
    async with new_uow() as uow:
        assert await uow.countries.list_all() == []
    stored = [country("pe", "PE"), country("002", "CO"), country("CL", "CL")]
    await add(new_uow, *stored)
    async with new_uow() as uow:
        assert [c.id for c in await uow.countries.list_all()] == ["002", "CL", "pe"]


async def test_leaving_without_commit_writes_nothing(new_uow: NewUnit) -> None:
    await add(new_uow, country("PE"))
    async with new_uow() as uow:
        await uow.countries.add(country("CO", "CO"))
        assert await uow.countries.replace(replace(country("PE"), version=2), expected_version=1)
        assert await uow.countries.get_by_code("CO") == country("CO", "CO")  # its own writes
    assert await get(new_uow, "CO") is None
    assert await get(new_uow, "PE") == country("PE")


async def test_scheduling_reads_the_same_countries(
    new_uow: Callable[[], SchedulingUnitOfWork],
) -> None:
    """The CountryDirectory port: scheduling's read-only view of these records."""
    stored = country("002", "CO")
    await add(new_uow, stored)  # one store serves both ports
    async with new_uow() as uow:
        assert await uow.countries.get("002") == stored
        assert await uow.countries.get_by_code("CO") == stored
        assert await uow.countries.get("nowhere") is None
