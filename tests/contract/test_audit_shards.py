"""The AuditLog contract with several writers (processes of one deployment) over several
shards: each shard stays one whole chain, links name entries the store holds, searches list
every shard newest first by (at, shard, seq), and writers that meet on a shard continue each
other's chain. Every adapter passes it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from random import Random

from carehub.audit.model import AuditEntry, TrailPosition
from carehub.audit.ports import AuditFilter
from carehub.audit.service import AuditService
from carehub.audit.shards import AuditShards
from carehub.audit.verification import Verification
from tests.contract.conftest import Writers
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.contract.test_audit_log import DOCTOR, STAFF, NewUnit, audit, everything, record
from tests.support.clock import AdjustableClock

T0 = datetime(2031, 3, 10, 8, 0, 0, 123456, tzinfo=UTC)


def writer(seed: int, *, shards: int = 3, stay: int = 2) -> AuditShards:
    """A writer over `shards` shards that moves on after `stay` entries."""
    return AuditShards(shards, stay=stay, rng=Random(seed))


async def verify(new_uow: NewUnit) -> Verification:
    return await AuditService(new_uow, AdjustableClock()).verify()


async def write_as_two_processes(writers: Writers, count: int = 16) -> list[NewUnit]:
    """`count` units, alternately of two writers; every third also changes something."""
    both = [writers(writer(1)), writers(writer(2))]
    for n in range(count):
        actor = DOCTOR if n % 2 else STAFF
        entry = record(n, f"read-{n}.read", actor=actor, patients=(f"p-{n % 3}",))
        await audit(both[n % 2], entry, with_change=n % 3 == 0)
    return both


def by_shard(entries: list[AuditEntry]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for e in entries:
        found.setdefault(e.shard, []).append(e.seq)
    return found


async def test_writers_spread_over_shards_each_one_whole_chain(writers: Writers) -> None:
    first, _ = await write_as_two_processes(writers)
    entries = await everything(first)
    shards = by_shard(entries)
    assert len(shards) > 1
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in shards.values())
    stored = {(e.shard, e.seq): e.hash for e in entries}
    links = [link for e in entries for link in e.links]
    assert links, "a writer entering a shard names the heads it left"
    assert all(stored[(link.shard, link.seq)] == link.hash for link in links)
    verification = await verify(first)
    assert verification.intact, verification
    assert (verification.checked, verification.links) == (16, len(links))


async def test_search_lists_every_shard_newest_first_and_pages_each_entry_once(
    writers: Writers,
) -> None:
    first, second = writers(writer(1, stay=1)), writers(writer(2, stay=1))
    for minute in range(4):  # both writers at the same moments: ties across shards
        for n, new_uow in enumerate((first, second)):
            await audit(new_uow, record(minute, f"m{minute}-w{n}.read", patients=("p-1",)))
    entries = await everything(first)
    expected = [e.action for e in sorted(entries, key=TrailPosition.of, reverse=True)]
    for criteria in (AuditFilter(), AuditFilter(patient_id="p-1"), AuditFilter(actor_id="doc-1")):
        assert await pages(first, criteria, limit=3) == expected
    since, until = AuditFilter(since=T0 + timedelta(minutes=1)), AuditFilter(until=T0)
    assert await pages(first, since, limit=2) == expected[:6]
    assert await pages(first, until, limit=2) == []


async def pages(new_uow: NewUnit, criteria: AuditFilter, *, limit: int) -> list[str]:
    """The actions of every page, in order."""
    seen: list[str] = []
    cursor: str | None = None
    while True:
        async with new_uow() as uow:
            page = await uow.audit_log.search(criteria, cursor=cursor, limit=limit)
        seen += [e.action for e in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


async def test_writers_that_meet_on_a_shard_continue_each_others_chain(
    writers: Writers,
) -> None:
    both = [writers(AuditShards(1)), writers(AuditShards(1))]
    for n in range(6):  # each append of one follows one the other made meanwhile
        await audit(both[n % 2], record(n, f"r{n}.read"), with_change=n == 3)
    entries = await everything(both[0])
    assert [(e.shard, e.seq) for e in entries] == [(0, n) for n in range(1, 7)]
    assert [e.action for e in entries] == [f"r{n}.read" for n in range(6)]
    assert (await verify(both[1])).intact


async def test_concurrent_units_of_one_writer_append_to_shards_of_their_own(
    writers: Writers,
) -> None:
    new_uow = writers(writer(3, shards=4, stay=64))

    async def read(n: int) -> None:
        await audit(new_uow, record(n, f"r{n}.read"))

    await asyncio.gather(*(read(n) for n in range(8)))
    entries = await everything(new_uow)
    assert sorted(e.action for e in entries) == sorted(f"r{n}.read" for n in range(8))
    verification = await verify(new_uow)
    assert (verification.intact, verification.checked) == (True, 8)


async def test_a_trail_written_over_more_shards_still_verifies_with_fewer(
    writers: Writers,
) -> None:
    wide = writers(writer(4, shards=6, stay=1))
    for n in range(6):
        await audit(wide, record(n, f"wide-{n}.read"))
    narrow = writers(AuditShards(1))
    await audit(narrow, record(6, "narrow.read"), with_change=True)
    verification = await verify(narrow)
    assert (verification.intact, verification.checked) == (True, 7)
    assert len(await pages(narrow, AuditFilter(), limit=50)) == 7
