"""The DynamoDB unit of work beyond what the contract suites see: a conditional write
that loses a race at commit raises its own error, a change too big for one transaction
is refused before anything is sent, and the outbox, audit and idempotency items commit
with the rows (or alone, for a read's audit records)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from carehub.adapters.dynamodb import unit_of_work
from carehub.adapters.dynamodb.audit import entry_of
from carehub.adapters.dynamodb.items import as_int, from_wire, to_wire
from carehub.adapters.dynamodb.table_client import Capacity, DynamoTable
from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from carehub.adapters.dynamodb.writes import ChangedMeanwhile, TransactionTooLarge
from carehub.audit.model import AuditEntry, empty_chain
from carehub.countries.errors import CountryTaken
from carehub.countries.events import CountryChanged
from carehub.kernel.actor import Actor, Role
from carehub.kernel.audit import AccessRecord
from carehub.kernel.idempotency import IdempotencyClaim, IdempotencyKeyRaced
from tests.contract.test_country_repository import NOW, country
from tests.contract.test_doctor_repository import doctor
from tests.contract.test_webhook_repository import stored, subscription

pytestmark = pytest.mark.aws

NewUnit = Callable[[], DynamoUnitOfWork]


async def items_under(table: DynamoTable, partition: str) -> list[dict[str, Any]]:
    items, _ = await table.query(
        Capacity(),
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues=to_wire({":pk": partition}),
    )
    return items


def read_by(patient_id: str) -> AccessRecord:
    actor = Actor(id="user-1", role=Role.STAFF)
    return AccessRecord(
        actor=actor,
        action="patient.read",
        resource_type="patient",
        resource_id=patient_id,
        patient_ids=(patient_id,),
        at=NOW,
    )


async def test_a_replace_that_loses_the_race_at_commit_raises_and_writes_nothing(
    new_uow: NewUnit,
) -> None:
    async with new_uow() as uow:
        await uow.countries.add(country("PE"))
        await uow.commit()
    first, second = new_uow(), new_uow()
    async with first, second:
        # Both read version 1, so both are told yes now; the store decides at commit.
        assert await first.countries.replace(
            replace(country("PE"), name="A", version=2), expected_version=1
        )
        assert await second.countries.replace(
            replace(country("PE"), name="B", version=2), expected_version=1
        )
        await first.commit()
        with pytest.raises(ChangedMeanwhile):
            await second.commit()
    async with new_uow() as uow:
        stored = await uow.countries.get("PE")
    assert stored is not None
    assert (stored.name, stored.version) == ("A", 2)


async def test_an_add_that_loses_the_race_at_commit_raises_what_its_condition_means(
    new_uow: NewUnit,
) -> None:
    same_id, same_code, winner = new_uow(), new_uow(), new_uow()
    async with same_id, same_code, winner:
        await winner.countries.add(country("PE"))
        await same_id.countries.add(country("PE", "CO"))
        await same_code.countries.add(country("peru-2", "PE"))  # codes are shared
        await winner.commit()
        with pytest.raises(CountryTaken):
            await same_id.commit()
        await same_code.commit()
    async with new_uow() as uow:
        assert await uow.countries.list_all() == [country("PE"), country("peru-2", "PE")]


async def test_more_than_100_writes_are_refused_before_sending(new_uow: NewUnit) -> None:
    async with new_uow() as uow:
        for n in range(101):
            await uow.doctors.add(doctor(f"dr-{n:03d}"))
        with pytest.raises(TransactionTooLarge, match=r"101 writes.*at most 100"):
            await uow.commit()
    async with new_uow() as uow:
        assert await uow.doctors.get("dr-000") is None


async def test_rows_events_audit_and_idempotency_commit_together(
    new_uow: NewUnit, table: DynamoTable
) -> None:
    claim = IdempotencyClaim(scope="user-1:POST /countries", key="k-1", fingerprint="f")
    event = CountryChanged(aggregate_id="PE", occurred_at=NOW, actor_id="user-1", version=1)
    async with new_uow() as uow:
        await uow.countries.add(country("PE"))
        uow.record(event)
        uow.audit(read_by("p-1"))
        uow.claim_idempotency(claim)
        await uow.commit()
    [outbox] = await items_under(table, "OUTBOX#PE")
    assert (outbox["event_id"], outbox["event_type"]) == (event.event_id, event.event_type)
    assert outbox["GSI1PK"].startswith("OUTBOX_UNPUBLISHED#")
    [record] = await items_under(table, f"IDEMPOTENCY#{claim.scope}#{claim.key}")
    assert (record["fingerprint"], record["resource_id"]) == ("f", "PE")
    async with new_uow() as uow:  # the same key again, within the replay window
        await uow.countries.add(country("CO", "CO"))
        uow.claim_idempotency(claim)
        with pytest.raises(IdempotencyKeyRaced):
            await uow.commit()
    async with new_uow() as uow:
        assert await uow.countries.get("CO") is None


async def test_a_read_only_unit_writes_just_its_chained_audit_entries(
    new_uow: NewUnit, table: DynamoTable
) -> None:
    async def read(patient_id: str) -> None:
        async with new_uow() as uow:
            uow.audit(read_by(patient_id))
            await uow.commit()

    await read("p-0")
    await read("p-1")
    # Concurrent readers of one process append to shards of their own: none is lost.
    await asyncio.gather(*(read(f"p-{n}") for n in range(2, 7)))
    items = await _every_item(table)
    entries = [entry_of(i) for i in items if i["kind"] == "audit-entry"]
    assert sorted(e.resource_id or "" for e in entries) == [f"p-{n}" for n in range(7)]
    shards: dict[int, list[AuditEntry]] = {}
    for entry in sorted(entries, key=lambda e: (e.shard, e.seq)):
        shards.setdefault(entry.shard, []).append(entry)
    for shard, chained in shards.items():
        assert [e.seq for e in chained] == list(range(1, len(chained) + 1))
        assert chained[0].prev_hash == empty_chain(shard).hash
        for before, after in itertools.pairwise(chained):
            assert after.prev_hash == before.hash
        assert all(e.hash == e.content_hash() for e in chained)
    assert len(shards) > 1
    # No head item: a shard's head is its last entry. Each shard in use is registered.
    registered = sorted(as_int(i["shard"]) for i in items if i["kind"] == "audit-shard")
    assert registered == sorted(shards)
    assert {i["kind"] for i in items} == {"audit-entry", "audit-shard"}


class Sent:
    """Which call each commit went out as: the table's own methods, counted on the way."""

    def __init__(self, table: DynamoTable, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        for name in ("write", "transact"):
            monkeypatch.setattr(table, name, self._counting(name, getattr(table, name)))

    def _counting(self, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return await call(*args, **kwargs)

        return counted

    def taken(self) -> list[str]:
        calls, self.calls = self.calls, []
        return calls


async def test_a_commit_of_one_item_is_a_plain_conditional_write(
    new_uow: NewUnit, table: DynamoTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = Sent(table, monkeypatch)
    async with new_uow() as uow:
        uow.audit(read_by("p-1"))
        await uow.commit()
    assert sent.taken() == ["transact"]  # a shard's first entry registers the shard
    async with new_uow() as uow:
        uow.audit(read_by("p-1"))
        await uow.commit()
    assert sent.taken() == ["write"]  # the entry alone: a PutItem
    first, second = new_uow(), new_uow()
    async with first, second:
        await first.countries.add(country("PE"))
        await second.countries.add(country("PE"))
        await first.commit()
        with pytest.raises(CountryTaken):  # its condition failing means what it always did
            await second.commit()
    assert sent.taken() == ["write", "write"]
    async with new_uow() as uow:
        await uow.countries.add(country("CO"))
        uow.record(CountryChanged(aggregate_id="CO", occurred_at=NOW, actor_id="u", version=1))
        await uow.commit()
    assert sent.taken() == ["transact"]


async def test_a_plain_update_or_delete_that_loses_its_condition_raises_its_error(
    new_uow: NewUnit, table: DynamoTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = subscription()
    await stored(new_uow, made)
    sent = Sent(table, monkeypatch)
    resumer, remover = new_uow(), new_uow()
    async with resumer, remover:
        assert await resumer.webhooks.resume(made.id, NOW)
        assert await remover.webhooks.remove(made.id)
        await remover.commit()  # a lone DeleteItem
        with pytest.raises(ChangedMeanwhile):
            await resumer.commit()  # a lone UpdateItem, on the condition that it exists
    assert sent.taken() == ["write", "write"]


async def test_consumed_capacity_is_logged_per_unit_at_debug(
    new_uow: NewUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh logger that keeps DEBUG, so capture_logs sees it whatever ran before
    # (carehub's logging caches a logger's configuration on first use, at INFO).
    debug = structlog.make_filtering_bound_logger(logging.DEBUG)
    monkeypatch.setattr(unit_of_work, "log", structlog.wrap_logger(None, wrapper_class=debug))
    with capture_logs() as logs:
        async with new_uow() as uow:
            await uow.countries.add(country("PE"))
            await uow.commit()
    [used] = [entry for entry in logs if entry["event"] == "dynamodb.capacity"]
    assert used["log_level"] == "debug"
    assert used["calls"] == 2  # the read of the id and the transaction
    assert used["read_units"] > 0  # (moto reports no capacity for transactions)
    assert set(used) == {"event", "log_level", "read_units", "write_units", "calls"}


def test_capacity_counts_what_aws_reports_for_reads_and_transactions() -> None:
    used = Capacity()
    used.count({"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}}, writes=False)
    transaction = [
        {"TableName": "t", "CapacityUnits": 4.0},
        {"TableName": "t", "CapacityUnits": 2.0},
    ]
    used.count({"ConsumedCapacity": transaction}, writes=True)
    used.count({}, writes=True)
    assert (used.read_units, used.write_units, used.calls) == (0.5, 6.0, 3)


async def _every_item(table: DynamoTable) -> list[dict[str, Any]]:
    """A Scan, as only tests and maintenance commands may; the items as plain values."""
    response = await table.call("scan", lambda c: c.scan(TableName=table.name))
    return [from_wire(item) for item in response["Items"]]
