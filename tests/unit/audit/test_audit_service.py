"""AuditService over the memory adapters: who may read the trail, what they find, that
reading it is audited too, and that verification finds any change to the stored chain."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from random import Random

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.audit.errors import AuditForbidden
from carehub.audit.ports import AuditFilter
from carehub.audit.service import AccessLogNotFound, AuditEntryNotFound, AuditService
from carehub.audit.shards import AuditShards
from carehub.kernel.actor import Actor, Role
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN, ANA, LUIS, NOW, access, last_audit

DOCTOR = Actor(id="user-dr", role=Role.DOCTOR, practitioner_id="dr-1")


@pytest.fixture
def service(store: MemoryStore, clock: StillClock) -> AuditService:
    return AuditService(lambda: MemoryUnitOfWork(store, clock), clock)


async def record(store: MemoryStore, clock: StillClock, *records: tuple[Actor, str, str]) -> None:
    """Commit one unit of work per (actor, action, patient), a minute apart."""
    for actor, action, patient in records:
        async with MemoryUnitOfWork(store, clock) as uow:
            uow.audit(access(actor, action, clock.now(), patient))
            await uow.commit()
        clock.advance(timedelta(minutes=1))


@pytest.fixture
async def trail(store: MemoryStore, clock: StillClock) -> None:
    await record(
        store,
        clock,
        (DOCTOR, "patient.read", "ana"),
        (DOCTOR, "patient.read", "luis"),
        (ADMIN, "patient.update", "ana"),
    )


@pytest.mark.usefixtures("trail")
async def test_admins_search_the_trail_newest_first(service: AuditService) -> None:
    page = await service.search(actor=ADMIN, criteria=AuditFilter(), cursor=None, limit=10)
    assert [(e.seq, e.action) for e in page.items] == [
        (3, "patient.update"),
        (2, "patient.read"),
        (1, "patient.read"),
    ]


@pytest.mark.usefixtures("trail")
async def test_search_criteria_combine(service: AuditService) -> None:
    async def seqs(criteria: AuditFilter) -> list[int]:
        page = await service.search(actor=ADMIN, criteria=criteria, cursor=None, limit=10)
        return [e.seq for e in page.items]

    assert await seqs(AuditFilter(patient_id="ana")) == [3, 1]
    assert await seqs(AuditFilter(actor_id="user-dr", patient_id="ana")) == [1]
    assert await seqs(AuditFilter(action="patient.read")) == [2, 1]
    # The searches above are audited too, at NOW + 3 minutes: the range leaves them out.
    within = AuditFilter(since=NOW + timedelta(minutes=1), until=NOW + timedelta(minutes=3))
    assert await seqs(within) == [3, 2]
    assert await seqs(AuditFilter(until=NOW + timedelta(minutes=1), action="patient.read")) == [1]


@pytest.mark.usefixtures("trail")
async def test_the_trail_pages_backwards(service: AuditService) -> None:
    criteria = AuditFilter(action="patient.read")
    first = await service.search(actor=ADMIN, criteria=criteria, cursor=None, limit=1)
    rest = await service.search(actor=ADMIN, criteria=criteria, cursor=first.next_cursor, limit=1)
    assert ([e.seq for e in first.items], [e.seq for e in rest.items]) == ([2], [1])
    assert rest.next_cursor is None


@pytest.mark.usefixtures("trail")
async def test_others_are_refused_the_trail_and_the_attempt_is_audited(
    service: AuditService, store: MemoryStore
) -> None:
    with pytest.raises(AuditForbidden):
        await service.search(actor=DOCTOR, criteria=AuditFilter(), cursor=None, limit=10)
    assert last_audit(store) == ("user-dr", "audit.search", "denied", ())


@pytest.mark.usefixtures("trail")
async def test_admins_read_one_entry_by_its_place_in_the_trail(
    service: AuditService, store: MemoryStore
) -> None:
    second = (
        await service.search(actor=ADMIN, criteria=AuditFilter(), cursor=None, limit=10)
    ).items[1]
    assert await service.entry(actor=ADMIN, shard=second.shard, seq=second.seq) == second
    assert last_audit(store) == ("admin-1", "audit.read", "allowed", ())
    with pytest.raises(AuditEntryNotFound):
        await service.entry(actor=ADMIN, shard=second.shard, seq=999)
    assert last_audit(store) == ("admin-1", "audit.read", "not_found", ())
    with pytest.raises(AuditForbidden):
        await service.entry(actor=DOCTOR, shard=second.shard, seq=second.seq)
    assert last_audit(store) == ("user-dr", "audit.read", "denied", ())


@pytest.mark.usefixtures("trail")
async def test_a_patient_reads_who_accessed_their_data(
    service: AuditService, store: MemoryStore
) -> None:
    page = await service.access_log(actor=ANA, patient_id="ana", cursor=None, limit=10)
    assert [(e.actor_id, e.action) for e in page.items] == [
        ("admin-1", "patient.update"),
        ("user-dr", "patient.read"),
    ]
    assert last_audit(store) == ("user-ana", "patient.access_log", "allowed", ("ana",))


@pytest.mark.usefixtures("trail")
async def test_another_patients_access_log_looks_missing(
    service: AuditService, store: MemoryStore
) -> None:
    with pytest.raises(AccessLogNotFound):
        await service.access_log(actor=LUIS, patient_id="ana", cursor=None, limit=10)
    assert last_audit(store) == ("user-luis", "patient.access_log", "denied", ())


@pytest.mark.usefixtures("trail")
async def test_an_untouched_chain_verifies(service: AuditService) -> None:
    verification = await service.verify()
    assert (verification.intact, verification.checked) == (True, 3)


async def test_an_empty_trail_verifies(service: AuditService) -> None:
    assert (await service.verify()).intact


@pytest.mark.usefixtures("trail")
async def test_a_changed_entry_is_named(service: AuditService, store: MemoryStore) -> None:
    store.audit[1] = replace(store.audit[1], actor_id="someone-else")
    verification = await service.verify()
    assert (verification.intact, verification.first_bad_seq, verification.checked) == (
        False,
        2,
        1,
    )


@pytest.mark.usefixtures("trail")
async def test_a_removed_entry_is_found(service: AuditService, store: MemoryStore) -> None:
    del store.audit[1]
    verification = await service.verify()
    assert (verification.intact, verification.first_bad_seq) == (False, 2)


@pytest.mark.usefixtures("trail")
async def test_a_removed_last_entry_is_found_by_the_chain_head(
    service: AuditService, store: MemoryStore
) -> None:
    store.audit.pop()
    verification = await service.verify()
    assert (verification.intact, verification.first_bad_seq) == (False, 3)


async def test_audit_records_of_a_unit_that_never_commits_vanish(
    store: MemoryStore, clock: StillClock, service: AuditService
) -> None:
    async with MemoryUnitOfWork(store, clock) as uow:
        uow.audit(access(DOCTOR, "patient.read", clock.now(), "ana"))
    assert store.audit == []
    assert (await service.verify()).checked == 0


# --- a trail in shards ---------------------------------------------------------------------


async def write_as_two_processes(store: MemoryStore, clock: StillClock) -> None:
    """Two writers (processes) on one store, each over three shards and moving on after two
    entries, so their entries spread over the shards and name each other's heads."""
    writers = [AuditShards(3, stay=2, rng=Random(seed)) for seed in (1, 2)]
    for n in range(12):
        async with MemoryUnitOfWork(store, clock, audit_shards=writers[n % 2]) as uow:
            uow.audit(access(DOCTOR, "patient.read", clock.now(), f"p-{n}"))
            await uow.commit()
        clock.advance(timedelta(seconds=1))


async def test_entries_of_several_writers_spread_over_shards_and_verify(
    service: AuditService, store: MemoryStore, clock: StillClock
) -> None:
    await write_as_two_processes(store, clock)
    verification = await service.verify()
    assert verification.intact, verification
    assert verification.checked == 12
    assert len(verification.shards) == 3 and verification.links > 0
    page = await service.search(actor=ADMIN, criteria=AuditFilter(), cursor=None, limit=20)
    assert [e.resource_id for e in page.items] == [f"p-{n}" for n in reversed(range(12))]


async def test_a_removed_tail_of_one_shard_is_named_by_another_shard(
    service: AuditService, store: MemoryStore, clock: StillClock
) -> None:
    await write_as_two_processes(store, clock)
    named = {(link.shard, link.seq) for e in store.audit for link in e.links}
    shard, seq = max(named)  # an entry another shard names
    store.audit = [e for e in store.audit if e.shard != shard or e.seq < seq]
    del store.audit_heads[shard]  # as if no head were kept (DynamoDB keeps none)
    verification = await service.verify()
    assert (verification.first_bad_shard, verification.first_bad_seq) == (shard, seq)
    assert verification.problem is not None
    assert verification.problem.startswith(f"entries after {seq - 1} are missing (shard ")


async def test_changing_the_number_of_shards_keeps_the_trail_verifiable(
    service: AuditService, store: MemoryStore, clock: StillClock
) -> None:
    await write_as_two_processes(store, clock)
    fewer = AuditShards(1)
    async with MemoryUnitOfWork(store, clock, audit_shards=fewer) as uow:
        uow.audit(access(DOCTOR, "patient.read", clock.now(), "p-last"))
        await uow.commit()
    verification = await service.verify()
    assert (verification.intact, verification.checked) == (True, 13)
