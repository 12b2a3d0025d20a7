"""The WebhookRepository port: subscriptions (secrets sealed at rest), their failure
counts and pauses, and deliveries queued once per event, claimed by one worker at a time
and recorded attempt by attempt."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carehub.kernel.ids import new_id
from carehub.webhooks.model import (
    DeliveryAttempt,
    DeliveryStatus,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.contract.conftest import WITH_DYNAMODB

# No memory fake of this port yet: the stores that keep webhooks.
STORES = [p for p in WITH_DYNAMODB if getattr(p, "values", (p,))[0] != "memory"]
NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)


@pytest.fixture(params=STORES, name="adapter")
def every_store(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def subscription(**changes: Any) -> WebhookSubscription:
    made = WebhookSubscription(
        id=new_id(),
        url="https://hooks.example.org/carehub",
        event_types=("patients.patient_registered.v1",),
        secret="whsec-0123456789",
        status=SubscriptionStatus.ACTIVE,
        consecutive_failures=0,
        created_by="admin-1",
        created_at=NOW,
        updated_at=NOW,
    )
    return dataclasses.replace(made, **changes)


def delivery(subscription_id: str, event_id: str | None = None) -> WebhookDelivery:
    return WebhookDelivery(
        id=new_id(),
        subscription_id=subscription_id,
        event_id=event_id or new_id(),
        event_type="patients.patient_registered.v1",
        body='{"id": "e"}',
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=NOW,
        created_at=NOW,
    )


async def in_unit(new_uow: Any, work: Any) -> Any:
    async with new_uow() as uow:
        result = await work(uow.webhooks)
        await uow.commit()
    return result


async def stored(new_uow: Any, *subscriptions: WebhookSubscription) -> None:
    async def add(webhooks: Any) -> None:
        for made in subscriptions:
            await webhooks.add(made)

    await in_unit(new_uow, add)


async def test_a_subscription_reads_back_whole_with_its_secret(new_uow: Any) -> None:
    made = subscription()
    await stored(new_uow, made)
    assert await in_unit(new_uow, lambda w: w.get(made.id)) == made
    assert await in_unit(new_uow, lambda w: w.get(new_id())) is None


async def test_pages_list_every_subscription_by_id(new_uow: Any) -> None:
    made = [subscription() for _ in range(3)]
    await stored(new_uow, *made)
    first = await in_unit(new_uow, lambda w: w.page(cursor=None, limit=2))
    rest = await in_unit(new_uow, lambda w: w.page(cursor=first.next_cursor, limit=2))
    assert [s.id for s in first.items + rest.items] == sorted(s.id for s in made)
    assert rest.next_cursor is None


async def test_paused_subscriptions_are_not_active_until_resumed(new_uow: Any) -> None:
    kept, paused = subscription(), subscription()
    await stored(new_uow, kept, paused)
    await in_unit(new_uow, lambda w: w.pause(paused.id, NOW))
    assert [s.id for s in await in_unit(new_uow, lambda w: w.active())] == [kept.id]
    assert await in_unit(new_uow, lambda w: w.resume(paused.id, NOW)) is True
    assert {s.id for s in await in_unit(new_uow, lambda w: w.active())} == {kept.id, paused.id}
    assert await in_unit(new_uow, lambda w: w.resume(new_id(), NOW)) is False


async def test_failures_count_up_and_reset(new_uow: Any) -> None:
    made = subscription()
    await stored(new_uow, made)
    counts = [await in_unit(new_uow, lambda w: w.count_failure(made.id, NOW)) for _ in range(3)]
    assert counts == [1, 2, 3]
    await in_unit(new_uow, lambda w: w.reset_failures(made.id, NOW))
    assert (await in_unit(new_uow, lambda w: w.get(made.id))).consecutive_failures == 0
    assert await in_unit(new_uow, lambda w: w.count_failure(new_id(), NOW)) is None


async def test_an_event_is_queued_once_per_subscription(new_uow: Any) -> None:
    made = subscription()
    await stored(new_uow, made)
    event_id = new_id()
    await in_unit(new_uow, lambda w: w.queue([delivery(made.id, event_id)]))
    await in_unit(new_uow, lambda w: w.queue([delivery(made.id, event_id)]))
    page = await in_unit(new_uow, lambda w: w.deliveries(made.id, cursor=None, limit=10))
    assert [r.delivery.event_id for r in page.items] == [event_id]


async def test_a_due_delivery_is_claimed_once_until_its_claim_lapses(new_uow: Any) -> None:
    made = subscription()
    await stored(new_uow, made)
    queued = delivery(made.id)
    await in_unit(new_uow, lambda w: w.queue([queued]))
    until = NOW + timedelta(minutes=1)

    def claim(at: datetime) -> Any:
        return lambda w: w.claim_due(now=at, until=at + timedelta(minutes=1), limit=10)

    [claimed] = await in_unit(new_uow, claim(NOW))
    assert claimed.id == queued.id and claimed.claimed_until == until
    assert await in_unit(new_uow, claim(NOW + timedelta(seconds=30))) == []
    assert [d.id for d in await in_unit(new_uow, claim(until + timedelta(seconds=1)))] == [
        queued.id
    ]


async def test_deliveries_of_paused_subscriptions_are_not_claimed(new_uow: Any) -> None:
    made = subscription()
    await stored(new_uow, made)
    await in_unit(new_uow, lambda w: w.queue([delivery(made.id)]))
    await in_unit(new_uow, lambda w: w.pause(made.id, NOW))
    assert await in_unit(new_uow, lambda w: w.claim_due(now=NOW, until=NOW, limit=5)) == []


async def test_an_attempt_is_recorded_once_with_its_delivery(new_uow: Any) -> None:
    made = subscription()
    await stored(new_uow, made)
    queued = delivery(made.id)
    await in_unit(new_uow, lambda w: w.queue([queued]))
    attempt = DeliveryAttempt(
        delivery_id=queued.id,
        attempt=1,
        subscription_id=made.id,
        at=NOW,
        status_code=200,
        latency_ms=12.5,
        error=None,
    )
    done = dataclasses.replace(queued, status=DeliveryStatus.DELIVERED, attempts=1, finished_at=NOW)
    record = lambda w: w.record_attempt(done, attempt, expected_attempts=0)  # noqa: E731
    assert await in_unit(new_uow, record) is True
    assert await in_unit(new_uow, record) is False  # another worker recorded first
    [saved] = (await in_unit(new_uow, lambda w: w.deliveries(made.id, cursor=None, limit=5))).items
    assert saved.delivery == done and saved.attempts == (attempt,)
    assert await in_unit(new_uow, lambda w: w.claim_due(now=NOW, until=NOW, limit=5)) == []


async def test_deliveries_come_newest_first_a_page_at_a_time(new_uow: Any) -> None:
    made = subscription()
    await stored(new_uow, made)
    queued = [delivery(made.id) for _ in range(3)]
    await in_unit(new_uow, lambda w: w.queue(queued))
    first = await in_unit(new_uow, lambda w: w.deliveries(made.id, cursor=None, limit=2))
    rest = await in_unit(
        new_uow, lambda w: w.deliveries(made.id, cursor=first.next_cursor, limit=2)
    )
    assert [r.delivery.id for r in first.items + rest.items] == [d.id for d in reversed(queued)]
    assert rest.next_cursor is None


async def test_a_removed_subscription_is_gone_with_its_deliveries(new_uow: Any) -> None:
    made = subscription()
    await stored(new_uow, made)
    await in_unit(new_uow, lambda w: w.queue([delivery(made.id)]))
    assert await in_unit(new_uow, lambda w: w.remove(made.id)) is True
    assert await in_unit(new_uow, lambda w: w.get(made.id)) is None
    page = await in_unit(new_uow, lambda w: w.deliveries(made.id, cursor=None, limit=5))
    assert page.items == []
    assert await in_unit(new_uow, lambda w: w.remove(made.id)) is False
