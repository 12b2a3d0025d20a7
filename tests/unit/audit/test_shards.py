"""Where a writer appends: sticky to the shard it used last, apart from its own concurrent
appends, away from a shard where it lost a race, on to the next after `STAY` entries with
links to the heads it left, and never trusting an old memory of a head."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest

from carehub.audit.model import AuditEntry, ChainHead, chain, empty_chain
from carehub.audit.shards import MAX_LINKS, STAY, TRUSTED_FOR, AuditShards, ShardTurn
from carehub.kernel.actor import Actor
from carehub.kernel.audit import AccessRecord

READ = AccessRecord(
    actor=Actor.system("test"),
    action="patient.read",
    resource_type="patient",
    resource_id="p-1",
    patient_ids=("p-1",),
    at=datetime(2031, 3, 10, tzinfo=UTC),
)


class Clock:
    """Monotonic seconds that a test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def store(turn: ShardTurn, count: int = 1) -> list[AuditEntry]:
    """What an adapter does with a turn: chain after its head and report the append."""
    entries = chain([READ] * count, turn.head or empty_chain(turn.shard), turn.links)
    turn.appended(entries)
    return entries


async def append(shards: AuditShards, count: int = 1) -> ShardTurn:
    async with shards.turn() as turn:
        store(turn, count)
    return turn


async def test_appends_stick_to_one_shard_whose_head_the_writer_remembers() -> None:
    shards = AuditShards(8, now=Clock())
    first = await append(shards)
    second = await append(shards)
    assert second.shard == first.shard
    assert second.head == ChainHead(first.shard, 1, first.entries[-1].hash)
    assert (await append(shards)).head == second.entries[-1].head


async def test_writers_start_from_their_own_order_of_the_shards() -> None:
    starts = set()
    for seed in range(8):
        shards = AuditShards(16, rng=random.Random(seed))
        starts.add((await append(shards)).shard)
    assert len(starts) > 1


async def test_concurrent_appends_of_one_writer_take_different_shards() -> None:
    shards = AuditShards(4, now=Clock())
    async with shards.turn() as one, shards.turn() as two, shards.turn() as three:
        assert len({one.shard, two.shard, three.shard}) == 3
        assert shards.preferred() not in {one.shard, two.shard, three.shard}


async def test_an_append_waits_while_the_writer_uses_every_shard() -> None:
    shards = AuditShards(1)
    waited = asyncio.Event()

    async def second() -> int:
        waited.set()
        async with shards.turn() as turn:
            return turn.shard

    async with shards.turn() as first:
        task = asyncio.create_task(second())
        await waited.wait()
        await asyncio.sleep(0)
        assert not task.done()
        store(first)
    assert await asyncio.wait_for(task, timeout=1) == 0


async def test_a_lost_race_moves_the_writer_to_another_shard_with_an_unknown_head() -> None:
    shards = AuditShards(3, now=Clock())
    first = await append(shards)
    async with shards.turn() as lost:
        assert lost.shard == first.shard
        lost.lost_race()
        assert lost.head is None  # read it again to append here in this turn
    after = await append(shards)
    assert after.shard != first.shard
    async with shards.turn() as back:  # and stays there
        pass
    assert (back.shard, back.head) == (after.shard, after.entries[-1].head)


async def test_a_refused_commit_keeps_the_head_and_an_unknown_outcome_forgets_it() -> None:
    shards = AuditShards(2, now=Clock())
    first = await append(shards)
    async with shards.turn() as refused:
        refused.not_written()
    async with shards.turn() as failed:
        assert failed.head == first.entries[-1].head
    async with shards.turn() as after:
        assert (after.shard, after.head) == (first.shard, None)


async def test_after_stay_entries_the_writer_moves_on_and_links_the_shard_it_left() -> None:
    shards = AuditShards(4, now=Clock())
    first = await append(shards, STAY - 1)
    assert first.links == ()
    last = await append(shards)
    assert last.shard == first.shard
    moved = await append(shards)
    assert moved.shard != first.shard
    assert moved.links == (ChainHead(first.shard, STAY, last.entries[-1].hash),)
    assert moved.entries[0].links == moved.links
    assert (await append(shards)).links == ()  # only when entering a shard


async def test_links_name_the_latest_heads_the_writer_trusts_at_most_max_links() -> None:
    clock = Clock()
    shards = AuditShards(MAX_LINKS + 3, stay=1, now=clock)
    visited = [await append(shards) for _ in range(MAX_LINKS + 1)]
    entering = await append(shards)
    latest = [turn.entries[-1].head for turn in reversed(visited)][:MAX_LINKS]
    assert entering.links == tuple(latest)
    clock.now += TRUSTED_FOR + 0.1
    async with shards.turn() as paused:
        assert (paused.links, paused.head) == ((), None)  # a pause: nothing is trusted


async def test_a_head_is_read_again_after_a_pause() -> None:
    clock = Clock()
    shards = AuditShards(2, now=clock)
    await append(shards)
    clock.now += TRUSTED_FOR + 0.1
    async with shards.turn() as turn:
        assert turn.head is None


async def test_heads_seen_outside_the_turns_only_move_forward() -> None:
    shards = AuditShards(1, now=Clock())
    first = await append(shards, 3)
    shards.saw(ChainHead(0, 2, "old"), appended=1)
    async with shards.turn() as turn:
        assert turn.head == first.entries[-1].head
    shards.saw(ChainHead(0, 9, "new"), appended=1)
    assert shards.preferred() == 0
    async with shards.turn() as turn:
        assert turn.head == ChainHead(0, 9, "new")


@pytest.mark.parametrize("count", [0, 257])
def test_the_number_of_shards_is_bounded(count: int) -> None:
    with pytest.raises(ValueError, match="1 to 256 shards"):
        AuditShards(count)
