"""Events reach a real HTTP server on loopback: queued by the consumer handler, sent by the
dispatcher with the real sender, signed, retried, and refused when DNS is rebound."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import orjson
import pytest

from carehub.adapters.http.vetted_network import SystemResolver
from carehub.adapters.http.webhook_sender import HttpWebhookSender
from carehub.webhooks.model import AddressPolicy, DeliveryStatus
from tests.adapters.webhooks.conftest import (
    ADMIN,
    REGISTERED,
    SECRET,
    FakeResolver,
    WebhookWorld,
    event,
    steady_retry,
)
from tests.support.receiver import Receiver

ALLOW_PRIVATE = AddressPolicy(allow_private=True)


@pytest.fixture
async def sender() -> AsyncIterator[HttpWebhookSender]:
    real = HttpWebhookSender(ALLOW_PRIVATE, SystemResolver(), total_timeout=5.0)
    yield real
    await real.close()


async def test_a_registered_patient_reaches_the_receiver_signed(
    world: WebhookWorld, sender: HttpWebhookSender
) -> None:
    service = world.service(sender, resolver=SystemResolver())
    async with Receiver() as receiver:
        subscription = await service.register(
            actor=ADMIN, url=receiver.url, event_types=[REGISTERED], secret=SECRET
        )
        message = event(REGISTERED)
        await world.publish(message)
        assert await service.deliver_due() == 1

    (request,) = receiver.requests
    headers = request.headers
    assert request.method == "POST"
    assert request.path == "/hooks/carehub"
    assert request.body == orjson.dumps(message.to_json())
    assert orjson.loads(request.body)["data"] == message.payload  # ids and codes only
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "carehub-webhooks"
    assert headers["x-carehub-event-id"] == message.event_id
    assert headers["x-carehub-event-type"] == REGISTERED
    assert abs(int(headers["x-carehub-timestamp"]) - world.clock.now().timestamp()) < 5
    assert len(headers["x-carehub-signature"]) == 64
    assert request.signature_verifies(SECRET)
    assert not request.signature_verifies(SECRET + "-wrong")

    page = await service.deliveries(
        actor=ADMIN, subscription_id=subscription.id, cursor=None, limit=10
    )
    (record,) = page.items
    assert record.delivery.status is DeliveryStatus.DELIVERED
    assert [(a.attempt, a.status_code, a.error) for a in record.attempts] == [(1, 200, None)]
    assert record.attempts[0].latency_ms > 0
    assert "traceparent" not in headers  # the event carried no trace


async def test_the_trace_of_the_event_goes_with_its_delivery(
    world: WebhookWorld, sender: HttpWebhookSender
) -> None:
    service = world.service(sender, resolver=SystemResolver())
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    async with Receiver() as receiver:
        await service.register(
            actor=ADMIN, url=receiver.url, event_types=[REGISTERED], secret=SECRET
        )
        traced = event(REGISTERED)
        traced.trace_context.update({"traceparent": traceparent, "tracestate": "vendor=1"})
        await world.publish(traced)
        assert await service.deliver_due() == 1

    (request,) = receiver.requests
    # Stored with the delivery, sent as W3C Trace Context; the signed body is unchanged.
    assert request.headers["traceparent"] == traceparent
    assert request.body == orjson.dumps(traced.to_json())
    assert request.signature_verifies(SECRET)


async def test_a_500_is_retried_later_with_a_fresh_signature(
    world: WebhookWorld, sender: HttpWebhookSender
) -> None:
    service = world.service(sender, resolver=SystemResolver(), retry=steady_retry())
    async with Receiver(statuses=[500, 204]) as receiver:
        subscription = await service.register(
            actor=ADMIN, url=receiver.url, event_types=["*"], secret=SECRET
        )
        await world.publish(event())
        assert await service.deliver_due() == 1
        assert await service.deliver_due() == 0  # the retry waits for its backoff

        page = await service.deliveries(
            actor=ADMIN, subscription_id=subscription.id, cursor=None, limit=10
        )
        (record,) = page.items
        assert record.delivery.status is DeliveryStatus.PENDING
        assert record.delivery.next_attempt_at > world.clock.now()
        assert [(a.attempt, a.status_code) for a in record.attempts] == [(1, 500)]
        failing = await service.get(actor=ADMIN, subscription_id=subscription.id)
        assert failing.consecutive_failures == 1

        world.clock.advance(timedelta(seconds=3))
        assert await service.deliver_due() == 1

    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["x-carehub-event-id"] == second.headers["x-carehub-event-id"]
    assert all(r.signature_verifies(SECRET) for r in receiver.requests)
    page = await service.deliveries(
        actor=ADMIN, subscription_id=subscription.id, cursor=None, limit=10
    )
    (record,) = page.items
    assert record.delivery.status is DeliveryStatus.DELIVERED
    assert [(a.attempt, a.status_code) for a in record.attempts] == [(1, 500), (2, 204)]


async def test_dns_rebound_to_the_metadata_address_is_refused_when_connecting(
    world: WebhookWorld,
) -> None:
    # Public when the admin registers it; the metadata service when it is time to send.
    at_registration = FakeResolver({"hooks.example.test": ["93.184.215.14"]})
    at_connection = FakeResolver({"hooks.example.test": ["169.254.169.254"]})
    sender = HttpWebhookSender(ALLOW_PRIVATE, at_connection, total_timeout=5.0)
    service = world.service(sender, resolver=at_registration)
    try:
        subscription = await service.register(
            actor=ADMIN, url="http://hooks.example.test/in", event_types=["*"], secret=SECRET
        )
        await world.publish(event())
        assert await service.deliver_due() == 1
    finally:
        await sender.close()

    page = await service.deliveries(
        actor=ADMIN, subscription_id=subscription.id, cursor=None, limit=10
    )
    (record,) = page.items
    (attempt,) = record.attempts
    assert attempt.status_code is None
    assert attempt.error == (
        "ConnectError: refused to connect: hooks.example.test resolves to a link-local "
        "address (169.254.169.254)"
    )
    assert record.delivery.status is DeliveryStatus.PENDING  # DNS may be fixed: it retries
    refused = await service.get(actor=ADMIN, subscription_id=subscription.id)
    assert refused.consecutive_failures == 1
