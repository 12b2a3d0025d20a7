"""The SlotClaims port on every backend (memory, SQLite, PostgreSQL): the store refuses
overlapping claims.

The plan of its busy-time read is checked in tests/query_plans/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from carehub.scheduling.claims import BusyInterval, ClaimKind, SlotClaim
from carehub.scheduling.errors import SlotTaken
from carehub.scheduling.ports import SchedulingUnitOfWork
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.support.services import REUSED_ID

NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
NINE = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
DAY = (NINE - timedelta(hours=9), NINE + timedelta(hours=15))

NewUnit = Callable[[], SchedulingUnitOfWork]
OWN_PATIENT = "<a patient of its own>"


def appointment(
    claim_id: str,
    *,
    doctor: str = "doc-1",
    patient: str | None = OWN_PATIENT,
    start: datetime = NINE,
    minutes: int = 30,
    owner: str | None = None,
) -> SlotClaim:
    return SlotClaim(
        id=claim_id,
        kind=ClaimKind.APPOINTMENT,
        owner_id=owner or f"owner-{claim_id}",
        doctor_id=doctor,
        patient_id=f"patient-{claim_id}" if patient == OWN_PATIENT else patient,
        start=start,
        end=start + minutes * MINUTE,
    )


def hold(claim_id: str, *, expires_at: datetime, **fields: object) -> SlotClaim:
    a = appointment(claim_id, **fields)  # type: ignore[arg-type]
    return SlotClaim(
        id=a.id,
        kind=ClaimKind.HOLD,
        owner_id=a.owner_id,
        doctor_id=a.doctor_id,
        patient_id=a.patient_id,
        start=a.start,
        end=a.end,
        expires_at=expires_at,
    )


async def claim(new_uow: NewUnit, *claims: SlotClaim, now: datetime = NOW) -> None:
    """Commits the claims together (one unit of work)."""
    async with new_uow() as uow:
        for c in claims:
            await uow.slot_claims.claim(c, now=now)
        await uow.commit()


async def refusal(new_uow: NewUnit, c: SlotClaim, now: datetime = NOW) -> str:
    """The party a claim is refused for (the unit is rolled back)."""
    async with new_uow() as uow:
        with pytest.raises(SlotTaken) as refused:
            await uow.slot_claims.claim(c, now=now)
    return refused.value.party


async def doctor_busy(new_uow: NewUnit, doctor: str = "doc-1", now: datetime = NOW) -> list[str]:
    async with new_uow() as uow:
        found = await uow.slot_claims.busy(doctor_id=doctor, start=DAY[0], end=DAY[1], now=now)
    return [b.owner_id for b in found]


async def test_claims_that_touch_are_both_kept(new_uow: NewUnit) -> None:
    first = appointment("a", patient="p-1")
    second = appointment("b", patient="p-1", start=NINE + 30 * MINUTE)
    await claim(new_uow, first)
    await claim(new_uow, second)
    async with new_uow() as uow:
        busy = await uow.slot_claims.busy(doctor_id="doc-1", start=DAY[0], end=DAY[1], now=NOW)
        mine = await uow.slot_claims.patient_busy(
            patient_id="p-1", start=DAY[0], end=DAY[1], now=NOW
        )
    assert busy == [
        BusyInterval(NINE, NINE + 30 * MINUTE, "owner-a"),
        BusyInterval(NINE + 30 * MINUTE, NINE + 60 * MINUTE, "owner-b"),
    ]
    assert mine == busy


async def test_an_overlap_for_the_same_doctor_is_refused(new_uow: NewUnit) -> None:
    await claim(new_uow, appointment("a"))
    assert await refusal(new_uow, appointment("b", start=NINE + 29 * MINUTE)) == "doctor"
    assert await refusal(new_uow, appointment("c", start=NINE - 29 * MINUTE)) == "doctor"
    assert await refusal(new_uow, appointment("d", start=NINE + 10 * MINUTE, minutes=5)) == (
        "doctor"
    )
    assert await doctor_busy(new_uow) == ["owner-a"]


async def test_the_same_instant_in_another_zone_overlaps(new_uow: NewUnit) -> None:
    await claim(new_uow, appointment("a"))
    berlin = NINE.astimezone(ZoneInfo("Europe/Berlin")) + 15 * MINUTE
    assert await refusal(new_uow, appointment("b", start=berlin)) == "doctor"


async def test_the_same_patient_with_another_doctor_is_refused(new_uow: NewUnit) -> None:
    await claim(new_uow, appointment("a", patient="p-1"))
    taken = appointment("b", doctor="doc-2", patient="p-1", start=NINE + 15 * MINUTE)
    assert await refusal(new_uow, taken) == "patient"
    # Another patient may see that doctor, and a claim without a patient ignores patients.
    await claim(new_uow, appointment("c", doctor="doc-2", patient="p-2"))
    await claim(new_uow, appointment("d", doctor="doc-3", patient=None))
    await claim(new_uow, appointment("e", doctor="doc-4", patient=None))
    assert await doctor_busy(new_uow, "doc-2") == ["owner-c"]


async def test_an_owner_may_overlap_its_own_claims(new_uow: NewUnit) -> None:
    """A reschedule holds the old and the new claim in one transaction."""
    await claim(new_uow, appointment("old", patient="p-1", owner="appt-1"))
    moved = appointment("new", patient="p-1", owner="appt-1", start=NINE + 15 * MINUTE)
    async with new_uow() as uow:
        await uow.slot_claims.claim(moved, now=NOW)
        assert await uow.slot_claims.release("old")
        await uow.commit()
    async with new_uow() as uow:
        busy = await uow.slot_claims.busy(doctor_id="doc-1", start=DAY[0], end=DAY[1], now=NOW)
    assert busy == [BusyInterval(moved.start, moved.end, "appt-1")]
    assert await refusal(new_uow, appointment("other", patient="p-2")) == "doctor"


async def test_releasing_frees_the_time(new_uow: NewUnit) -> None:
    await claim(new_uow, appointment("a", owner="appt-1"))
    await claim(new_uow, appointment("b", owner="appt-1", start=NINE + 60 * MINUTE))
    async with new_uow() as uow:
        assert await uow.slot_claims.release("a")
        assert not await uow.slot_claims.release("a")
        assert not await uow.slot_claims.release("never-made")
        await uow.commit()
    await claim(new_uow, appointment("c"))
    async with new_uow() as uow:
        assert await uow.slot_claims.release_owner("appt-1") == 1
        assert await uow.slot_claims.release_owner("appt-1") == 0
        await uow.commit()
    await claim(new_uow, appointment("d", start=NINE + 60 * MINUTE))
    assert await doctor_busy(new_uow) == ["owner-c", "owner-d"]


async def test_an_expired_hold_gives_way_and_an_unexpired_one_does_not(
    new_uow: NewUnit,
) -> None:
    await claim(new_uow, hold("h", patient="p-1", expires_at=NOW + 10 * MINUTE))
    later = NOW + 10 * MINUTE
    assert await refusal(new_uow, appointment("early", patient="p-2"), now=later - MINUTE) == (
        "doctor"
    )
    # Expiry counts for the patient too: another doctor, the held patient.
    other_doctor = appointment("a", doctor="doc-2", patient="p-1", start=NINE + 15 * MINUTE)
    await claim(new_uow, other_doctor, now=later)
    await claim(new_uow, appointment("b", patient="p-3"), now=later)
    assert await doctor_busy(new_uow, now=later) == ["owner-b"]
    async with new_uow() as uow:
        assert await uow.slot_claims.expired_holds(now=later + timedelta(days=1), limit=10) == []


async def test_busy_leaves_out_expired_holds(new_uow: NewUnit) -> None:
    await claim(
        new_uow,
        hold("h1", expires_at=NOW + 5 * MINUTE),
        hold("h2", start=NINE + 60 * MINUTE, expires_at=NOW + 15 * MINUTE),
        appointment("a", start=NINE + 120 * MINUTE),
    )
    assert await doctor_busy(new_uow) == ["owner-h1", "owner-h2", "owner-a"]
    assert await doctor_busy(new_uow, now=NOW + 5 * MINUTE) == ["owner-h2", "owner-a"]
    assert await doctor_busy(new_uow, now=NOW + 20 * MINUTE) == ["owner-a"]
    async with new_uow() as uow:
        narrow = await uow.slot_claims.busy(
            doctor_id="doc-1", start=NINE + 30 * MINUTE, end=NINE + 121 * MINUTE, now=NOW
        )
        assert [b.owner_id for b in narrow] == ["owner-h2", "owner-a"]
        held = await uow.slot_claims.patient_busy(
            patient_id="patient-h1", start=DAY[0], end=DAY[1], now=NOW + 5 * MINUTE
        )
        assert held == []


async def test_expired_holds_are_listed_oldest_first(new_uow: NewUnit) -> None:
    h1 = hold("h1", expires_at=NOW + 2 * MINUTE)
    h2 = hold("h2", start=NINE + 60 * MINUTE, expires_at=NOW + MINUTE)
    h3 = hold("h3", start=NINE + 120 * MINUTE, expires_at=NOW + 30 * MINUTE)
    await claim(new_uow, h1, h2, h3, appointment("a", start=NINE + 180 * MINUTE))
    async with new_uow() as uow:
        assert await uow.slot_claims.expired_holds(now=NOW, limit=10) == []
        assert await uow.slot_claims.expired_holds(now=NOW + 5 * MINUTE, limit=10) == [h2, h1]
        assert await uow.slot_claims.expired_holds(now=NOW + 5 * MINUTE, limit=1) == [h2]


async def test_a_refused_claim_writes_nothing_and_the_unit_goes_on(new_uow: NewUnit) -> None:
    await claim(
        new_uow,
        hold("h", patient="p-1", expires_at=NOW),
        appointment("x", doctor="doc-2", patient="p-2"),
    )
    async with new_uow() as uow:
        await uow.slot_claims.claim(appointment("a", start=NINE + 60 * MINUTE), now=NOW)
        # Would replace the expired hold, but the patient is busy with doc-2.
        refused = appointment("b", patient="p-2", start=NINE + 10 * MINUTE)
        with pytest.raises(SlotTaken) as taken:
            await uow.slot_claims.claim(refused, now=NOW)
        assert taken.value.party == "patient"
        await uow.slot_claims.claim(appointment("c", start=NINE + 90 * MINUTE), now=NOW)
        await uow.commit()
    async with new_uow() as uow:
        # The hold's deletion went with the refused claim.
        assert [h.id for h in await uow.slot_claims.expired_holds(now=NOW, limit=10)] == ["h"]
    assert await doctor_busy(new_uow, now=NOW - MINUTE) == ["owner-h", "owner-a", "owner-c"]


async def test_a_refused_claim_rolls_back_cleanly(new_uow: NewUnit) -> None:
    await claim(new_uow, appointment("a"))
    async with new_uow() as uow:
        await uow.slot_claims.claim(appointment("b", start=NINE + 60 * MINUTE), now=NOW)
        with pytest.raises(SlotTaken):
            await uow.slot_claims.claim(appointment("c"), now=NOW)
    assert await doctor_busy(new_uow) == ["owner-a"]
    await claim(new_uow, appointment("d", start=NINE + 60 * MINUTE))
    assert await doctor_busy(new_uow) == ["owner-a", "owner-d"]


async def test_a_claim_id_is_used_once(new_uow: NewUnit) -> None:
    # The port names no error for a reused id (ids are fresh UUIDs); each store refuses it
    # its own way (SQL's primary key, the memory store's check) and keeps the first.
    await claim(new_uow, appointment("a"))
    async with new_uow() as uow:
        with pytest.raises(REUSED_ID):
            await uow.slot_claims.claim(appointment("a", start=NINE + 60 * MINUTE), now=NOW)
    assert await doctor_busy(new_uow) == ["owner-a"]
