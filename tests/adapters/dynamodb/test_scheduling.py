"""Scheduling on DynamoDB beyond its contract suites: overlapping claims that both pass the
early read meet on a unit key at commit (one winner, the loser told whose time it was),
many concurrent claims of one slot commit exactly once, conditional replaces lost at
commit say so, a claim lists only its first unit per party as busy time (the rest cost no
index write) and is still seen from inside its interval, and an appointment search
checking a criterion on the items stops at its read budget."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from carehub.adapters.dynamodb import appointments as dynamo_appointments
from carehub.adapters.dynamodb.capacity_meter import metered_request
from carehub.adapters.dynamodb.items import to_wire
from carehub.adapters.dynamodb.table_client import Capacity, DynamoTable
from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from carehub.adapters.dynamodb.writes import ChangedMeanwhile
from carehub.scheduling.errors import SlotTaken
from carehub.scheduling.model import Action, HoldStatus, Status
from carehub.scheduling.ports import AppointmentFilter
from tests.contract import test_appointment_repository as appointments
from tests.contract import test_hold_repository as holds
from tests.contract.test_slot_claims import DAY, MINUTE, NINE, NOW, appointment, hold

NewUnit = Callable[[], DynamoUnitOfWork]
CONTENDERS = 50

pytestmark = pytest.mark.aws


async def busy_owners(new_uow: NewUnit, doctor: str = "doc-1") -> list[str]:
    async with new_uow() as uow:
        found = await uow.slot_claims.busy(doctor_id=doctor, start=DAY[0], end=DAY[1], now=NOW)
    return [b.owner_id for b in found]


@pytest.mark.parametrize(
    ("doctor", "party"), [("doc-1", "doctor"), ("doc-2", "patient")], ids=["doctor", "patient"]
)
async def test_an_overlap_that_passed_the_early_read_is_refused_at_commit(
    new_uow: NewUnit, doctor: str, party: str
) -> None:
    first = appointment("a", patient="p-1")
    second = appointment("b", doctor=doctor, patient="p-1", start=NINE + 25 * MINUTE)
    winner, loser = new_uow(), new_uow()
    async with winner, loser:
        await winner.slot_claims.claim(first, now=NOW)
        await loser.slot_claims.claim(second, now=NOW)  # the time still looks free
        await winner.commit()
        with pytest.raises(SlotTaken) as refused:
            await loser.commit()
    assert refused.value.party == party
    assert await busy_owners(new_uow) == ["owner-a"]
    assert await busy_owners(new_uow, "doc-2") == []


async def test_many_concurrent_claims_of_one_slot_commit_exactly_once(
    new_uow: NewUnit,
) -> None:
    async def contend(n: int) -> str:
        """Whose time refused this contender; "won" when it committed."""
        # Every contender has a patient of its own: only the doctor's time is contended.
        try:
            async with new_uow() as uow:
                await uow.slot_claims.claim(appointment(f"c{n}"), now=NOW)
                await uow.commit()
        except SlotTaken as refused:
            return refused.party
        return "won"

    outcomes = await asyncio.gather(*(contend(n) for n in range(CONTENDERS)))
    assert sorted(set(outcomes)) == ["doctor", "won"]
    assert outcomes.count("won") == 1
    winner = f"owner-c{outcomes.index('won')}"
    assert await busy_owners(new_uow) == [winner]


async def test_an_expired_hold_taken_over_by_two_units_goes_to_one(new_uow: NewUnit) -> None:
    async with new_uow() as uow:
        await uow.slot_claims.claim(hold("h", expires_at=NOW), now=NOW - MINUTE)
        await uow.commit()
    first, second = new_uow(), new_uow()
    async with first, second:
        await first.slot_claims.claim(appointment("a", start=NINE + 10 * MINUTE), now=NOW)
        await second.slot_claims.claim(appointment("b", start=NINE + 15 * MINUTE), now=NOW)
        await first.commit()
        with pytest.raises(SlotTaken):
            await second.commit()
    assert await busy_owners(new_uow) == ["owner-a"]
    async with new_uow() as uow:
        assert await uow.slot_claims.expired_holds(now=NOW + timedelta(days=1), limit=10) == []


async def test_a_claim_off_the_five_minute_grid_holds_every_unit_it_touches(
    new_uow: NewUnit,
) -> None:
    """Off carehub's slot grid a claim is kept conservatively: it may be refused beside a
    claim it only touches (docs/dynamodb.md, "Slot claims"), never let overlap one."""
    async with new_uow() as uow:
        await uow.slot_claims.claim(appointment("a", minutes=28), now=NOW)
        await uow.commit()
    async with new_uow() as uow:
        with pytest.raises(SlotTaken):
            await uow.slot_claims.claim(appointment("b", start=NINE + 28 * MINUTE), now=NOW)
        await uow.slot_claims.claim(appointment("c", start=NINE + 30 * MINUTE), now=NOW)
        await uow.commit()
    assert await busy_owners(new_uow) == ["owner-a", "owner-c"]


async def listed_units(table: DynamoTable, index: str, partition: str) -> list[str]:
    items, _ = await table.query(
        Capacity(),
        IndexName=index,
        KeyConditionExpression=f"{index}PK = :pk",
        ExpressionAttributeValues=to_wire({":pk": partition}),
    )
    return [item[f"{index}SK"] for item in items]


async def test_a_claim_lists_its_first_unit_per_party_and_is_seen_from_inside(
    new_uow: NewUnit, table: DynamoTable
) -> None:
    two_hours = appointment("a", patient="p-1", minutes=120)
    async with new_uow() as uow:
        await uow.slot_claims.claim(two_hours, now=NOW)
        await uow.commit()
    assert await listed_units(table, "GSI1", "DOCTOR#doc-1#BUSY") == ["2031-03-10T09:00:00.000000Z"]
    assert await listed_units(table, "GSI2", "PATIENT#p-1#BUSY") == ["2031-03-10T09:00:00.000000Z"]
    async with new_uow() as uow:
        inside = await uow.slot_claims.busy(
            doctor_id="doc-1", start=NINE + 90 * MINUTE, end=NINE + 100 * MINUTE, now=NOW
        )
        after = await uow.slot_claims.busy(
            doctor_id="doc-1", start=NINE + 120 * MINUTE, end=NINE + 180 * MINUTE, now=NOW
        )
    assert ([b.owner_id for b in inside], after) == (["owner-a"], [])
    # Every unit still holds the time: a claim inside it is refused.
    async with new_uow() as uow:
        with pytest.raises(SlotTaken):
            await uow.slot_claims.claim(appointment("b", start=NINE + 115 * MINUTE), now=NOW)


async def test_adding_an_appointment_reads_nothing_first(new_uow: NewUnit) -> None:
    # A taken id is refused by the Put's condition at commit (the contract suite checks
    # that it is): a read before it would cost every booking a read unit.
    with metered_request() as reading:
        await appointments.add(new_uow, appointments.appointment("a"))
    assert [label for label in reading()["items"] if label.startswith("GetItem")] == []


async def test_replaces_that_passed_their_read_fail_the_later_commit(new_uow: NewUnit) -> None:
    await appointments.add(new_uow, appointments.appointment("a"))
    await holds.add(new_uow, holds.hold("h1"))
    current = appointments.appointment("a")
    confirmed = current.moved(Action.CONFIRM, actor_id="dr-1", at=NOW)
    rejected = current.moved(Action.REJECT, actor_id="system", at=NOW)
    first, second = new_uow(), new_uow()
    async with first, second:
        assert await first.appointments.replace(confirmed, expected_version=1)
        assert await first.holds.replace(
            holds.hold("h1", status=HoldStatus.BOOKED), expected_status="active"
        )
        assert await second.appointments.replace(rejected, expected_version=1)
        await first.commit()
        with pytest.raises(ChangedMeanwhile):
            await second.commit()
    assert await appointments.get(new_uow, "a") == confirmed
    held = new_uow(), new_uow()
    async with held[0], held[1]:
        for unit, status in zip(held, (HoldStatus.RELEASED, HoldStatus.EXPIRED), strict=True):
            assert await unit.holds.replace(
                holds.hold("h1", status=status), expected_status="booked"
            )
        await held[0].commit()
        with pytest.raises(ChangedMeanwhile):
            await held[1].commit()
    assert await holds.get(new_uow, "h1") == holds.hold("h1", status=HoldStatus.RELEASED)


async def test_a_search_past_its_read_budget_returns_a_short_page_and_a_cursor(
    new_uow: NewUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dynamo_appointments, "READ_BUDGET", 3)
    booked = [appointments.appointment(f"a{n}", start=NINE + n * 30 * MINUTE) for n in range(4)]
    booked[3] = replace(booked[3], status=Status.CONFIRMED)
    await appointments.add(new_uow, *booked)
    criteria = AppointmentFilter(country_id="PE", status=Status.CONFIRMED)
    async with new_uow() as uow:
        first = await uow.appointments.search(criteria, cursor=None, limit=10)
        assert (first.items, first.next_cursor is not None) == ([], True)
        rest = await uow.appointments.search(criteria, cursor=first.next_cursor, limit=10)
    assert ([a.id for a in rest.items], rest.next_cursor) == (["a3"], None)
