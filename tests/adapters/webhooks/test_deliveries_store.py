"""Queueing, claiming and recording deliveries on SQLite and PostgreSQL, through the use
cases (with a scripted sender instead of the network)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from carehub.webhooks.model import (
    DeliveryAttempt,
    DeliveryStatus,
    SubscriptionStatus,
    WebhookSubscription,
)
from carehub.webhooks.ports import SendResult
from tests.adapters.webhooks.conftest import (
    ADMIN,
    REGISTERED,
    SECRET,
    USER_CREATED,
    ScriptedSender,
    WebhookWorld,
    event,
    steady_retry,
)

OK = SendResult(200, 3.0)
BROKEN = SendResult(500, 4.0)
UNREACHABLE = SendResult(None, 5000.0, "ConnectTimeout: timed out")


async def subscribe(world: WebhookWorld, *types: str, url: str = "http://127.0.0.1:9/in") -> str:
    service = world.service()
    found = await service.register(
        actor=ADMIN, url=url, event_types=list(types or [REGISTERED]), secret=SECRET
    )
    return found.id


async def subscription(world: WebhookWorld, subscription_id: str) -> WebhookSubscription:
    return await world.service().get(actor=ADMIN, subscription_id=subscription_id)


async def test_each_event_is_queued_once_per_subscription_that_wants_it(
    world: WebhookWorld,
) -> None:
    registered_only = await subscribe(world, REGISTERED)
    everything = await subscribe(world, "*")
    users_only = await subscribe(world, USER_CREATED)
    message = event(REGISTERED)
    await world.publish(message)
    await world.publish(message)  # applied twice (a redelivery): still one delivery each

    service = world.service()
    for subscription_id, expected in ((registered_only, 1), (everything, 1), (users_only, 0)):
        page = await service.deliveries(
            actor=ADMIN, subscription_id=subscription_id, cursor=None, limit=50
        )
        assert len(page.items) == expected
        for record in page.items:
            assert record.delivery.event_id == message.event_id
            assert record.delivery.status is DeliveryStatus.PENDING
            assert record.attempts == ()


async def test_a_claimed_delivery_is_not_claimed_again_until_its_claim_expires(
    world: WebhookWorld,
) -> None:
    await subscribe(world)
    await world.publish(event())
    now = world.clock.now()
    async with world.uow() as uow:
        first = await uow.webhooks.claim_due(now=now, until=now + timedelta(seconds=60), limit=10)
        await uow.commit()
    async with world.uow() as uow:
        second = await uow.webhooks.claim_due(now=now, until=now + timedelta(seconds=60), limit=10)
        await uow.commit()
    later = now + timedelta(seconds=61)  # the claimer died without recording anything
    async with world.uow() as uow:
        third = await uow.webhooks.claim_due(now=later, until=later, limit=10)
        await uow.commit()
    assert len(first) == 1
    assert second == []
    assert [d.id for d in third] == [first[0].id]


async def test_concurrent_dispatchers_never_send_one_delivery_twice(world: WebhookWorld) -> None:
    await subscribe(world)
    for _ in range(30):
        await world.publish(event())
    sender = ScriptedSender(delay=0.05)
    dispatchers = [world.service(sender, concurrency=3) for _ in range(4)]

    async def drain(service_index: int) -> int:
        total = 0
        while sent := await dispatchers[service_index].deliver_due(limit=4):
            total += sent
        return total

    totals = await asyncio.gather(*(drain(i) for i in range(4)))
    assert sum(totals) == 30
    assert len(sender.sent) == 30
    assert max(Counter(sender.event_ids()).values()) == 1
    assert await world.service(sender).deliver_due() == 0


async def test_a_failed_attempt_is_retried_later_and_a_success_resets_the_count(
    world: WebhookWorld,
) -> None:
    subscription_id = await subscribe(world)
    await world.publish(event())
    sender = ScriptedSender(answers=[BROKEN, OK])
    service = world.service(sender, retry=steady_retry())

    assert await service.deliver_due() == 1
    assert await service.deliver_due() == 0  # not due before its backoff has passed
    page = await service.deliveries(
        actor=ADMIN, subscription_id=subscription_id, cursor=None, limit=50
    )
    (record,) = page.items
    assert record.delivery.status is DeliveryStatus.PENDING
    assert record.delivery.attempts == 1
    assert record.delivery.next_attempt_at > world.clock.now()
    assert [(a.attempt, a.status_code) for a in record.attempts] == [(1, 500)]
    assert record.attempts[0].latency_ms == 4.0
    assert (await subscription(world, subscription_id)).consecutive_failures == 1

    world.clock.advance(timedelta(seconds=3))
    assert await service.deliver_due() == 1
    page = await service.deliveries(
        actor=ADMIN, subscription_id=subscription_id, cursor=None, limit=50
    )
    (record,) = page.items
    assert record.delivery.status is DeliveryStatus.DELIVERED
    assert record.delivery.finished_at is not None
    assert [(a.attempt, a.status_code) for a in record.attempts] == [(1, 500), (2, 200)]
    assert (await subscription(world, subscription_id)).consecutive_failures == 0


async def test_a_delivery_fails_for_good_after_the_last_attempt(world: WebhookWorld) -> None:
    subscription_id = await subscribe(world)
    await world.publish(event())
    service = world.service(ScriptedSender(answers=[UNREACHABLE]), retry=steady_retry(2))
    assert await service.deliver_due() == 1
    world.clock.advance(timedelta(seconds=10))  # 5 s to time out, then up to 2 s of backoff
    assert await service.deliver_due() == 1
    world.clock.advance(timedelta(hours=1))
    assert await service.deliver_due() == 0
    page = await service.deliveries(
        actor=ADMIN, subscription_id=subscription_id, cursor=None, limit=50
    )
    (record,) = page.items
    assert record.delivery.status is DeliveryStatus.FAILED
    assert [a.error for a in record.attempts] == ["ConnectTimeout: timed out"] * 2
    assert [a.status_code for a in record.attempts] == [None, None]


async def test_failures_in_a_row_pause_a_subscription_until_it_is_resumed(
    world: WebhookWorld,
) -> None:
    subscription_id = await subscribe(world)
    for _ in range(3):
        await world.publish(event())
    sender = ScriptedSender(answers=[BROKEN])
    service = world.service(sender, pause_after=3, concurrency=1)
    assert await service.deliver_due() == 3
    paused = await subscription(world, subscription_id)
    assert paused.status is SubscriptionStatus.PAUSED
    assert paused.consecutive_failures == 3

    # Paused: new events are not queued, waiting deliveries are not sent.
    await world.publish(event())
    world.clock.advance(timedelta(minutes=5))
    assert await service.deliver_due() == 0
    page = await service.deliveries(
        actor=ADMIN, subscription_id=subscription_id, cursor=None, limit=50
    )
    assert len(page.items) == 3

    resumed = await service.resume(actor=ADMIN, subscription_id=subscription_id)
    assert resumed.status is SubscriptionStatus.ACTIVE
    assert resumed.consecutive_failures == 0
    sender.answers = [OK]
    assert await service.deliver_due() == 3
    assert (await subscription(world, subscription_id)).consecutive_failures == 0


async def test_a_late_result_is_not_recorded_twice(world: WebhookWorld) -> None:
    await subscribe(world)
    await world.publish(event())
    now = world.clock.now()
    async with world.uow() as uow:
        (claimed,) = await uow.webhooks.claim_due(now=now, until=now, limit=1)
        await uow.commit()
    service = world.service(ScriptedSender(answers=[OK]))
    # The claim has lapsed, so another dispatcher sends and records attempt 1 first.
    world.clock.advance(timedelta(seconds=1))
    assert await service.deliver_due() == 1
    late = DeliveryAttempt(
        delivery_id=claimed.id,
        attempt=1,
        subscription_id=claimed.subscription_id,
        at=now,
        status_code=500,
        latency_ms=1.0,
        error=None,
    )
    async with world.uow() as uow:
        recorded = await uow.webhooks.record_attempt(claimed, late, expected_attempts=0)
        await uow.commit()
    assert recorded is False


async def test_removing_a_subscription_removes_its_deliveries(world: WebhookWorld) -> None:
    kept = await subscribe(world)
    removed = await subscribe(world)
    await world.publish(event())
    service = world.service(ScriptedSender(answers=[BROKEN]))
    assert await service.deliver_due() == 2
    await service.remove(actor=ADMIN, subscription_id=removed)
    async with world.uow() as uow:
        assert await uow.webhooks.get(removed) is None
        assert (await uow.webhooks.deliveries(removed, cursor=None, limit=10)).items == []
        assert len((await uow.webhooks.deliveries(kept, cursor=None, limit=10)).items) == 1
    world.clock.advance(timedelta(minutes=1))
    assert await service.deliver_due() == 1


async def test_deliveries_page_newest_first_with_their_attempts(world: WebhookWorld) -> None:
    subscription_id = await subscribe(world)
    messages = [event() for _ in range(5)]
    for message in messages:
        await world.publish(message)
    service = world.service(ScriptedSender(answers=[BROKEN]), retry=steady_retry())
    assert await service.deliver_due() == 5
    world.clock.advance(timedelta(seconds=3))
    assert await service.deliver_due() == 5

    seen = []
    cursor = None
    while True:
        page = await service.deliveries(
            actor=ADMIN, subscription_id=subscription_id, cursor=cursor, limit=2
        )
        assert len(page.items) <= 2
        for record in page.items:
            assert [a.attempt for a in record.attempts] == [1, 2]
            assert {a.status_code for a in record.attempts} == {500}
        seen.extend(r.delivery.event_id for r in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [m.event_id for m in reversed(messages)]


async def test_subscriptions_page_in_id_order(world: WebhookWorld) -> None:
    ids = [await subscribe(world) for _ in range(5)]
    service = world.service()
    first = await service.list_subscriptions(actor=ADMIN, cursor=None, limit=3)
    assert first.next_cursor is not None
    second = await service.list_subscriptions(actor=ADMIN, cursor=first.next_cursor, limit=3)
    assert second.next_cursor is None
    assert [s.id for s in first.items + second.items] == sorted(ids)
