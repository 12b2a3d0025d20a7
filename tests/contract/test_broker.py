"""The Broker port's contract: every adapter (in-process, Redis Streams, SNS + SQS) passes it.

`publish` runs as a task because the in-process broker returns only once every
subscription has settled its copies; durable brokers return at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from carehub.events.ports import Broker, Delivery, Subscription
from carehub.kernel.ids import new_id
from tests.support.brokers import (
    REGISTERED,
    UPDATED,
    USER_CREATED,
    VISIBILITY_TIMEOUT,
    ack_all,
    broker_factory,
    message,
    spec,
)

BROKERS = [
    "memory",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("sqs", marks=pytest.mark.aws),
]


@pytest.fixture(params=BROKERS)
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    async with broker_factory(request.param, request)() as opened:
        yield opened


async def receive_all(
    subscription: Subscription, count: int, within: float = 10.0
) -> list[Delivery]:
    """Deliveries until `count` arrived (or `within` seconds passed)."""
    got: list[Delivery] = []
    deadline = time.monotonic() + within
    while len(got) < count and time.monotonic() < deadline:
        got.extend(await subscription.receive(10, 0.5))
    return got


async def test_a_published_message_reaches_its_consumer_whole(broker: Broker) -> None:
    consumer = spec("analytics")
    await broker.declare([consumer])
    sent = message()
    publishing = asyncio.create_task(broker.publish([sent]))
    subscription = broker.subscription(consumer)
    [delivery] = await receive_all(subscription, 1)
    assert delivery.message == sent
    assert delivery.attempt == 1
    await subscription.ack(delivery)
    await asyncio.wait_for(publishing, 10)


async def test_an_acknowledged_message_does_not_come_back(broker: Broker) -> None:
    consumer = spec("analytics")
    await broker.declare([consumer])
    publishing = asyncio.create_task(broker.publish([message()]))
    subscription = broker.subscription(consumer)
    await ack_all(subscription, await receive_all(subscription, 1))
    await asyncio.wait_for(publishing, 10)
    await asyncio.sleep(VISIBILITY_TIMEOUT + 0.2)
    assert await subscription.receive(10, 0.5) == []


async def test_every_interested_consumer_gets_its_own_copy(broker: Broker) -> None:
    analytics = spec("analytics", REGISTERED)
    webhooks = spec("webhooks", REGISTERED, USER_CREATED)
    users = spec("users", USER_CREATED)
    await broker.declare([analytics, webhooks, users])
    registered, created = message(REGISTERED), message(USER_CREATED)
    publishing = asyncio.create_task(broker.publish([registered, created]))

    got = {}
    for consumer, expected in ((analytics, 1), (webhooks, 2), (users, 1)):
        subscription = broker.subscription(consumer)
        deliveries = await receive_all(subscription, expected)
        got[consumer.name] = {d.message.event_id for d in deliveries}
        await ack_all(subscription, deliveries)
    await asyncio.wait_for(publishing, 10)

    assert got == {
        "analytics": {registered.event_id},
        "webhooks": {registered.event_id, created.event_id},
        "users": {created.event_id},
    }


async def test_a_country_consumer_gets_only_its_country(broker: Broker) -> None:
    peru = spec("appointments-PE", REGISTERED, country="PE")
    chile = spec("appointments-CL", REGISTERED, country="CL")
    await broker.declare([peru, chile])
    to_peru, to_chile = message(country="PE"), message(country="CL")
    publishing = asyncio.create_task(broker.publish([to_peru, to_chile]))
    for consumer, expected in ((peru, to_peru), (chile, to_chile)):
        subscription = broker.subscription(consumer)
        deliveries = await receive_all(subscription, 1)
        await ack_all(subscription, deliveries)
        assert [d.message.event_id for d in deliveries] == [expected.event_id]
        assert await subscription.receive(10, 0.3) == []
    await asyncio.wait_for(publishing, 10)


async def test_messages_of_one_aggregate_arrive_in_publishing_order(broker: Broker) -> None:
    consumer = spec("analytics", REGISTERED, UPDATED)
    await broker.declare([consumer])
    aggregates = [new_id() for _ in range(3)]
    sent = [message(UPDATED, aggregates[i % 3]) for i in range(30)]
    publishing = asyncio.create_task(broker.publish(sent))
    subscription = broker.subscription(consumer)
    # Acknowledged batch by batch, as consumers do (SQS FIFO holds an aggregate's next
    # message back until the one before it is acknowledged).
    deliveries: list[Delivery] = []
    for _ in range(100):
        batch = await subscription.receive(10, 0.5)
        await ack_all(subscription, batch)
        deliveries += batch
        if len(deliveries) >= len(sent):
            break
    await asyncio.wait_for(publishing, 10)
    for aggregate in aggregates:
        expected = [m.event_id for m in sent if m.aggregate_id == aggregate]
        arrived = [d.message.event_id for d in deliveries if d.message.aggregate_id == aggregate]
        assert arrived == expected


async def test_messages_published_before_anyone_listens_wait(broker: Broker) -> None:
    consumer = spec("analytics")
    await broker.declare([consumer])
    sent = [message() for _ in range(5)]
    publishing = asyncio.create_task(broker.publish(sent))
    await asyncio.sleep(0.5)
    subscription = broker.subscription(consumer)
    deliveries = await receive_all(subscription, 5)
    await ack_all(subscription, deliveries)
    await asyncio.wait_for(publishing, 10)
    assert sorted(d.message.event_id for d in deliveries) == sorted(m.event_id for m in sent)


async def test_retry_later_delivers_again_after_the_delay_with_the_next_attempt(
    broker: Broker,
) -> None:
    consumer = spec("analytics")
    await broker.declare([consumer])
    publishing = asyncio.create_task(broker.publish([message()]))
    subscription = broker.subscription(consumer)
    [first] = await receive_all(subscription, 1)
    put_back = time.monotonic()
    await subscription.retry_later(first, 1.0)
    [second] = await receive_all(subscription, 1)
    assert time.monotonic() - put_back >= 0.9
    assert second.message == first.message
    assert second.attempt == 2
    await subscription.ack(second)
    await asyncio.wait_for(publishing, 10)


async def test_a_message_whose_consumer_died_goes_to_another_instance(broker: Broker) -> None:
    consumer = spec("analytics")
    await broker.declare([consumer])
    publishing = asyncio.create_task(broker.publish([message()]))
    dying, survivor = broker.subscription(consumer), broker.subscription(consumer)
    [lost] = await receive_all(dying, 1)  # never acknowledged: its consumer died
    [again] = await receive_all(survivor, 1, within=VISIBILITY_TIMEOUT * 10)
    assert again.message == lost.message
    assert again.attempt == 2
    await survivor.ack(again)
    await asyncio.wait_for(publishing, 10)


async def test_declaring_twice_changes_nothing(broker: Broker) -> None:
    consumer = spec("analytics")
    await broker.declare([consumer])
    publishing = asyncio.create_task(broker.publish([message()]))
    await broker.declare([consumer])
    subscription = broker.subscription(consumer)
    deliveries = await receive_all(subscription, 1)
    assert len(deliveries) == 1
    await ack_all(subscription, deliveries)
    await asyncio.wait_for(publishing, 10)
