"""The OutboxStore port on every backend, through the relay and the consumers with the
in-process broker: events commit with their change, leave in order, and are relayed once.

Effects are counted in the analytics counters (the real consumer) or in lists kept by
consumers made for the test.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from carehub.bootstrap.event_types import EVENT_TYPES
from carehub.events.model import Consumer, ConsumerSpec
from carehub.events.relay import OutboxRelay
from carehub.events.runner import ConsumerOf
from carehub.kernel.errors import Conflict
from carehub.kernel.events import EventMessage
from carehub.patients.model import PatientChanges
from tests.contract.every_database import every_database  # noqa: F401 (the databases)
from tests.support.event_world import (
    ACTOR,
    ANALYTICS,
    consume_until,
    event_world,
    registered_today,
)


class Recorder:
    """A consumer that remembers what it applied, in order."""

    def __init__(self, name: str = "recorder") -> None:
        self.seen: list[EventMessage] = []
        self.consumer: ConsumerOf = Consumer(ConsumerSpec(name, frozenset(EVENT_TYPES)), self.apply)

    async def apply(self, message: EventMessage, uow: object) -> None:
        self.seen.append(message)


async def test_a_registration_reaches_the_analytics_counter_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    recorder = Recorder()
    async with event_world(database_url, tmp_path, [ANALYTICS, recorder.consumer]) as world:
        patient = await world.register()
        await consume_until(world, lambda: len(recorder.seen) == 1)
        assert await world.events.outbox.backlog() == 0
        assert await registered_today(world) == 1
        [message] = recorder.seen
        assert message.event_type == "patients.patient_registered.v1"
        assert message.aggregate_id == patient.id
        assert message.payload == {"patientId": patient.id, "countryId": "PE"}


async def test_a_change_that_fails_records_no_event(database_url: str, tmp_path: Path) -> None:
    async with event_world(database_url, tmp_path, [ANALYTICS]) as world:
        await world.register(patient_id="0315")
        with pytest.raises(Conflict):
            await world.register(patient_id="0315")
        assert await world.events.outbox.backlog() == 1


async def test_each_patients_events_arrive_in_the_order_they_happened(
    database_url: str, tmp_path: Path
) -> None:
    recorder = Recorder()
    async with event_world(database_url, tmp_path, [recorder.consumer]) as world:
        patients = [await world.register() for _ in range(3)]
        for round_ in range(3):
            for patient in patients:
                current = await world.patients.get(actor=ACTOR, patient_id=patient.id)
                await world.patients.revise(
                    actor=ACTOR,
                    patient_id=patient.id,
                    if_version=current.version,
                    changes=PatientChanges(email=f"p{round_}@example.org"),
                )
        await consume_until(world, lambda: len(recorder.seen) == 12)
        for patient in patients:
            versions = [
                m.payload.get("version", 1) for m in recorder.seen if m.aggregate_id == patient.id
            ]
            assert versions == [1, 2, 3, 4]


async def test_only_the_lease_holder_relays_and_another_takes_over_when_it_dies(
    database_url: str, tmp_path: Path
) -> None:
    async with event_world(database_url, tmp_path, []) as world:
        await world.register()
        first = world.events.relay
        second = OutboxRelay(
            world.events.outbox, world.events.broker, world.clock, owner="second", lease_seconds=15
        )
        assert await first.drain() == 1
        await world.register()
        assert await second.drain() == 0  # the first still holds the lease
        assert await world.events.outbox.backlog() == 1
        world.clock.advance(timedelta(seconds=16))  # the first died: its lease ran out
        assert await second.drain() == 1
        assert await world.events.outbox.backlog() == 0


class FlakyBroker:
    """The in-process broker behind a switch that makes publishing fail."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.down = True
        self.max_in_flight = 1

    async def publish(self, messages: Sequence[EventMessage]) -> None:
        if self.down:
            raise ConnectionError("broker unreachable")
        await self.inner.publish(messages)  # type: ignore[attr-defined]


async def test_events_wait_in_the_outbox_while_the_broker_is_down(
    database_url: str, tmp_path: Path
) -> None:
    recorder = Recorder()
    async with event_world(database_url, tmp_path, [recorder.consumer]) as world:
        broker = FlakyBroker(world.events.broker)
        relay = OutboxRelay(
            world.events.outbox, broker, world.clock, owner="flaky", max_pause_seconds=0.1
        )  # type: ignore[arg-type]
        patients = [await world.register() for _ in range(5)]  # writes succeed meanwhile
        await relay.step()
        assert await world.events.outbox.backlog() == 5
        broker.down = False
        world.events.relay = relay
        await consume_until(world, lambda: len(recorder.seen) == 5)
        assert sorted(m.aggregate_id for m in recorder.seen) == sorted(p.id for p in patients)
        assert await world.events.outbox.backlog() == 0
