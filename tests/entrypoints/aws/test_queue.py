"""A consumer on Lambda: an SQS batch from its queue, with a poison message among them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from carehub.analytics.model import Metric
from carehub.bootstrap import Carehub
from carehub.entrypoints.aws import http, queue, stream
from carehub.entrypoints.aws.container import CONTAINER
from carehub.events.model import Consumer
from carehub.kernel.actor import Actor
from carehub.kernel.events import EventMessage
from carehub.kernel.ids import new_id
from tests.entrypoints.aws.api import LambdaApi, booked_weekday, doctor_body
from tests.entrypoints.aws.conftest import LambdaWorld
from tests.entrypoints.aws.events import sqs_batch
from tests.entrypoints.aws.queued import received_batch, send_raw
from tests.entrypoints.aws.test_stream import stream_records

pytestmark = pytest.mark.aws
SYSTEM = Actor.system("test")
SANTIAGO = ZoneInfo("America/Santiago")


def registered(patient_id: str) -> EventMessage:
    return EventMessage(
        event_id=new_id(),
        event_type="patients.patient_registered.v1",
        aggregate_id=patient_id,
        occurred_at=datetime.now(UTC),
        actor_id="test",
        payload={"patientId": patient_id, "countryId": "PE"},
    )


def publish(*messages: EventMessage) -> None:
    async def send(carehub: Carehub) -> None:
        await carehub.events.broker.publish(list(messages))

    CONTAINER.run(send)


def counted() -> int:
    async def count(carehub: Carehub) -> int:
        today = datetime.now(UTC).date()
        days = await carehub.analytics.daily(
            actor=SYSTEM,
            metric=Metric.PATIENTS_REGISTERED,
            first=today,
            last=today,
            where={"countryId": "PE"},
        )
        return sum(n for _, n in days.days)

    return CONTAINER.run(count)


def failures(response: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


def test_a_poison_message_fails_alone_and_its_group_waits_behind_it(
    lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAREHUB_CONSUMER", "analytics")
    first, second = registered(new_id()), registered(new_id())
    publish(first)
    send_raw(lambda_world, "analytics", "not an event", group=second.aggregate_id)
    publish(second)  # same message group as the poison message, after it
    batch = received_batch(lambda_world, "analytics", expected=3)
    by_body = {r["body"]: r["messageId"] for r in batch["Records"]}
    assert len(by_body) == 3

    response = queue.handler(batch, None)

    poison = by_body["not an event"]
    behind = next(m for b, m in by_body.items() if second.event_id in b)
    assert sorted(failures(response)) == sorted([poison, behind])
    assert counted() == 1  # the first message's group went through

    # Lambda delivers the same record again (at least once): it is counted once.
    first_record = [r for r in batch["Records"] if first.event_id in r["body"]]
    assert failures(queue.handler({"Records": first_record}, None)) == []
    assert counted() == 1


def test_a_failing_message_is_retried_then_parked_as_a_dead_letter(
    lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAREHUB_CONSUMER", "analytics")
    monkeypatch.setenv("CAREHUB_EVENT_MAX_ATTEMPTS", "2")
    message = registered(new_id())
    body = orjson.dumps(message.to_json()).decode()

    async def broken(carehub: Carehub) -> None:
        [runner] = [r for r in carehub.events.runners if r.name == "analytics"]

        async def fail(message: EventMessage, uow: Any) -> None:
            raise RuntimeError("the store said no")

        runner.consumer = Consumer(runner.consumer.spec, fail)

    CONTAINER.run(broken)
    first = sqs_batch("analytics", [(message.aggregate_id, body)])
    assert failures(queue.handler(first, None)) == [first["Records"][0]["messageId"]]

    again = sqs_batch("analytics", [(message.aggregate_id, body)])
    again["Records"][0]["attributes"]["ApproximateReceiveCount"] = "2"
    assert failures(queue.handler(again, None)) == []  # parked: Lambda may delete it

    async def parked(carehub: Carehub) -> list[str]:
        page = await carehub.dead_letters.list(actor=SYSTEM, consumer="analytics")
        return [letter.message.event_id for letter in page.items]

    assert CONTAINER.run(parked) == [message.event_id]


def test_without_a_consumer_named_the_function_refuses_to_run(
    lambda_world: LambdaWorld,
) -> None:
    with pytest.raises(ValueError, match="CAREHUB_CONSUMER"):
        queue.handler(sqs_batch("analytics", []), None)


def test_a_chilean_booking_is_confirmed_by_the_bookings_cl_function(
    lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = LambdaApi()
    patient_id = api.patient("CL")
    api.call("POST", "/doctors", doctor_body("dr-cl", "CL"), status=201)
    # A new container knows Chile from its start, so it has Chile's queue and consumer.
    http.reset()
    CONTAINER.reset()
    monkeypatch.setenv("CAREHUB_CONSUMER", "bookings-CL")
    api = LambdaApi()
    appointment = booked_weekday(api, "dr-cl", patient_id, SANTIAGO)
    assert appointment["status"] == "pending"

    stream.handler({"Records": stream_records(lambda_world)}, None)
    batch = received_batch(lambda_world, "bookings-CL", expected=1)
    assert failures(queue.handler(batch, None)) == []

    read = api.call("GET", f"/appointments/{appointment['appointmentId']}")
    assert read["status"] == "confirmed"
