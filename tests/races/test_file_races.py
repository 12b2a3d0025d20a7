"""Units of work racing over one patient's files, on every SQL backend: the store, not a
read before the write, decides who wins.

On PostgreSQL every unit has its own connection and transaction; on SQLite the units
interleave on one event loop and take turns at the single writer.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from carehub.documents.errors import StampExists
from carehub.documents.model import Category, Stamp
from carehub.documents.ports import PreopSlotTaken
from tests.support.file_records import (
    NOW,
    NewUnit,
    a_file,
    a_preop_image,
    file_id,
    get,
    open_units,
    race,
    store,
)

RACERS = 10


@pytest.fixture
async def new_uow(database_url: str, tmp_path: Path) -> AsyncIterator[NewUnit]:
    async with open_units(database_url, tmp_path) as units:
        yield units


async def test_concurrent_first_files_of_a_patient_share_one_storage_key(
    new_uow: NewUnit,
) -> None:
    async def first_file() -> str:
        async with new_uow() as uow:
            key = await uow.files.storage_key("p-1", new_key=uuid.uuid4().hex)
            await uow.commit()
        return key

    keys = await race([first_file] * 20)
    assert all(isinstance(k, str) for k in keys), keys
    assert len(set(keys)) == 1
    async with new_uow() as uow:
        assert await uow.files.known_storage_key("p-1") == keys[0]


async def test_one_of_many_units_takes_the_last_free_slot(new_uow: NewUnit) -> None:
    newcomers = [a_preop_image(10 + n, slot=None) for n in range(RACERS)]
    await store(new_uow, a_preop_image(1, slot=1), a_preop_image(2, slot=2), *newcomers)

    def take_slot_three(own_id: str) -> Callable[[], Awaitable[bool]]:
        async def take() -> bool:
            async with new_uow() as uow:
                own = await uow.files.get(own_id)
                assert own is not None
                taken = await uow.files.replace(replace(own, preop_slot=3), expected_revision=1)
                await uow.commit()
            return taken

        return take

    outcomes = await race([take_slot_three(f.id) for f in newcomers])
    assert outcomes.count(True) == 1, outcomes
    assert all(isinstance(o, PreopSlotTaken) for o in outcomes if o is not True), outcomes
    winner = newcomers[outcomes.index(True)].id
    async with new_uow() as uow:
        holders = await uow.files.preop_holders("p-1")
    assert [(f.id, f.preop_slot) for f in holders] == [
        (file_id(1), 1),
        (file_id(2), 2),
        (winner, 3),
    ]


async def test_units_replacing_the_oldest_preop_image_keep_three_distinct_slots(
    new_uow: NewUnit,
) -> None:
    held = [a_preop_image(n, slot=n) for n in (1, 2, 3)]
    newcomers = [a_preop_image(10 + n, slot=None) for n in range(RACERS)]
    await store(new_uow, *held, *newcomers)

    def replace_the_oldest(own_id: str) -> Callable[[], Awaitable[int]]:
        """Detaches the oldest holder and gives its slot to `own_id`; the attempts it took."""

        async def run() -> int:
            async with new_uow() as uow:
                for attempt in range(1, 4 * RACERS):
                    oldest = (await uow.files.preop_holders("p-1"))[0]
                    detached = replace(oldest, attached=False, preop_slot=None)
                    if not await uow.files.replace(detached, expected_revision=oldest.revision):
                        continue  # another unit displaced it first: read again
                    own = await uow.files.get(own_id)
                    assert own is not None
                    moved_in = replace(own, preop_slot=oldest.preop_slot)
                    assert await uow.files.replace(moved_in, expected_revision=own.revision)
                    await uow.commit()
                    return attempt
            raise AssertionError("never got a slot")

        return run

    outcomes = await race([replace_the_oldest(f.id) for f in newcomers])
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert max(o for o in outcomes if isinstance(o, int)) > 1  # some units did lose a race
    async with new_uow() as uow:
        holders = await uow.files.preop_holders("p-1")
        everyone = [await uow.files.get(f.id) for f in (*held, *newcomers)]
    assert len(holders) == 3
    assert sorted(f.preop_slot for f in holders if f.preop_slot is not None) == [1, 2, 3]
    assert all(f.attached for f in holders)
    displaced = [f for f in everyone if f is not None and f.id not in {h.id for h in holders}]
    assert len(displaced) == len(held) + len(newcomers) - 3
    assert all(not f.attached and f.preop_slot is None for f in displaced)


async def test_one_of_many_concurrent_stamps_of_a_file_wins(new_uow: NewUnit) -> None:
    report = a_file(1, category=Category.RADIOLOGY)
    await store(new_uow, report)

    def stamp(n: int) -> Callable[[], Awaitable[str]]:
        async def run() -> str:
            async with new_uow() as uow:
                await uow.stamps.add(
                    Stamp(
                        id=f"stamp-{n}",
                        file_id=report.id,
                        stamped_by=f"dr-{n}",
                        stamped_at=NOW,
                        note=None,
                    )
                )
                await uow.commit()
            return f"stamp-{n}"

        return run

    outcomes = await race([stamp(n) for n in range(RACERS)])
    winners = [o for o in outcomes if isinstance(o, str)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, StampExists) for o in outcomes if o not in winners), outcomes
    async with new_uow() as uow:
        active = await uow.stamps.active(report.id)
        history = await uow.stamps.history([report.id])
    assert active is not None and active.id == winners[0]
    assert history == {report.id: [active]}
    assert (await get(new_uow, report.id)).revision == 1  # stamps leave the file alone
