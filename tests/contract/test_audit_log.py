"""The AuditLog contract: entries that committing units of work append, read back chained.

Every adapter (memory, SQLite, PostgreSQL, DynamoDB) passes it. On SQL a unit that only
reads hands its records to a group commit, and a unit that also changes data appends them
in its own transaction: both ways are used here, and the chain they build together must
verify. One writer appending one unit at a time keeps to one shard (which one is its own
choice); `test_audit_shards.py` has several writers spread over several.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

import pytest

from carehub.audit.model import AuditEntry, empty_chain
from carehub.audit.ports import AuditFilter, AuditUnitOfWork
from carehub.audit.service import AuditService
from carehub.audit.verification import Verification
from carehub.identity.model import OtpChallenge, OtpPurpose
from carehub.identity.ports import IdentityUnitOfWork
from carehub.kernel.actor import Actor, Role
from carehub.kernel.audit import AccessRecord, Outcome
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.support.clock import AdjustableClock


class Unit(AuditUnitOfWork, IdentityUnitOfWork, Protocol):
    """Audit entries plus a port to change something beside them."""


NewUnit = Callable[[], Unit]
T0 = datetime(2031, 3, 10, 8, 0, 0, 123456, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
DOCTOR = Actor("doc-1", Role.DOCTOR, request_id="req-1", client_address="203.0.113.7")
STAFF = Actor("staff-1", Role.STAFF)


def record(
    minute: int,
    action: str = "patient.read",
    *,
    actor: Actor = DOCTOR,
    patients: tuple[str, ...] = ("p-1",),
    outcome: Outcome = Outcome.ALLOWED,
) -> AccessRecord:
    return AccessRecord(
        actor=actor,
        action=action,
        resource_type=action.split(".")[0],
        resource_id=patients[0] if patients else None,
        patient_ids=patients,
        outcome=outcome,
        at=T0 + minute * MINUTE,
    )


def a_challenge() -> OtpChallenge:
    """Something to change beside the audit entries."""
    email = f"{uuid.uuid4().hex[:12]}@example.org"
    return OtpChallenge(email=email, purpose=OtpPurpose.LOGIN, code_hash="h", expires_at=T0)


async def audit(new_uow: NewUnit, *records: AccessRecord, with_change: bool = False) -> None:
    """Commits the records in one unit, which only reads unless `with_change`."""
    async with new_uow() as uow:
        if with_change:
            await uow.otps.put(a_challenge())
        for r in records:
            uow.audit(r)
        await uow.commit()


EVERY_ENTRY = AuditFilter()


async def search(new_uow: NewUnit, criteria: AuditFilter = EVERY_ENTRY) -> list[str]:
    """The actions found, newest first (one page)."""
    async with new_uow() as uow:
        page = await uow.audit_log.search(criteria, cursor=None, limit=50)
    return [e.action for e in page.items]


async def everything(new_uow: NewUnit) -> list[AuditEntry]:
    """Every stored entry, shard by shard, each in sequence order."""
    async with new_uow() as uow:
        log = uow.audit_log
        return [
            e
            for shard in await log.shards()
            for e in await log.scan(shard=shard, after_seq=0, limit=1000)
        ]


async def verify(new_uow: NewUnit) -> Verification:
    return await AuditService(new_uow, AdjustableClock()).verify()


async def test_an_empty_trail_has_nothing_to_read_and_verifies(new_uow: NewUnit) -> None:
    async with new_uow() as uow:
        page = await uow.audit_log.search(AuditFilter(), cursor=None, limit=10)
        heads = await uow.audit_log.stored_heads()
        assert await uow.audit_log.scan(shard=0, after_seq=0, limit=10) == []
    assert page.items == [] and page.next_cursor is None
    assert all(head == empty_chain(shard) for shard, head in heads.items())
    verification = await verify(new_uow)
    assert (verification.intact, verification.checked) == (True, 0)


async def test_committed_records_become_chained_entries_that_verify(new_uow: NewUnit) -> None:
    refused = record(1, "patient.update", actor=STAFF, patients=(), outcome=Outcome.DENIED)
    await audit(new_uow, record(0), refused)
    await audit(new_uow, record(2, "file.read", patients=("p-1", "p-2")), with_change=True)
    await audit(new_uow, record(3, "appointment.read"))
    entries = await everything(new_uow)
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert len({e.shard for e in entries}) == 1
    assert [e.action for e in entries] == [
        "patient.read",
        "patient.update",
        "file.read",
        "appointment.read",
    ]
    first, second, third = entries[:3]
    assert (first.actor_id, first.actor_role, first.resource_type, first.resource_id) == (
        "doc-1",
        "doctor",
        "patient",
        "p-1",
    )
    assert (first.request_id, first.client_address, first.at) == ("req-1", "203.0.113.7", T0)
    assert (second.outcome, second.patient_ids, second.resource_id) == ("denied", (), None)
    assert (second.request_id, second.client_address) == (None, None)
    assert third.patient_ids == ("p-1", "p-2")
    async with new_uow() as uow:
        heads = await uow.audit_log.stored_heads()
    shard = entries[0].shard
    assert heads.get(shard, entries[-1].head) == entries[-1].head  # where a store keeps one
    verification = await verify(new_uow)
    assert (verification.intact, verification.checked) == (True, 4)


async def test_a_unit_left_without_commit_stores_no_entry(new_uow: NewUnit) -> None:
    await audit(new_uow, record(0, "kept"))
    async with new_uow() as uow:
        uow.audit(record(1, "dropped"))

    async def fail_after_writing() -> None:
        async with new_uow() as uow:
            await uow.otps.put(a_challenge())
            uow.audit(record(2, "failed"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_after_writing()
    await audit(new_uow, record(3, "next"))
    entries = await everything(new_uow)
    assert [(e.seq, e.action) for e in entries] == [(1, "kept"), (2, "next")]
    assert (await verify(new_uow)).intact


@pytest.fixture
async def trail(new_uow: NewUnit) -> None:
    """Six entries; each action names the entry, in the order they were written."""
    await audit(new_uow, record(0, "a.read", patients=("p-1",)))
    await audit(new_uow, record(1, "b.update", actor=STAFF, patients=("p-2",)), with_change=True)
    await audit(new_uow, record(2, "c.read", patients=("p-2", "p-1")), record(3, "d.read"))
    await audit(new_uow, record(4, "e.read", actor=STAFF, patients=()))
    await audit(new_uow, record(5, "f.update", patients=("p-1",)), with_change=True)


FILTERS = {
    "none": (AuditFilter(), ["f.update", "e.read", "d.read", "c.read", "b.update", "a.read"]),
    "patient": (AuditFilter(patient_id="p-1"), ["f.update", "d.read", "c.read", "a.read"]),
    "another patient": (AuditFilter(patient_id="p-2"), ["c.read", "b.update"]),
    "unknown patient": (AuditFilter(patient_id="p-9"), []),
    "actor": (AuditFilter(actor_id="staff-1"), ["e.read", "b.update"]),
    "action": (AuditFilter(action="b.update"), ["b.update"]),
    "since is inclusive": (AuditFilter(since=T0 + 4 * MINUTE), ["f.update", "e.read"]),
    "until is exclusive": (AuditFilter(until=T0 + 2 * MINUTE), ["b.update", "a.read"]),
    "all together": (
        AuditFilter(patient_id="p-1", actor_id="doc-1", since=T0 + MINUTE, until=T0 + 5 * MINUTE),
        ["d.read", "c.read"],
    ),
}


@pytest.mark.usefixtures("trail")
@pytest.mark.parametrize(("criteria", "expected"), FILTERS.values(), ids=FILTERS.keys())
async def test_search_finds_what_every_filter_asks_for_newest_first(
    new_uow: NewUnit, criteria: AuditFilter, expected: list[str]
) -> None:
    assert await search(new_uow, criteria) == expected


@pytest.mark.usefixtures("trail")
@pytest.mark.parametrize(
    ("criteria", "limit"),
    [(AuditFilter(), 2), (AuditFilter(), 5), (AuditFilter(patient_id="p-1"), 3)],
)
async def test_cursor_pages_give_every_entry_once(
    new_uow: NewUnit, criteria: AuditFilter, limit: int
) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        async with new_uow() as uow:
            page = await uow.audit_log.search(criteria, cursor=cursor, limit=limit)
        assert page.items, "a cursor was issued for an empty page"
        seen.extend(e.action for e in page.items)
        if page.next_cursor is None:
            break
        assert len(page.items) == limit
        cursor = page.next_cursor
    assert seen == await search(new_uow, criteria)


@pytest.mark.usefixtures("trail")
async def test_scan_reads_a_shard_in_sequence_order_after_a_position(new_uow: NewUnit) -> None:
    shard = (await everything(new_uow))[0].shard
    async with new_uow() as uow:
        assert shard in await uow.audit_log.shards()
        scan = uow.audit_log.scan
        assert [e.seq for e in await scan(shard=shard, after_seq=0, limit=4)] == [1, 2, 3, 4]
        assert [e.seq for e in await scan(shard=shard, after_seq=4, limit=4)] == [5, 6]
        assert await scan(shard=shard, after_seq=6, limit=4) == []
        assert await scan(shard=shard + 1, after_seq=0, limit=4) == []
    verification = await verify(new_uow)
    assert (verification.intact, verification.checked) == (True, 6)
