"""The HoldRepository port on every backend (memory, SQLite, PostgreSQL): a hold comes
back whole, its status changes only from the status expected, due holds come oldest first,
and a slot's lapsed waitlist offers are found exactly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from carehub.scheduling.model import Hold, HoldStatus
from carehub.scheduling.ports import SchedulingUnitOfWork
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.support.services import REUSED_ID

NewUnit = Callable[[], SchedulingUnitOfWork]

NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
NINE = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def hold(
    hold_id: str,
    *,
    expires_in: int = 10,
    start: datetime = NINE,
    status: HoldStatus = HoldStatus.ACTIVE,
    offer: str | None = None,
) -> Hold:
    return Hold(
        id=hold_id,
        country_id="PE",
        doctor_id="doc-1",
        patient_id="p-1",
        start=start,
        end=start + 30 * MINUTE,
        expires_at=NOW + expires_in * MINUTE,
        status=status,
        waitlist_entry_id=offer,
        created_by="user-1",
        created_at=NOW,
    )


async def add(new_uow: NewUnit, *holds: Hold) -> None:
    async with new_uow() as uow:
        for h in holds:
            await uow.holds.add(h)
        await uow.commit()


async def get(new_uow: NewUnit, hold_id: str) -> Hold | None:
    async with new_uow() as uow:
        return await uow.holds.get(hold_id)


async def test_what_is_added_comes_back(new_uow: NewUnit) -> None:
    lima = ZoneInfo("America/Lima")
    offered = replace(hold("h1", offer="wait-1"), start=NINE.astimezone(lima))
    plain = hold("h2", status=HoldStatus.BOOKED)
    await add(new_uow, offered, plain)
    assert await get(new_uow, "h1") == offered
    assert await get(new_uow, "h2") == plain
    assert await get(new_uow, "nothing") is None


async def test_a_hold_id_is_used_once(new_uow: NewUnit) -> None:
    # The port names no error for a reused id (ids are fresh UUIDs); each store refuses it
    # its own way (SQL's primary key, the memory store's check) and keeps the first.
    await add(new_uow, hold("h1"))
    with pytest.raises(REUSED_ID):
        await add(new_uow, hold("h1", start=NINE + 60 * MINUTE))
    assert await get(new_uow, "h1") == hold("h1")


async def test_the_status_changes_only_from_the_expected_one(new_uow: NewUnit) -> None:
    await add(new_uow, hold("h1"))
    released = hold("h1", status=HoldStatus.RELEASED)
    async with new_uow() as uow:
        assert not await uow.holds.replace(released, expected_status="expired")
        assert await uow.holds.replace(released, expected_status="active")
        assert not await uow.holds.replace(
            hold("h1", status=HoldStatus.EXPIRED), expected_status="active"
        )
        assert not await uow.holds.replace(hold("ghost"), expected_status="active")
        await uow.commit()
    assert await get(new_uow, "h1") == released
    assert await get(new_uow, "ghost") is None


async def test_leaving_without_commit_writes_nothing(new_uow: NewUnit) -> None:
    await add(new_uow, hold("h1"))
    async with new_uow() as uow:
        await uow.holds.add(hold("h2"))
        assert await uow.holds.replace(
            hold("h1", status=HoldStatus.RELEASED), expected_status="active"
        )
    assert await get(new_uow, "h2") is None
    assert await get(new_uow, "h1") == hold("h1")


async def test_active_holds_past_their_time_are_due_oldest_first(new_uow: NewUnit) -> None:
    await add(
        new_uow,
        hold("late", expires_in=5),
        hold("early", expires_in=1),
        hold("later", expires_in=30),
        hold("released", expires_in=0, status=HoldStatus.RELEASED),
        hold("booked", expires_in=0, status=HoldStatus.BOOKED),
    )
    async with new_uow() as uow:
        assert await uow.holds.due(now=NOW, limit=10) == []
        due = await uow.holds.due(now=NOW + 5 * MINUTE, limit=10)  # expiry is inclusive
        assert [h.id for h in due] == ["early", "late"]
        assert due[0] == hold("early", expires_in=1)
        assert [h.id for h in await uow.holds.due(now=NOW + 5 * MINUTE, limit=1)] == ["early"]


async def test_lapsed_offers_are_those_of_exactly_this_slot(new_uow: NewUnit) -> None:
    await add(
        new_uow,
        hold("h1", offer="w-expired", status=HoldStatus.EXPIRED),
        hold("h2", offer="w-released", status=HoldStatus.RELEASED),
        hold("h3", offer="w-active"),
        hold("h4", offer="w-booked", status=HoldStatus.BOOKED),
        hold("h5", status=HoldStatus.EXPIRED),  # no offer behind it
        hold("h6", offer="w-other-slot", status=HoldStatus.EXPIRED, start=NINE + 30 * MINUTE),
    )
    async with new_uow() as uow:
        lapsed = await uow.holds.lapsed_offers(
            doctor_id="doc-1", start=NINE, end=NINE + 30 * MINUTE
        )
        assert lapsed == frozenset({"w-expired", "w-released"})
        shorter = await uow.holds.lapsed_offers(
            doctor_id="doc-1", start=NINE, end=NINE + 15 * MINUTE
        )
        assert shorter == frozenset()
        other = await uow.holds.lapsed_offers(doctor_id="doc-2", start=NINE, end=NINE + 30 * MINUTE)
        assert other == frozenset()
