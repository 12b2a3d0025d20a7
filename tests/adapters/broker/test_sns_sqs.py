"""The SNS + SQS broker on a moto server: what it creates, FIFO order, dead letters, refusals.

The Broker contract (tests/contract/test_broker.py) covers what every broker does; these
tests look at what is particular to SNS + SQS, inspecting it with boto3 where needed.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from carehub.adapters.broker.sns_sqs import PublishFailed, SnsSqsBroker, sqs_broker_from_url
from carehub.adapters.broker.sns_sqs_layout import Layout
from carehub.events.model import ConsumerSpec
from carehub.events.ports import Delivery, Subscription
from carehub.kernel.events import EventMessage
from carehub.kernel.ids import new_id
from tests.support.moto import aws_client

pytestmark = pytest.mark.aws

REGISTERED = "patients.patient_registered.v1"
UPDATED = "patients.patient_updated.v1"
USER_CREATED = "identity.user_created.v1"

OpenBroker = Callable[..., Awaitable[SnsSqsBroker]]


@pytest.fixture
def sqs(moto_endpoint: str) -> Any:
    return aws_client("sqs", moto_endpoint)


@pytest.fixture
def sns(moto_endpoint: str) -> Any:
    return aws_client("sns", moto_endpoint)


@pytest.fixture
def prefix() -> str:
    return f"t{new_id()[-12:]}"


@pytest.fixture
async def open_broker(moto_endpoint: str, prefix: str) -> AsyncIterator[OpenBroker]:
    """Opens brokers under this test's prefix (closed at the end), 1 s visibility timeout."""
    opened: list[SnsSqsBroker] = []

    async def open_one(**options: Any) -> SnsSqsBroker:
        sns, sqs = aws_client("sns", moto_endpoint), aws_client("sqs", moto_endpoint)
        broker = SnsSqsBroker(sns, sqs, prefix=prefix, visibility_timeout=1, **options)
        opened.append(broker)
        return broker

    yield open_one
    for broker in opened:
        await broker.close()


def message(
    event_type: str = REGISTERED, aggregate_id: str | None = None, country: str | None = "PE"
) -> EventMessage:
    aggregate = aggregate_id or new_id()
    payload: dict[str, Any] = {"patientId": aggregate}
    if country is not None:
        payload["countryId"] = country
    return EventMessage(
        event_id=new_id(),
        event_type=event_type,
        aggregate_id=aggregate,
        occurred_at=datetime(2026, 11, 23, 10, 30, tzinfo=UTC),
        actor_id="user-1",
        payload=payload,
    )


def spec(name: str, *types: str, country: str | None = None) -> ConsumerSpec:
    return ConsumerSpec(name, frozenset(types or (REGISTERED,)), country_id=country)


async def receive_acking(subscription: Subscription, count: int) -> list[Delivery]:
    """Deliveries until `count` arrived, each batch acknowledged before the next receive."""
    got: list[Delivery] = []
    deadline = time.monotonic() + 10
    while len(got) < count and time.monotonic() < deadline:
        batch = await subscription.receive(10, 0.2)
        for delivery in batch:
            await subscription.ack(delivery)
        got.extend(batch)
    return got


def queue_url(sqs: Any, name: str) -> str:
    return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])


def queue_attributes(sqs: Any, name: str) -> dict[str, str]:
    url = queue_url(sqs, name)
    return dict(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"])


def subscriptions(sns: Any, layout: Layout, family: str) -> list[dict[str, str]]:
    """The attributes of every subscription of a family's topic."""
    # create_topic is idempotent: the way to look a topic's ARN up by its name.
    topic = sns.create_topic(Name=layout.topic(family), Attributes={"FifoTopic": "true"})
    found = sns.list_subscriptions_by_topic(TopicArn=topic["TopicArn"])["Subscriptions"]
    return [
        sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])["Attributes"]
        for s in found
    ]


async def test_declare_creates_the_queues_dead_letter_queue_and_filtered_subscriptions(
    open_broker: OpenBroker, sqs: Any, sns: Any, prefix: str
) -> None:
    broker = await open_broker(max_receive_count=3)
    await broker.declare([spec("webhooks", REGISTERED, UPDATED, USER_CREATED, country="PE")])
    layout = Layout(prefix)

    queue = queue_attributes(sqs, layout.queue("webhooks"))
    dead_letters = queue_attributes(sqs, layout.dead_letter_queue("webhooks"))
    assert queue["FifoQueue"] == dead_letters["FifoQueue"] == "true"
    assert queue["VisibilityTimeout"] == "1"
    redrive = json.loads(queue["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dead_letters["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 3
    [allowed] = json.loads(queue["Policy"])["Statement"]
    assert allowed["Principal"] == {"Service": "sns.amazonaws.com"}
    assert len(allowed["Condition"]["ArnEquals"]["aws:SourceArn"]) == 2  # the two families

    [patients] = subscriptions(sns, layout, "patients")
    [identity] = subscriptions(sns, layout, "identity")
    assert patients["Endpoint"] == identity["Endpoint"] == queue["QueueArn"]
    assert patients["RawMessageDelivery"] == identity["RawMessageDelivery"] == "true"
    assert json.loads(patients["FilterPolicy"]) == {
        "event_type": sorted([REGISTERED, UPDATED]),
        "country_id": ["PE"],
    }
    assert json.loads(identity["FilterPolicy"]) == {
        "event_type": [USER_CREATED],
        "country_id": ["PE"],
    }


async def test_declaring_again_changes_nothing_and_a_wider_consumer_is_brought_up_to_date(
    open_broker: OpenBroker, sqs: Any, sns: Any, prefix: str
) -> None:
    broker = await open_broker()
    layout = Layout(prefix)
    await broker.declare([spec("analytics", REGISTERED)])
    before = queue_attributes(sqs, layout.queue("analytics"))
    await broker.declare([spec("analytics", REGISTERED)])
    assert queue_attributes(sqs, layout.queue("analytics")) == before

    # A later release of the consumer also wants updates: the same subscription, widened.
    await broker.declare([spec("analytics", REGISTERED, UPDATED)])
    [subscription] = subscriptions(sns, layout, "patients")
    assert json.loads(subscription["FilterPolicy"])["event_type"] == sorted([REGISTERED, UPDATED])
    sent = message(UPDATED)
    await broker.publish([sent])
    [delivery] = await receive_acking(broker.subscription(spec("analytics", UPDATED)), 1)
    assert delivery.message == sent


async def test_events_of_one_aggregate_arrive_in_order_when_each_batch_is_acknowledged(
    open_broker: OpenBroker,
) -> None:
    broker = await open_broker()
    consumer = spec("analytics", REGISTERED, UPDATED)
    await broker.declare([consumer])
    aggregates = [new_id() for _ in range(3)]
    sent = [message(UPDATED, aggregates[i % 3]) for i in range(30)]
    await broker.publish(sent)
    deliveries = await receive_acking(broker.subscription(consumer), len(sent))
    assert sorted(d.message.event_id for d in deliveries) == sorted(m.event_id for m in sent)
    for aggregate in aggregates:
        expected = [m.event_id for m in sent if m.aggregate_id == aggregate]
        arrived = [d.message.event_id for d in deliveries if d.message.aggregate_id == aggregate]
        assert arrived == expected


async def test_an_aggregates_next_event_waits_while_the_one_before_is_in_flight(
    open_broker: OpenBroker,
) -> None:
    broker = await open_broker()
    consumer = spec("analytics", REGISTERED, UPDATED)
    await broker.declare([consumer])
    aggregate = new_id()
    first, second = message(REGISTERED, aggregate), message(UPDATED, aggregate)
    other = message(REGISTERED)
    await broker.publish([first, second, other])
    subscription = broker.subscription(consumer)

    [taken] = await subscription.receive(1, 0)
    assert taken.message == first
    held_back = await subscription.receive(10, 0)
    assert [d.message for d in held_back] == [other]
    await subscription.ack(held_back[0])
    await subscription.ack(taken)
    [then] = await subscription.receive(10, 0)
    assert then.message == second
    await subscription.ack(then)


async def test_publishing_a_batch_again_does_not_deliver_it_twice(
    open_broker: OpenBroker,
) -> None:
    broker = await open_broker()
    consumer = spec("analytics")
    await broker.declare([consumer])
    sent = [message() for _ in range(3)]
    await broker.publish(sent)
    await broker.publish(sent)  # the relay retrying after a failure part-way
    subscription = broker.subscription(consumer)
    deliveries = await receive_acking(subscription, 3)
    assert sorted(d.message.event_id for d in deliveries) == sorted(m.event_id for m in sent)
    assert await subscription.receive(10, 0.3) == []


async def test_a_message_never_acknowledged_ends_in_the_dead_letter_queue(
    open_broker: OpenBroker, sqs: Any, prefix: str
) -> None:
    broker = await open_broker(max_receive_count=2)
    consumer = spec("analytics")
    await broker.declare([consumer])
    sent = message()
    await broker.publish([sent])
    subscription = broker.subscription(consumer)

    attempts = []
    deadline = time.monotonic() + 10
    while len(attempts) < 2 and time.monotonic() < deadline:
        attempts += [d.attempt for d in await subscription.receive(10, 0.5)]  # never acked
    assert attempts == [1, 2]
    await asyncio.sleep(1.2)  # the visibility timeout of the second delivery
    assert await subscription.receive(10, 0) == []  # SQS moved it on instead

    dead_letters = queue_url(sqs, Layout(prefix).dead_letter_queue("analytics"))
    [parked] = sqs.receive_message(QueueUrl=dead_letters, MaxNumberOfMessages=10)["Messages"]
    assert EventMessage.from_json(json.loads(parked["Body"])) == sent


async def test_country_queues_get_only_their_country(open_broker: OpenBroker) -> None:
    broker = await open_broker()
    peru, chile = spec("appointments-PE", country="PE"), spec("appointments-CL", country="CL")
    everywhere = spec("analytics")
    await broker.declare([peru, chile, everywhere])
    to_peru, to_chile, to_nobody = (
        message(country="PE"),
        message(country="CL"),
        message(country=None),
    )
    await broker.publish([to_peru, to_chile, to_nobody])

    for consumer, expected in ((peru, [to_peru]), (chile, [to_chile])):
        subscription = broker.subscription(consumer)
        assert [d.message for d in await receive_acking(subscription, 1)] == expected
        assert await subscription.receive(10, 0.3) == []
    got = await receive_acking(broker.subscription(everywhere), 3)
    assert {d.message.event_id for d in got} == {m.event_id for m in (to_peru, to_chile, to_nobody)}


async def test_a_message_the_consumer_does_not_want_is_dropped(
    open_broker: OpenBroker, sqs: Any, prefix: str
) -> None:
    broker = await open_broker()
    consumer = spec("analytics", REGISTERED)
    await broker.declare([consumer])
    stray = message(UPDATED)  # as if the subscription filter had let it through
    url = queue_url(sqs, Layout(prefix).queue("analytics"))
    sqs.send_message(
        QueueUrl=url,
        MessageBody=json.dumps(stray.to_json()),
        MessageGroupId=stray.aggregate_id,
        MessageDeduplicationId=stray.event_id,
    )
    subscription = broker.subscription(consumer)
    assert await subscription.receive(10, 0) == []
    await asyncio.sleep(1.2)  # had it merely been left, it would be visible again by now
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


async def test_a_refused_message_raises_and_stops_its_family_there(
    open_broker: OpenBroker,
) -> None:
    broker = await open_broker()
    consumer = spec("analytics")
    await broker.declare([consumer])
    before, after = message(), message()
    too_long = message()
    too_long.payload["padding"] = "0" * 300_000  # SNS takes at most 256 KiB
    with pytest.raises(PublishFailed, match=too_long.event_id):
        await broker.publish([before, too_long, after])
    subscription = broker.subscription(consumer)
    assert [d.message for d in await receive_acking(subscription, 1)] == [before]
    assert await subscription.receive(10, 0.3) == []


async def test_a_short_wait_returns_promptly(open_broker: OpenBroker) -> None:
    broker = await open_broker()
    consumer = spec("analytics")
    await broker.declare([consumer])
    started = time.monotonic()
    assert await broker.subscription(consumer).receive(10, 0.3) == []
    assert 0.3 <= time.monotonic() - started < 0.9


async def test_a_subscription_finds_a_queue_declared_by_another_process(
    open_broker: OpenBroker,
) -> None:
    declaring, consuming = await open_broker(), await open_broker()
    consumer = spec("analytics")
    await declaring.declare([consumer])
    sent = message()
    await declaring.publish([sent])
    [delivery] = await receive_acking(consuming.subscription(consumer), 1)
    assert delivery.message == sent


def test_names_fit_sqs_and_never_collide() -> None:
    layout = Layout("carehub")
    assert layout.topic("patients") == "carehub-events-patients.fifo"
    assert layout.queue("appointments-PE") == "carehub-appointments-PE.fifo"
    assert layout.dead_letter_queue("appointments-PE") == "carehub-appointments-PE-dlq.fifo"
    odd = [layout.queue("a.b"), layout.queue("a/b"), layout.queue("x" * 100 + "1")]
    odd.append(layout.dead_letter_queue("x" * 100 + "2"))
    assert len(set(odd)) == len(odd)
    assert all(len(name) <= 80 and re.fullmatch(r"[A-Za-z0-9_-]+\.fifo", name) for name in odd)
    with pytest.raises(ValueError):
        Layout("care hub")


async def test_a_broker_from_a_url(
    moto_endpoint: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    url = f"sqs://?region=us-east-1&prefix={prefix}&max_receive_count=4"
    broker = sqs_broker_from_url(url, endpoint_url=moto_endpoint, visibility_timeout=1)
    try:
        consumer = spec("analytics")
        await broker.declare([consumer])
        sent = message()
        await broker.publish([sent])
        [delivery] = await receive_acking(broker.subscription(consumer), 1)
        assert delivery.message == sent
    finally:
        await broker.close()
    sqs = aws_client("sqs", moto_endpoint)
    redrive = queue_attributes(sqs, Layout(prefix).queue("analytics"))["RedrivePolicy"]
    assert int(json.loads(redrive)["maxReceiveCount"]) == 4


@pytest.mark.parametrize(
    "url",
    [
        "redis://?region=us-east-1",
        "sqs://somewhere?region=us-east-1",
        "sqs://?region=us-east-1&colour=blue",
        "sqs://?region=us-east-1&prefix=care.hub",
        "sqs://?region=us-east-1&max_receive_count=0",
    ],
)
def test_a_broker_url_it_cannot_use_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        sqs_broker_from_url(url)
