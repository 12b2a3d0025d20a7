"""The StampRepository port on every backend (memory, SQLite, PostgreSQL): one active stamp
per file, and removed stamps stay in the history."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from carehub.documents.errors import StampExists
from carehub.documents.model import Category, Stamp
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.support.file_records import MINUTE, NOW, NewDocumentsUnit, a_file, store
from tests.support.services import REUSED_ID


@pytest.fixture(autouse=True)
async def three_reports(new_uow: NewDocumentsUnit) -> None:
    """Files 1, 2 and 3, the lab reports the stamps go on."""
    await store(new_uow, *(a_file(n, category=Category.LAB) for n in (1, 2, 3)))


def a_stamp(n: int, file_n: int = 1, *, minutes: int = 0, note: str | None = None) -> Stamp:
    return Stamp(
        id=f"stamp-{n}",
        file_id=a_file(file_n).id,
        stamped_by="dr-1",
        stamped_at=NOW + minutes * MINUTE,
        note=note,
    )


def removed(stamp: Stamp, *, minutes: int) -> Stamp:
    return replace(
        stamp,
        removed_by="admin-1",
        removed_at=(NOW + minutes * MINUTE).astimezone(ZoneInfo("Europe/Madrid")),
        removal_reason="Stamped the wrong report",
    )


async def test_a_file_has_one_active_stamp_and_the_unit_goes_on(new_uow: NewDocumentsUnit) -> None:
    first = a_stamp(1, note="Checked against the original films")
    async with new_uow() as uow:
        await uow.stamps.add(first)
        with pytest.raises(StampExists):
            await uow.stamps.add(a_stamp(2, minutes=1))
        await uow.stamps.add(a_stamp(3, file_n=2))
        await uow.commit()
    async with new_uow() as uow:
        with pytest.raises(StampExists):
            await uow.stamps.add(a_stamp(4, minutes=2))
        assert await uow.stamps.active(a_file(1).id) == first
        assert await uow.stamps.active(a_file(2).id) == a_stamp(3, file_n=2)
        assert await uow.stamps.active(a_file(3).id) is None


async def test_a_stamp_id_is_used_once(new_uow: NewDocumentsUnit) -> None:
    # The port names no error for a reused id (ids are fresh UUIDs); each store refuses it
    # its own way (SQL's primary key, the memory store's check) and keeps the first.
    first = a_stamp(1)
    async with new_uow() as uow:
        await uow.stamps.add(first)
        await uow.commit()
    async with new_uow() as uow:
        with pytest.raises(REUSED_ID):  # an id is used once, not a second stamp
            await uow.stamps.add(a_stamp(1, file_n=3))
        assert await uow.stamps.active(a_file(1).id) == first
        assert await uow.stamps.active(a_file(3).id) is None


async def test_a_removed_stamp_makes_way_and_stays_in_the_history(
    new_uow: NewDocumentsUnit,
) -> None:
    first, second = a_stamp(1), a_stamp(2, minutes=5, note="Re-read")
    async with new_uow() as uow:
        await uow.stamps.add(first)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.stamps.remove(removed(first, minutes=3))
        assert not await uow.stamps.remove(removed(first, minutes=4))  # already removed
        assert not await uow.stamps.remove(removed(a_stamp(9), minutes=4))  # never stamped
        assert await uow.stamps.active(a_file(1).id) is None
        await uow.stamps.add(second)
        await uow.commit()
    files = [a_file(n).id for n in (1, 2, 3)]
    async with new_uow() as uow:
        assert await uow.stamps.active(files[0]) == second
        history = await uow.stamps.history([*files, "never-stored"])
        assert await uow.stamps.history([]) == {}
    assert history == {
        files[0]: [removed(first, minutes=3), second],
        files[1]: [],
        files[2]: [],
        "never-stored": [],
    }
    assert not history[files[0]][0].active and history[files[0]][1].active


async def test_the_history_of_many_files_is_read_oldest_first(new_uow: NewDocumentsUnit) -> None:
    async with new_uow() as uow:
        # Added newest first, and file 2's stamps between file 1's.
        await uow.stamps.add(removed(a_stamp(1, minutes=30), minutes=31))
        await uow.stamps.add(removed(a_stamp(2, file_n=2, minutes=20), minutes=21))
        await uow.stamps.add(removed(a_stamp(3, minutes=10), minutes=11))
        await uow.stamps.add(a_stamp(4, file_n=2, minutes=25))
        await uow.stamps.add(a_stamp(5, minutes=40))
        await uow.commit()
    async with new_uow() as uow:
        history = await uow.stamps.history([a_file(2).id, a_file(1).id])
    assert {f: [s.id for s in stamps] for f, stamps in history.items()} == {
        a_file(1).id: ["stamp-3", "stamp-1", "stamp-5"],
        a_file(2).id: ["stamp-2", "stamp-4"],
    }
