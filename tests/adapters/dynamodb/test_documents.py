"""Patient files and stamps on DynamoDB beyond their contract suites: units racing to the
commit for the last preop slot or a file's stamp leave exactly one winner, decided by the
guard items' conditions (not by the reads before them), and every loser gets the port's
error as a Conflict, never a server error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest

from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from carehub.documents.errors import StampExists
from carehub.documents.model import Category, FileStatus, Stamp
from carehub.documents.ports import PreopSlotTaken, VersionTaken
from carehub.documents.preop import take_preop_slot
from carehub.kernel.errors import Conflict
from tests.support.file_records import MINUTE, NOW, a_file, a_preop_image, file_id, race, store

NewUnit = Callable[[], DynamoUnitOfWork]
RACERS = 10

pytestmark = pytest.mark.aws


async def test_one_of_many_units_takes_the_last_free_preop_slot(new_uow: NewUnit) -> None:
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
    losers = [o for o in outcomes if o is not True]
    assert all(isinstance(o, PreopSlotTaken) for o in losers), outcomes
    # Those that lost at the commit, not at the read, lost with a 409.
    assert any(isinstance(o, Conflict) for o in losers), outcomes
    winner = newcomers[outcomes.index(True)].id
    async with new_uow() as uow:
        holders = await uow.files.preop_holders("p-1")
        others = [await uow.files.get(f.id) for f in newcomers if f.id != winner]
    assert [(f.id, f.preop_slot) for f in holders] == [
        (file_id(1), 1),
        (file_id(2), 2),
        (winner, 3),
    ]
    assert all(f is not None and f.revision == 1 and f.preop_slot is None for f in others)


async def test_completing_preop_images_at_once_fills_the_slots_exactly(new_uow: NewUnit) -> None:
    """The use case's own slot taking, each loser trying again as a client answered 409
    would: the two free slots go to two images, every other one finds the limit."""
    pending = [
        a_preop_image(10 + n, slot=None, status=FileStatus.PENDING, completed_at=None)
        for n in range(RACERS)
    ]
    await store(new_uow, a_preop_image(1, slot=1), *pending)

    def complete(own_id: str) -> Callable[[], Awaitable[int | None]]:
        async def attempt() -> int | None:
            async with new_uow() as uow:
                own = await uow.files.get(own_id)
                assert own is not None
                ready = replace(own, status=FileStatus.READY, completed_at=NOW + MINUTE)
                taken = await take_preop_slot(uow, ready)
                await uow.commit()
            return None if taken is None else taken[0].preop_slot

        async def run() -> int | None:
            for _ in range(4 * RACERS):
                try:
                    return await attempt()
                except Conflict:
                    continue
            raise AssertionError("never settled")

        return run

    outcomes = await race([complete(f.id) for f in pending])
    assert sorted(o for o in outcomes if isinstance(o, int)) == [2, 3], outcomes
    assert outcomes.count(None) == RACERS - 2, outcomes
    async with new_uow() as uow:
        holders = await uow.files.preop_holders("p-1")
    assert sorted(f.preop_slot for f in holders if f.preop_slot is not None) == [1, 2, 3]


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
                        stamped_at=NOW + n * MINUTE,
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
    assert history == {report.id: [active]}  # the losers left no stamp behind


async def test_two_units_removing_one_stamp_leave_one_removal(new_uow: NewUnit) -> None:
    report = a_file(1, category=Category.LAB)
    await store(new_uow, report)
    stamp = Stamp(id="stamp-1", file_id=report.id, stamped_by="dr-1", stamped_at=NOW, note=None)
    async with new_uow() as uow:
        await uow.stamps.add(stamp)
        await uow.commit()
    first, second = new_uow(), new_uow()
    async with first, second:
        by_first = replace(stamp, removed_by="admin-1", removed_at=NOW, removal_reason="one")
        by_second = replace(by_first, removed_by="admin-2", removal_reason="two")
        assert await first.stamps.remove(by_first)
        assert await second.stamps.remove(by_second)  # both passed the read
        await first.commit()
        with pytest.raises(Conflict):
            await second.commit()
    async with new_uow() as uow:
        assert await uow.stamps.active(report.id) is None
        assert await uow.stamps.history([report.id]) == {report.id: [by_first]}


async def test_a_version_taken_by_a_racing_unit_fails_the_commit(new_uow: NewUnit) -> None:
    first, second = new_uow(), new_uow()
    async with first, second:
        await first.files.add(a_file(1, document_id="doc-x"))
        await second.files.add(a_file(2, document_id="doc-x"))  # both pass the early read
        await first.commit()
        with pytest.raises(VersionTaken) as lost:
            await second.commit()
    assert isinstance(lost.value, Conflict)
    async with new_uow() as uow:
        assert [f.id for f in await uow.files.versions("doc-x")] == [file_id(1)]


async def test_a_file_changed_by_a_racing_unit_fails_the_commit(new_uow: NewUnit) -> None:
    pending = a_file(1, status=FileStatus.PENDING, completed_at=None)
    await store(new_uow, pending)
    first, second = new_uow(), new_uow()
    async with first, second:
        assert await first.files.replace(replace(pending, size=1), expected_revision=1)
        assert await second.files.replace(replace(pending, size=2), expected_revision=1)
        await first.commit()
        with pytest.raises(Conflict):
            await second.commit()
    async with new_uow() as uow:
        stored = await uow.files.get(pending.id)
    assert stored is not None and (stored.size, stored.revision) == (1, 2)


async def test_a_storage_key_given_by_a_racing_unit_fails_the_commit(new_uow: NewUnit) -> None:
    first, second = new_uow(), new_uow()
    async with first, second:
        assert await first.files.storage_key("p-1", new_key="a" * 32) == "a" * 32
        assert await second.files.storage_key("p-1", new_key="b" * 32) == "b" * 32
        await first.commit()
        with pytest.raises(Conflict):
            await second.commit()
    async with new_uow() as uow:
        assert await uow.files.known_storage_key("p-1") == "a" * 32
