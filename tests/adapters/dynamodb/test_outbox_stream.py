"""The relay fed by the table's stream, on the moto server: events written by real units
of work are read from the stream and reach consumers in each aggregate's order, once; a
replay, an event the poller sent, and a poison record change nothing they should not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from carehub.adapters.dynamodb.outbox_stream import (
    OUTBOX_EVENT_KIND,
    partial_batch_response,
    relay_from_stream_records,
)
from carehub.adapters.dynamodb.stream_reader import TableStreamReader
from carehub.adapters.dynamodb.table_client import DynamoTable
from carehub.bootstrap import dynamodb_outbox_stream
from carehub.bootstrap.event_types import EVENT_TYPES
from carehub.events.lease import RelayLease
from carehub.events.model import Consumer, ConsumerSpec
from carehub.events.ports import Broker
from carehub.events.runner import ConsumerOf
from carehub.events.stream_relay import StreamRelay
from carehub.kernel.events import EventMessage
from carehub.kernel.ids import new_id
from carehub.patients.model import Patient, PatientChanges
from tests.support.dynamodb import fresh_table
from tests.support.event_world import ACTOR, ANALYTICS, EventWorld, event_world, registered_today
from tests.support.moto import REGION, aws_client

pytestmark = pytest.mark.aws


class Recorder:
    """A consumer that remembers every delivery it got, in order."""

    def __init__(self) -> None:
        self.seen: list[EventMessage] = []
        self.consumer: ConsumerOf = Consumer(
            ConsumerSpec("recorder", frozenset(EVENT_TYPES)), self.apply
        )

    async def apply(self, message: EventMessage, uow: object) -> None:
        self.seen.append(message)

    def of(self, aggregate_id: str) -> list[EventMessage]:
        return [m for m in self.seen if m.aggregate_id == aggregate_id]


@dataclass
class Streamed:
    """A table on the moto server with the event backbone over it, a stream-fed relay, a
    reader of the table's stream feeding it, and a recording consumer."""

    world: EventWorld
    relay: StreamRelay
    reader: TableStreamReader
    recorder: Recorder
    endpoint: str

    @property
    def table(self) -> DynamoTable:
        assert isinstance(self.world.db, DynamoTable)
        return self.world.db

    def relay_through(self, broker: Broker) -> StreamRelay:
        stream = dynamodb_outbox_stream(self.table, self.world.clock, self.world.settings)
        return StreamRelay(stream.outbox, broker, self.world.clock)

    async def read_stream(self) -> int:
        """Let the reader catch up with the stream; how many records it read."""
        total = 0
        for _ in range(20):
            read = await self.reader.step()
            if not read:
                return total
            total += read
        raise AssertionError("the reader keeps reading records again")

    def records(self) -> list[dict[str, Any]]:
        """Every record of the table's stream so far, as `GetRecords` returns them."""
        dynamodb = aws_client("dynamodb", self.endpoint)
        streams = aws_client("dynamodbstreams", self.endpoint)
        arn = dynamodb.describe_table(TableName=self.table.name)["Table"]["LatestStreamArn"]
        [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records: list[dict[str, Any]] = []
        while batch := streams.get_records(ShardIterator=iterator)["Records"]:
            records += batch
            iterator = streams.get_records(ShardIterator=iterator)["NextShardIterator"]
        return records

    def outbox_records(self, aggregate_id: str) -> list[dict[str, Any]]:
        return [
            r
            for r in self.records()
            if r["eventName"] == "INSERT"
            and r["dynamodb"]["Keys"]["PK"]["S"] == f"OUTBOX#{aggregate_id}"
        ]


@pytest.fixture
async def streamed(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[Streamed]:
    endpoint: str = request.getfixturevalue("moto_endpoint")
    async with fresh_table(request, monkeypatch) as table:
        monkeypatch.setenv("CAREHUB_AWS_ENDPOINT_URL", endpoint)
        recorder = Recorder()
        url = f"dynamodb://{table.name}?region={REGION}"
        async with event_world(url, tmp_path, [ANALYTICS, recorder.consumer]) as world:
            assert isinstance(world.db, DynamoTable)
            stream = dynamodb_outbox_stream(world.db, world.clock, world.settings)
            relay = StreamRelay(stream.outbox, world.events.broker, world.clock)
            lease = RelayLease(world.events.outbox, "stream-test")
            reader = TableStreamReader.connect(
                world.db, relay, lease, region=REGION, endpoint_url=endpoint
            )
            async with consuming(world):
                yield Streamed(world, relay, reader, recorder, endpoint)


@asynccontextmanager
async def consuming(world: EventWorld) -> AsyncIterator[None]:
    """The consumers run meanwhile (the in-process broker's publish waits for them)."""
    stopping = asyncio.Event()
    loops = [asyncio.create_task(runner.run(stopping)) for runner in world.events.runners]
    try:
        yield
    finally:
        stopping.set()
        await asyncio.gather(*loops)


async def revise(world: EventWorld, patient: Patient, email: str) -> None:
    current = await world.patients.get(actor=ACTOR, patient_id=patient.id)
    await world.patients.revise(
        actor=ACTOR,
        patient_id=patient.id,
        if_version=current.version,
        changes=PatientChanges(email=email),
    )


def versions(messages: Sequence[EventMessage]) -> list[int]:
    return [int(m.payload.get("version", 1)) for m in messages]


async def test_each_patients_events_reach_consumers_from_the_stream_in_order(
    streamed: Streamed,
) -> None:
    world = streamed.world
    patients = [await world.register() for _ in range(3)]
    for round_ in range(3):
        for patient in patients:  # the patients' writes interleave in the stream
            await revise(world, patient, f"p{round_}@example.org")
    assert await streamed.read_stream() > 0
    # Outbox items are partitioned by aggregate (`OUTBOX#{patient}`), and a stream shard
    # keeps one partition key's changes in order: each patient's events arrive in order.
    for patient in patients:
        assert versions(streamed.recorder.of(patient.id)) == [1, 2, 3, 4]
    assert await registered_today(world) == 3
    # Marked published: the poller has nothing left to send.
    assert await world.events.outbox.backlog() == 0
    assert await world.events.relay.drain() == 0


async def test_replaying_the_records_sends_consumers_nothing_new(streamed: Streamed) -> None:
    world = streamed.world
    patients = [await world.register() for _ in range(2)]
    await revise(world, patients[0], "new@example.org")
    await streamed.read_stream()
    assert len(streamed.recorder.seen) == 3
    records = streamed.records()

    report = await relay_from_stream_records(records, streamed.relay)
    assert (report.published, report.failed) == (0, ())
    # A Lambda gets the same records as JSON (times as epoch seconds).
    lambda_event = json.loads(json.dumps({"Records": records}, default=lambda at: at.timestamp()))
    report = await relay_from_stream_records(lambda_event["Records"], streamed.relay)
    assert (report.published, report.failed) == (0, ())
    assert len(streamed.recorder.seen) == 3


async def test_an_event_sent_twice_is_applied_once_by_an_idempotent_consumer(
    streamed: Streamed,
) -> None:
    world = streamed.world
    patient = await world.register()
    await streamed.read_stream()
    assert await registered_today(world) == 1
    # A relay that published and died before marking the event publishes it again.
    key = {
        "PK": {"S": f"OUTBOX#{patient.id}"},
        "SK": streamed.outbox_records(patient.id)[0]["dynamodb"]["Keys"]["SK"],
    }
    aws_client("dynamodb", streamed.endpoint).update_item(
        TableName=streamed.table.name, Key=key, UpdateExpression="REMOVE published_at"
    )
    report = await relay_from_stream_records(streamed.outbox_records(patient.id), streamed.relay)
    assert report.published == 1
    assert len(streamed.recorder.of(patient.id)) == 2  # delivered twice ...
    assert await registered_today(world) == 1  # ... counted once (`PROCESSED#` items)


async def test_events_the_poller_sent_are_not_sent_again(streamed: Streamed) -> None:
    world = streamed.world
    patients = [await world.register() for _ in range(2)]
    assert await world.events.relay.drain() == 2
    assert len(streamed.recorder.seen) == 2
    await streamed.read_stream()
    report = await relay_from_stream_records(streamed.records(), streamed.relay)
    assert report.published == 0
    assert sorted(m.aggregate_id for m in streamed.recorder.seen) == sorted(p.id for p in patients)


async def test_a_record_arriving_before_an_older_one_of_its_aggregate_sends_both_in_order(
    streamed: Streamed,
) -> None:
    # A transaction's records may reach the stream in any order: the relay publishes what
    # the aggregate has waiting up to the event it is told of, oldest first.
    world = streamed.world
    patient = await world.register()
    await revise(world, patient, "later@example.org")
    older, newer = streamed.outbox_records(patient.id)

    report = await relay_from_stream_records([newer], streamed.relay)
    assert report.published == 2
    assert versions(streamed.recorder.of(patient.id)) == [1, 2]
    report = await relay_from_stream_records([older], streamed.relay)
    assert report.published == 0
    assert len(streamed.recorder.seen) == 2


def put_outbox_item(streamed: Streamed, aggregate_id: str, **fields: str) -> dict[str, Any]:
    """An outbox item written straight to the table, as a unit of work writes one; its key."""
    event_id = new_id()
    item = {
        "PK": f"OUTBOX#{aggregate_id}",
        "SK": f"EVENT#{event_id}",
        "kind": OUTBOX_EVENT_KIND,
        "event_id": event_id,
        "event_type": "patients.patient_registered.v1",
        "aggregate_id": aggregate_id,
        "actor_id": "test",
        "occurred_at": "2031-03-10T08:00:00.000000Z",
        "payload": json.dumps({"patientId": aggregate_id, "countryId": "PE"}),
        "GSI1PK": "OUTBOX_UNPUBLISHED#00",
        "GSI1SK": event_id,
        **fields,
    }
    aws_client("dynamodb", streamed.endpoint).put_item(
        TableName=streamed.table.name, Item={name: {"S": value} for name, value in item.items()}
    )
    return {"PK": {"S": item["PK"]}, "SK": {"S": item["SK"]}}


async def test_a_poison_record_is_reported_failed_while_the_rest_go_through(
    streamed: Streamed,
) -> None:
    world = streamed.world
    poisoned = new_id()
    poison = put_outbox_item(streamed, poisoned, payload="{not json")
    put_outbox_item(streamed, poisoned)  # a good event behind it waits: order comes first
    patients = [await world.register() for _ in range(2)]
    records = streamed.records()
    held = [r["dynamodb"]["SequenceNumber"] for r in streamed.outbox_records(poisoned)]

    report = await relay_from_stream_records(records, streamed.relay)
    assert report.failed == tuple(held)
    assert report.unreadable == tuple(held[:1])
    assert report.published == 2
    assert sorted(m.aggregate_id for m in streamed.recorder.seen) == sorted(p.id for p in patients)
    # Lambda gets back the event held behind the poison record, not the record itself,
    # which would fail for ever.
    assert partial_batch_response(report) == {"batchItemFailures": [{"itemIdentifier": held[1]}]}

    # The reader reads past the poison record (it will never decode) and again from the
    # event held behind it: the others go on, later ones too, the held one waits.
    await streamed.reader.step()
    later = await world.register()
    await streamed.reader.step()
    assert streamed.recorder.seen[-1].aggregate_id == later.id
    assert streamed.recorder.of(poisoned) == []
    # Once the bad item is removed from the table, the event behind it goes out.
    aws_client("dynamodb", streamed.endpoint).delete_item(TableName=streamed.table.name, Key=poison)
    await streamed.read_stream()
    assert [m.payload for m in streamed.recorder.of(poisoned)] == [
        {"patientId": poisoned, "countryId": "PE"}
    ]


class BrokerDown:
    """A broker that cannot be reached."""

    max_in_flight = 1

    async def publish(self, messages: Sequence[EventMessage]) -> None:
        raise ConnectionError("broker unreachable")


async def test_events_the_broker_refused_are_reported_and_sent_when_delivered_again(
    streamed: Streamed,
) -> None:
    world = streamed.world
    patients = [await world.register() for _ in range(2)]
    records = streamed.records()
    unreachable = streamed.relay_through(BrokerDown())  # type: ignore[arg-type]

    report = await relay_from_stream_records(records, unreachable)
    assert report.published == 0
    assert len(report.failed) == 2
    assert await world.events.outbox.backlog() == 2  # nothing marked

    report = await relay_from_stream_records(records, streamed.relay)
    assert (report.published, report.failed) == (2, ())
    assert sorted(m.aggregate_id for m in streamed.recorder.seen) == sorted(p.id for p in patients)
