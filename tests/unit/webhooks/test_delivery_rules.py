"""What an attempt does to its delivery (delivered, retried with backoff, failed) and when
failures in a row pause a subscription."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from carehub.events.model import RetryPolicy
from carehub.webhooks.model import (
    ALL_EVENTS,
    DEFAULT_PAUSE_AFTER,
    WEBHOOK_RETRY,
    DeliveryAttempt,
    DeliveryStatus,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
    after_attempt,
    pauses,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
REGISTERED = "patients.patient_registered.v1"


def delivery(attempts: int = 0) -> WebhookDelivery:
    return WebhookDelivery(
        id="d-1",
        subscription_id="s-1",
        event_id="e-1",
        event_type=REGISTERED,
        body="{}",
        status=DeliveryStatus.PENDING,
        attempts=attempts,
        next_attempt_at=NOW,
        created_at=NOW,
        claimed_until=NOW + timedelta(minutes=1),
    )


def attempt(status_code: int | None, number: int = 1, latency_ms: float = 250.0) -> DeliveryAttempt:
    return DeliveryAttempt(
        delivery_id="d-1",
        attempt=number,
        subscription_id="s-1",
        at=NOW,
        status_code=status_code,
        latency_ms=latency_ms,
        error=None if status_code else "ConnectError: refused",
    )


def policy(seed: int = 7) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=WEBHOOK_RETRY.max_attempts,
        base_seconds=WEBHOOK_RETRY.base_seconds,
        cap_seconds=WEBHOOK_RETRY.cap_seconds,
        rng=random.Random(seed),
    )


@pytest.mark.parametrize("status_code", [200, 201, 202, 204, 299])
def test_a_2xx_answer_delivers(status_code: int) -> None:
    done = after_attempt(delivery(), attempt(status_code), policy())
    assert done.status is DeliveryStatus.DELIVERED
    assert done.attempts == 1
    assert done.finished_at == NOW + timedelta(milliseconds=250)
    assert done.claimed_until is None


@pytest.mark.parametrize("status_code", [None, 199, 301, 302, 400, 404, 410, 429, 500, 503])
def test_anything_else_is_retried_later(status_code: int | None) -> None:
    retried = after_attempt(delivery(), attempt(status_code), policy())
    assert retried.status is DeliveryStatus.PENDING
    assert retried.attempts == 1
    assert retried.finished_at is None
    assert retried.claimed_until is None
    ended = NOW + timedelta(milliseconds=250)
    # First step: 2 s, with jitter between half and all of it, counted from the attempt's end.
    assert ended + timedelta(seconds=1) <= retried.next_attempt_at <= ended + timedelta(seconds=2)


def test_backoff_doubles_with_jitter_until_the_last_attempt_fails() -> None:
    retry = policy()
    current = delivery()
    waits = []
    for number in range(1, WEBHOOK_RETRY.max_attempts + 1):
        current = after_attempt(current, attempt(500, number, latency_ms=0.0), retry)
        if current.status is DeliveryStatus.PENDING:
            waits.append((current.next_attempt_at - NOW).total_seconds())
    assert current.status is DeliveryStatus.FAILED
    assert current.attempts == WEBHOOK_RETRY.max_attempts == 8
    assert current.finished_at == NOW
    assert len(waits) == 7
    for number, wait in enumerate(waits, start=1):
        ceiling = 2.0 * 2 ** (number - 1)
        assert ceiling / 2 <= wait <= ceiling


def test_backoff_never_exceeds_its_cap() -> None:
    retry = RetryPolicy(max_attempts=30, base_seconds=2.0, cap_seconds=600.0, rng=random.Random(1))
    current = delivery()
    for number in range(1, 30):
        current = after_attempt(current, attempt(503, number, latency_ms=0.0), retry)
        assert (current.next_attempt_at - NOW).total_seconds() <= 600.0


def test_jitter_spreads_retries_of_deliveries_that_failed_together() -> None:
    retry = policy(seed=3)
    times = {after_attempt(delivery(3), attempt(500, 4), retry).next_attempt_at for _ in range(20)}
    assert len(times) > 10


@pytest.mark.parametrize(
    ("failures", "paused"),
    [(0, False), (1, False), (DEFAULT_PAUSE_AFTER - 1, False), (DEFAULT_PAUSE_AFTER, True)],
)
def test_a_subscription_pauses_at_the_threshold(failures: int, paused: bool) -> None:
    assert pauses(failures, DEFAULT_PAUSE_AFTER) is paused
    assert DEFAULT_PAUSE_AFTER == 20


def subscription(types: tuple[str, ...], status: SubscriptionStatus) -> WebhookSubscription:
    return WebhookSubscription(
        id="s-1",
        url="https://hooks.example.com/",
        event_types=types,
        secret="s" * 16,
        status=status,
        consecutive_failures=0,
        created_by="admin",
        created_at=NOW,
        updated_at=NOW,
    )


def test_active_subscriptions_want_their_types_or_everything() -> None:
    specific = subscription((REGISTERED,), SubscriptionStatus.ACTIVE)
    everything = subscription((ALL_EVENTS,), SubscriptionStatus.ACTIVE)
    assert specific.wants(REGISTERED)
    assert not specific.wants("identity.user_created.v1")
    assert everything.wants("identity.user_created.v1")


def test_paused_subscriptions_want_nothing() -> None:
    assert not subscription((ALL_EVENTS,), SubscriptionStatus.PAUSED).wants(REGISTERED)
