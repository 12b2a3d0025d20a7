"""The WaitlistRepository port on every backend (memory, SQLite, PostgreSQL): an entry
comes back whole, changes only from the status expected, the first to join gets a freed
slot that fits it, and a patient's entries are listed by id in pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from carehub.scheduling.model import WaitlistEntry, WaitStatus
from carehub.scheduling.ports import SchedulingUnitOfWork
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.support.services import REUSED_ID

NewUnit = Callable[[], SchedulingUnitOfWork]

NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
NINE = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SLOT = (NINE, NINE + 30 * MINUTE)


def entry(
    entry_id: str,
    *,
    doctor: str | None = "doc-1",
    specialty: str | None = None,
    joined: int = 0,
    earliest: datetime = NINE - 60 * MINUTE,
    latest: datetime = NINE + 60 * MINUTE,
    patient: str = "p-1",
    status: WaitStatus = WaitStatus.WAITING,
) -> WaitlistEntry:
    """An entry that joined `joined` minutes after NOW, waiting for `doctor` (or, without
    one, for `specialty` in PE)."""
    return WaitlistEntry(
        id=entry_id,
        patient_id=patient,
        country_id="PE",
        doctor_id=doctor,
        specialty_key=specialty,
        earliest=earliest,
        latest=latest,
        status=status,
        offered_hold_id=None,
        created_at=NOW + joined * MINUTE,
        updated_at=NOW + joined * MINUTE,
    )


async def add(new_uow: NewUnit, *entries: WaitlistEntry) -> None:
    async with new_uow() as uow:
        for e in entries:
            await uow.waitlist.add(e)
        await uow.commit()


async def get(new_uow: NewUnit, entry_id: str) -> WaitlistEntry | None:
    async with new_uow() as uow:
        return await uow.waitlist.get(entry_id)


async def first(
    new_uow: NewUnit, doctor: str = "doc-1", skip: frozenset[str] = frozenset()
) -> str | None:
    """The entry offered the freed SLOT of `doctor` (a cardiologist in PE)."""
    async with new_uow() as uow:
        found = await uow.waitlist.first_waiting(
            doctor_id=doctor,
            country_id="PE",
            specialty_key="cardiology",
            start=SLOT[0],
            end=SLOT[1],
            skip=skip,
        )
    return None if found is None else found.id


async def test_what_is_added_comes_back(new_uow: NewUnit) -> None:
    by_doctor = entry("w1")
    by_specialty = entry("w2", doctor=None, specialty="cardiology", status=WaitStatus.OFFERED)
    await add(new_uow, by_doctor, by_specialty)
    assert await get(new_uow, "w1") == by_doctor
    assert await get(new_uow, "w2") == by_specialty
    assert await get(new_uow, "nothing") is None


async def test_an_entry_id_is_used_once(new_uow: NewUnit) -> None:
    # The port names no error for a reused id (ids are fresh UUIDs); each store refuses it
    # its own way (SQL's primary key, the memory store's check) and keeps the first.
    await add(new_uow, entry("w1"))
    with pytest.raises(REUSED_ID):
        await add(new_uow, entry("w1", patient="p-2"))
    assert await get(new_uow, "w1") == entry("w1")


async def test_an_entry_changes_only_from_the_expected_status(new_uow: NewUnit) -> None:
    await add(new_uow, entry("w1"))
    offered = replace(
        entry("w1"), status=WaitStatus.OFFERED, offered_hold_id="h1", updated_at=NOW + MINUTE
    )
    async with new_uow() as uow:
        assert not await uow.waitlist.replace(offered, expected_status="offered")
        assert await uow.waitlist.replace(offered, expected_status="waiting")
        assert not await uow.waitlist.replace(entry("ghost"), expected_status="waiting")
        await uow.commit()
    assert await get(new_uow, "w1") == offered
    assert await get(new_uow, "ghost") is None
    async with new_uow() as uow:  # left without commit
        assert await uow.waitlist.replace(entry("w1"), expected_status="offered")
    assert await get(new_uow, "w1") == offered


async def test_the_first_to_join_whose_range_holds_the_slot_gets_it(new_uow: NewUnit) -> None:
    await add(
        new_uow,
        entry("too-late-a-range", joined=0, latest=SLOT[1] - MINUTE),
        entry("too-early-a-range", joined=0, earliest=SLOT[0] + MINUTE),
        entry("other-doctor", joined=0, doctor="doc-2"),
        entry("offered-already", joined=0, status=WaitStatus.OFFERED),
        entry("other-specialty", joined=0, doctor=None, specialty="neurology"),
        entry("doctor-second", joined=2),
        entry("specialty-first", joined=1, doctor=None, specialty="cardiology"),
        entry("exact-range-third", joined=3, earliest=SLOT[0], latest=SLOT[1]),
    )
    assert await first(new_uow) == "specialty-first"
    assert await first(new_uow, skip=frozenset({"specialty-first"})) == "doctor-second"
    skipped = frozenset({"specialty-first", "doctor-second"})
    assert await first(new_uow, skip=skipped) == "exact-range-third"
    assert await first(new_uow, skip=skipped | {"exact-range-third"}) is None
    # Another cardiologist of PE: only the specialty entries and its own.
    assert await first(new_uow, doctor="doc-2") == "other-doctor"
    assert await first(new_uow, doctor="doc-3") == "specialty-first"


async def test_joining_at_the_same_moment_is_settled_by_id(new_uow: NewUnit) -> None:
    await add(new_uow, entry("w-b"), entry("w-a", doctor=None, specialty="cardiology"))
    assert await first(new_uow) == "w-a"


@pytest.mark.parametrize("limit", [1, 2, 50])
async def test_a_patients_entries_are_listed_by_id_in_pages(new_uow: NewUnit, limit: int) -> None:
    await add(
        new_uow,
        entry("w3"),
        entry("w1", status=WaitStatus.CANCELLED),
        entry("w2", doctor=None, specialty="cardiology"),
        entry("w0", patient="p-2"),
    )
    ids: list[str] = []
    cursor: str | None = None
    async with new_uow() as uow:
        while True:
            page = await uow.waitlist.for_patient("p-1", cursor=cursor, limit=limit)
            assert len(page.items) <= limit
            ids += [e.id for e in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert (await uow.waitlist.for_patient("p-9", cursor=None, limit=limit)).items == []
    assert ids == ["w1", "w2", "w3"]
