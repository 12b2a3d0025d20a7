"""The audit trail on DynamoDB beyond its contract suite: with no head item, a removed tail
is caught by the link another shard holds; a changed or moved item is caught; a table
written before the trail was sharded still verifies and is continued; an ordinary entry
stays one write unit a copy; a search past its read budget gives a short page; an entry
naming a page of 200 patients is found by each of them, and a pointer to an entry that
never committed is dropped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from random import Random
from typing import Any

import orjson
import pytest

from carehub.adapters.dynamodb import audit_search
from carehub.adapters.dynamodb.audit import audit_items, entry_of
from carehub.adapters.dynamodb.items import from_wire, to_wire
from carehub.adapters.dynamodb.table_client import DynamoTable
from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from carehub.audit.model import ChainHead, chain, empty_chain
from carehub.audit.ports import AuditFilter
from carehub.audit.service import AuditService
from carehub.audit.shards import MAX_LINKS, AuditShards
from carehub.audit.verification import Verification
from carehub.kernel.actor import Actor, Role
from carehub.kernel.audit import AccessRecord
from tests.contract.test_audit_log import STAFF, record
from tests.support.clock import AdjustableClock
from tests.support.services import fixed_secret_box

NewUnit = Callable[[], DynamoUnitOfWork]
pytestmark = pytest.mark.aws


def writer(table: DynamoTable, shards: AuditShards) -> NewUnit:
    return lambda: DynamoUnitOfWork(
        table, AdjustableClock(), secrets=fixed_secret_box(), audit_shards=shards
    )


async def read(new_uow: NewUnit, minute: int) -> None:
    async with new_uow() as uow:
        uow.audit(record(minute, f"r{minute}.read"))
        await uow.commit()


async def verify(new_uow: NewUnit) -> Verification:
    return await AuditService(new_uow, AdjustableClock()).verify()


async def entry_items(table: DynamoTable) -> dict[tuple[int, int], dict[str, Any]]:
    """Every entry item (a maintenance Scan), by (shard, seq)."""
    response = await table.call("scan", lambda c: c.scan(TableName=table.name))
    items = [from_wire(item) for item in response["Items"]]
    found = {}
    for item in items:
        if item["kind"] == "audit-entry":
            entry = entry_of(item)
            found[(entry.shard, entry.seq)] = item
    return found


async def call(table: DynamoTable, what: str, **request: Any) -> None:
    method = {"put": "put_item", "delete": "delete_item"}[what]
    await table.call(what, lambda c: getattr(c, method)(TableName=table.name, **request))


def key(item: dict[str, Any]) -> dict[str, Any]:
    return to_wire({"PK": item["PK"], "SK": item["SK"]})


@pytest.fixture
async def hopping(table: DynamoTable) -> NewUnit:
    """A writer over two shards that moves on after two entries: shard A gets entries 1-2,
    shard B entries 1-2 (its first naming A's entry 2), then A again (naming B's 2)..."""
    new_uow = writer(table, AuditShards(2, stay=2, rng=Random(7)))
    for minute in range(6):
        await read(new_uow, minute)
    return new_uow


async def test_a_removed_tail_is_caught_by_the_link_another_shard_holds(
    hopping: NewUnit, table: DynamoTable
) -> None:
    items = await entry_items(table)
    linking = max((e for e in map(entry_of, items.values()) if e.links), key=lambda e: e.seq)
    [named] = linking.links
    tail = [seq for shard, seq in items if shard == named.shard and seq >= named.seq]
    for seq in tail:
        await call(table, "delete", Key=key(items[(named.shard, seq)]))
    verification = await verify(hopping)
    by = f"shard {linking.shard} entry {linking.seq}"
    assert (verification.first_bad_shard, verification.first_bad_seq) == (named.shard, named.seq)
    assert verification.problem == (
        f"entries after {named.seq - 1} are missing ({by} names {named.seq})"
    )


async def test_a_changed_entry_is_named(hopping: NewUnit, table: DynamoTable) -> None:
    assert (await verify(hopping)).intact
    items = await entry_items(table)
    shard = min(shard for shard, _ in items)
    changed = dict(items[(shard, 2)])
    data = orjson.loads(changed["data"])
    changed["data"] = orjson.dumps({**data, "actor_id": "someone-else"}).decode()
    await call(table, "put", Item=to_wire(changed))
    verification = await verify(hopping)
    assert (verification.first_bad_shard, verification.first_bad_seq) == (shard, 2)
    assert verification.problem == "entry 2 was changed"


async def test_an_entry_moved_to_another_shard_is_caught(
    hopping: NewUnit, table: DynamoTable
) -> None:
    items = await entry_items(table)
    shards = sorted({shard for shard, _ in items})
    source, target = shards
    last = max(seq for shard, seq in items if shard == target)
    moved = items[(source, 1)]
    # The entry, as it stands, taken to the end of the other shard's partition.
    at_the_end = {**moved, "PK": f"AUDIT#{target}", "SK": f"SEQ#{last + 1:012d}"}
    await call(table, "put", Item=to_wire(at_the_end))
    await call(table, "delete", Key=key(moved))
    verification = await verify(hopping)
    broken = {s.shard: (s.first_bad_seq, s.problem) for s in verification.shards if not s.intact}
    assert broken == {
        source: (1, "entry 1 is missing or out of order"),
        target: (last + 1, f"entry {last + 1} was changed"),
    }


async def test_a_table_written_before_sharding_verifies_and_is_continued(
    table: DynamoTable,
) -> None:
    # One chain in AUDIT#0 as carehub wrote it then: entries without shard or links, listed
    # by action on GSI2, and a head item the unit of work moved.
    legacy = chain([record(n, "old.read") for n in range(3)], empty_chain(0))
    for entry in legacy:
        item, _ = audit_items(entry)
        data = {k: v for k, v in orjson.loads(item["data"]).items() if k != "shard"}
        item.update(data=orjson.dumps(data).decode(), GSI2PK="AUDIT_ACTION#old.read")
        await call(table, "put", Item=to_wire(item))
    head = {"PK": "AUDIT#0", "SK": "HEAD", "kind": "audit-head", "seq": 3, "hash": legacy[-1].hash}
    await call(table, "put", Item=to_wire(head))
    new_uow = writer(table, AuditShards(1))
    await read(new_uow, 9)
    verification = await verify(new_uow)
    assert (verification.intact, verification.checked) == (True, 4)
    async with new_uow() as uow:
        entries = await uow.audit_log.scan(shard=0, after_seq=0, limit=10)
    assert [(e.seq, e.action) for e in entries][-2:] == [(3, "old.read"), (4, "r9.read")]


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB bills it: names and values, UTF-8 (numbers: about a byte
    per two digits)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        size += len(value.encode()) if isinstance(value, str) else len(str(value)) // 2 + 1
    return size


def test_an_ordinary_read_entry_is_an_item_under_1_kb() -> None:
    actor = Actor(
        "0197f3c2-5b7e-7d3a-9c1e-8f2a4b6c8d0e",
        Role.STAFF,
        request_id="6f1c2a9e0b3d4c5e8f7a6b5c4d3e2f1a",
        client_address="2001:db8:85a3::8a2e:370:7334",
    )
    patient = "0197f3c2-6c8f-7e4b-8d2f-9a3b5c7d9e1f"
    access = AccessRecord(
        actor=actor,
        action="patient.read",
        resource_type="patient",
        resource_id=patient,
        patient_ids=(patient,),
        at=datetime(2031, 3, 10, 8, 0, 0, 123456, tzinfo=UTC),
    )
    head = ChainHead(255, 999_999_999, "f" * 64)
    [entry] = chain([access], head)
    [linking] = chain([access], head, [ChainHead(s, 10**9, "e" * 64) for s in range(MAX_LINKS)])
    assert item_size(audit_items(entry)[0]) < 1024  # 1 WCU for the table, 1 per index
    assert item_size(audit_items(linking)[0]) < 2048


async def test_a_search_past_its_read_budget_returns_a_short_page_and_a_cursor(
    new_uow: NewUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_search, "READ_BUDGET", 3)
    async with new_uow() as uow:
        uow.audit(record(0, "rare.read", actor=STAFF))
        for minute in range(1, 5):
            uow.audit(record(minute, "common.read"))
        await uow.commit()
    # The patient's partition, newest first: four entries to read past before the match.
    criteria = AuditFilter(patient_id="p-1", action="rare.read")
    async with new_uow() as uow:
        first = await uow.audit_log.search(criteria, cursor=None, limit=10)
        assert (first.items, first.next_cursor is not None) == ([], True)
        rest = await uow.audit_log.search(criteria, cursor=first.next_cursor, limit=10)
    assert ([e.action for e in rest.items], rest.next_cursor) == (["rare.read"], None)


async def test_an_entry_naming_200_patients_is_listed_under_each_of_them(
    new_uow: NewUnit,
) -> None:
    patients = tuple(f"p-{n:03d}" for n in range(200))
    async with new_uow() as uow:
        uow.audit(record(0, "patient.list", patients=patients))
        await uow.commit()
    async with new_uow() as uow:
        for patient in (patients[0], patients[1], patients[199]):
            page = await uow.audit_log.search(
                AuditFilter(patient_id=patient), cursor=None, limit=10
            )
            assert [(e.action, len(e.patient_ids)) for e in page.items] == [("patient.list", 200)]


async def test_a_pointer_to_an_entry_that_did_not_commit_is_dropped(
    new_uow: NewUnit, table: DynamoTable
) -> None:
    async with new_uow() as uow:
        uow.audit(record(0, "patient.list", patients=("p-1", "p-2")))
        await uow.commit()
    # Pointers left by appends that lost: one names a seq nobody took, one a taken seq at
    # another place in the trail (another writer's entry), one names a patient the entry
    # at its place does not.
    [(shard, seq)] = (await entry_items(table)).keys()
    [entry_item] = (await entry_items(table)).values()
    place = entry_item["GSI2SK"]
    stray = [
        (shard, seq + 5, "p-2", f"{place.rsplit('#', 1)[0]}#{seq + 5:012d}"),
        (shard, seq, "p-2", "2000-01-01T00:00:00.000000Z#000#000000000001"),
        (shard, seq, "p-9", place),
    ]
    for stray_shard, stray_seq, patient, listed_at in stray:
        pointer = {
            "PK": f"AUDIT_PATIENTS#{listed_at}",
            "SK": f"PATIENT#{patient}",
            "kind": "audit-patient",
            "shard": stray_shard,
            "seq": stray_seq,
            "GSI1PK": f"AUDIT_PATIENT#{patient}",
            "GSI1SK": listed_at,
        }
        await call(table, "put", Item=to_wire(pointer))
    async with new_uow() as uow:
        listed = await uow.audit_log.search(AuditFilter(patient_id="p-2"), cursor=None, limit=10)
        stranger = await uow.audit_log.search(AuditFilter(patient_id="p-9"), cursor=None, limit=10)
    assert [(e.shard, e.seq) for e in listed.items] == [(shard, seq)]
    assert stranger.items == []
