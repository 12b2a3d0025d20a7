"""The AnalyticsRepository port: daily counters that count up atomically per metric, day
and dimension, inside the unit's transaction."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from carehub.analytics.model import Increment, Metric
from tests.contract.conftest import WITH_DYNAMODB

# No memory fake of this port yet: the stores that keep counters.
STORES = [p for p in WITH_DYNAMODB if getattr(p, "values", (p,))[0] != "memory"]

MARCH_9, MARCH_10, MARCH_11 = date(2031, 3, 9), date(2031, 3, 10), date(2031, 3, 11)


@pytest.fixture(params=STORES, name="adapter")
def every_store(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def registered(day: date, country: str = "PE") -> Increment:
    return Increment(Metric.PATIENTS_REGISTERED, f"countryId={country}", day)


async def add(new_uow: object, *increments: Increment) -> None:
    async with new_uow() as uow:  # type: ignore[operator]
        for increment in increments:
            await uow.analytics.add(increment)
        await uow.commit()


async def daily(
    new_uow: object, metric: Metric, first: date, last: date
) -> list[tuple[date, str, int]]:
    async with new_uow() as uow:  # type: ignore[operator]
        found: list[tuple[date, str, int]] = await uow.analytics.daily(metric, first, last)
    return sorted(found)


async def test_counters_start_at_one_and_count_up(new_uow: object) -> None:
    await add(new_uow, registered(MARCH_10))
    await add(new_uow, registered(MARCH_10), registered(MARCH_10, "CL"))
    assert await daily(new_uow, Metric.PATIENTS_REGISTERED, MARCH_10, MARCH_10) == [
        (MARCH_10, "countryId=CL", 1),
        (MARCH_10, "countryId=PE", 2),
    ]


async def test_one_unit_adding_a_counter_twice_counts_two(new_uow: object) -> None:
    await add(new_uow, registered(MARCH_10), registered(MARCH_10))
    assert await daily(new_uow, Metric.PATIENTS_REGISTERED, MARCH_10, MARCH_10) == [
        (MARCH_10, "countryId=PE", 2)
    ]


async def test_daily_reads_both_ends_of_the_range_and_one_metric(new_uow: object) -> None:
    before, after = date(2031, 3, 8), date(2031, 3, 12)
    await add(new_uow, *(registered(day) for day in (before, MARCH_9, MARCH_10, MARCH_11, after)))
    await add(new_uow, Increment(Metric.APPOINTMENTS, "countryId=PE", MARCH_10))
    assert await daily(new_uow, Metric.PATIENTS_REGISTERED, MARCH_9, MARCH_11) == [
        (day, "countryId=PE", 1) for day in (MARCH_9, MARCH_10, MARCH_11)
    ]


async def test_an_uncommitted_unit_counts_nothing(new_uow: object) -> None:
    async with new_uow() as uow:  # type: ignore[operator]
        await uow.analytics.add(registered(MARCH_10))
    assert await daily(new_uow, Metric.PATIENTS_REGISTERED, MARCH_10, MARCH_10) == []


async def test_concurrent_units_lose_no_count(new_uow: object) -> None:
    await asyncio.gather(*(add(new_uow, registered(MARCH_10)) for _ in range(8)))
    assert await daily(new_uow, Metric.PATIENTS_REGISTERED, MARCH_10, MARCH_10) == [
        (MARCH_10, "countryId=PE", 8)
    ]
