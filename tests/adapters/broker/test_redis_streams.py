"""The Redis Streams broker against a real server: what the Broker contract cannot see
(filtering inside a family, the delivery counter, the pending entries list, timeouts)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from carehub.adapters.broker.redis_streams import RedisStreamsBroker, redis_broker_from_url
from tests.support.brokers import (
    REDIS_URL,
    REGISTERED,
    UPDATED,
    USER_CREATED,
    VISIBILITY_TIMEOUT,
    ack_all,
    message,
    redis_broker,
    spec,
)

pytestmark = pytest.mark.redis


@pytest.fixture
async def broker() -> AsyncIterator[RedisStreamsBroker]:
    async with redis_broker() as opened:
        yield opened


@pytest.fixture
async def server() -> AsyncIterator[Redis]:
    """A plain client, to look at what the broker left in Redis."""
    client = Redis.from_url(REDIS_URL, socket_timeout=5)
    yield client
    await client.aclose()


async def pending(server: Redis, broker: RedisStreamsBroker, group: str) -> int:
    summary = await server.xpending(broker.stream("patients"), group)
    return int(summary["pending"])


async def test_other_types_and_countries_of_the_family_are_acknowledged_unseen(
    broker: RedisStreamsBroker, server: Redis
) -> None:
    consumer = spec("appointments-PE", REGISTERED, country="PE")
    await broker.declare([consumer])
    wanted = message(REGISTERED, country="PE")
    await broker.publish([message(UPDATED), message(REGISTERED, country="CL"), wanted])
    subscription = broker.subscription(consumer)

    deliveries = await subscription.receive(10, 1.0)

    assert [d.message.event_id for d in deliveries] == [wanted.event_id]
    assert await pending(server, broker, consumer.name) == 1  # only the delivered one
    await subscription.ack(deliveries[0])
    assert await pending(server, broker, consumer.name) == 0
    await asyncio.sleep(VISIBILITY_TIMEOUT + 0.2)
    assert await subscription.receive(10, 0.3) == []


async def test_the_attempt_keeps_climbing_across_retries(
    broker: RedisStreamsBroker, server: Redis
) -> None:
    consumer = spec("analytics")
    await broker.declare([consumer])
    await broker.publish([message()])
    subscription = broker.subscription(consumer)

    attempts = []
    for _ in range(3):
        [delivery] = await subscription.receive(10, 5.0)
        attempts.append(delivery.attempt)
        await subscription.retry_later(delivery, 0.2)
    [last] = await subscription.receive(10, 5.0)

    assert [*attempts, last.attempt] == [1, 2, 3, 4]
    [entry] = await server.xpending_range(broker.stream("patients"), "analytics", "-", "+", 10)
    assert entry["times_delivered"] == 4  # JUSTID: putting back is not a delivery
    await subscription.ack(last)


async def test_a_retry_is_not_due_before_its_delay(broker: RedisStreamsBroker) -> None:
    consumer = spec("analytics")
    await broker.declare([consumer])
    await broker.publish([message()])
    subscription = broker.subscription(consumer)
    [delivery] = await subscription.receive(10, 1.0)

    await subscription.retry_later(delivery, 0.8)

    assert await subscription.receive(10, 0.3) == []
    [again] = await subscription.receive(10, 2.0)
    assert again.attempt == 2


async def test_two_instances_share_the_work_without_overlap(broker: RedisStreamsBroker) -> None:
    consumer = spec("analytics")
    await broker.declare([consumer])
    sent = [message() for _ in range(20)]
    await broker.publish(sent)
    first, second = broker.subscription(consumer), broker.subscription(consumer)

    got_first = await first.receive(10, 1.0)
    got_second = await second.receive(10, 1.0)

    ids_first = {d.message.event_id for d in got_first}
    ids_second = {d.message.event_id for d in got_second}
    assert len(got_first) == len(got_second) == 10
    assert ids_first | ids_second == {m.event_id for m in sent}


async def test_a_receive_never_returns_more_than_asked_across_families(
    broker: RedisStreamsBroker,
) -> None:
    consumer = spec("webhooks", REGISTERED, USER_CREATED)
    await broker.declare([consumer])
    sent = [message(REGISTERED) for _ in range(3)] + [message(USER_CREATED) for _ in range(3)]
    await broker.publish(sent)
    subscription = broker.subscription(consumer)

    batches = []
    for _ in range(8):  # each acknowledged at once, so none comes back as a retry
        batches.append(await subscription.receive(1, 0.5))
        await ack_all(subscription, batches[-1])

    assert [len(batch) for batch in batches] == [1] * 6 + [0, 0]
    assert {b[0].message.event_id for b in batches[:6]} == {m.event_id for m in sent}
    assert {b[0].attempt for b in batches[:6]} == {1}  # held back, not re-delivered


async def test_a_new_consumer_starts_at_the_end_of_the_stream(broker: RedisStreamsBroker) -> None:
    early = spec("analytics")
    await broker.declare([early])
    before = message()
    await broker.publish([before])
    late = spec("webhooks")
    await broker.declare([late])
    after = message()
    await broker.publish([after])

    early_got = await broker.subscription(early).receive(10, 1.0)
    late_got = await broker.subscription(late).receive(10, 1.0)

    assert [d.message.event_id for d in early_got] == [before.event_id, after.event_id]
    assert [d.message.event_id for d in late_got] == [after.event_id]


async def test_a_waiting_receive_wakes_for_a_publish_and_lets_other_tasks_run(
    broker: RedisStreamsBroker,
) -> None:
    consumer = spec("analytics")
    await broker.declare([consumer])
    subscription = broker.subscription(consumer)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    waiting = asyncio.create_task(subscription.receive(10, 10.0))
    await asyncio.sleep(0.3)
    await broker.publish([message()])
    deliveries = await waiting
    ticker.cancel()

    assert len(deliveries) == 1
    assert time.monotonic() - started < 2.0
    assert ticks >= 10


async def test_a_pending_entry_trimmed_away_is_dropped(
    broker: RedisStreamsBroker, server: Redis
) -> None:
    consumer = spec("analytics")
    await broker.declare([consumer])
    lost, kept = message(), message()
    await broker.publish([lost, kept])
    dying, survivor = broker.subscription(consumer), broker.subscription(consumer)
    deliveries = await dying.receive(10, 1.0)
    entry_id = deliveries[0].receipt.split(" ", 1)[0]
    await server.xdel(broker.stream("patients"), entry_id)

    again = await survivor.receive(10, VISIBILITY_TIMEOUT * 5)

    assert [d.message.event_id for d in again] == [kept.event_id]
    await survivor.ack(again[0])
    assert await pending(server, broker, consumer.name) == 0


async def test_an_unreadable_entry_is_dropped_and_does_not_block_the_rest(
    broker: RedisStreamsBroker, server: Redis
) -> None:
    consumer = spec("analytics")
    await broker.declare([consumer])
    await server.xadd(broker.stream("patients"), {"type": REGISTERED, "event": b"{not json"})
    good = message()
    await broker.publish([good])

    deliveries = await broker.subscription(consumer).receive(10, 1.0)

    assert [d.message.event_id for d in deliveries] == [good.event_id]
    assert await pending(server, broker, consumer.name) == 1


async def test_closing_removes_instances_that_hold_nothing(
    server: Redis,
) -> None:
    async with redis_broker() as broker:
        consumer = spec("analytics")
        await broker.declare([consumer])
        await broker.publish([message(), message()])
        done, holding = broker.subscription(consumer), broker.subscription(consumer)
        await done.ack((await done.receive(1, 1.0))[0])
        await holding.receive(1, 1.0)  # never acknowledged
        stream = broker.stream("patients")

        await broker.close()

        consumers = await server.xinfo_consumers(stream, "analytics")
        assert [c["name"].decode() for c in consumers] == [holding.name]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_publishing_to_a_closed_port_fails_at_once() -> None:
    broker = redis_broker_from_url(f"redis://127.0.0.1:{free_port()}/0")
    started = time.monotonic()
    with pytest.raises(RedisConnectionError):
        await asyncio.wait_for(broker.publish([message()]), 10)
    assert time.monotonic() - started < 5
    await broker.close()


async def test_publishing_to_a_server_that_never_answers_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and hangs up
        writer.close()

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    broker = redis_broker_from_url(f"redis://127.0.0.1:{port}/0", socket_timeout=1.5)
    started = time.monotonic()
    with pytest.raises(RedisTimeoutError):
        await asyncio.wait_for(broker.publish([message()]), 10)
    assert time.monotonic() - started < 5
    await broker.close()
    listener.close()
    await listener.wait_closed()
