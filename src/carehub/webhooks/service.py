"""Webhook use cases: admins manage subscriptions; the worker sends what is due."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta

from carehub.events.model import RetryPolicy
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.ids import new_id
from carehub.kernel.pagination import Page, check_limit
from carehub.webhooks.errors import (
    SubscriptionNotFound,
    UnknownEventType,
    UrlRefused,
    WebhooksForbidden,
)
from carehub.webhooks.model import (
    ALL_EVENTS,
    DEFAULT_PAUSE_AFTER,
    MAX_SECRET_LENGTH,
    MIN_SECRET_LENGTH,
    WEBHOOK_RETRY,
    AddressPolicy,
    DeliveryAttempt,
    DeliveryRecord,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
    after_attempt,
    check_url,
    pauses,
    signature,
)
from carehub.webhooks.ports import (
    HostResolver,
    HostUnresolvable,
    SendResult,
    WebhookSender,
    WebhooksUnitOfWork,
)

# A claim outlives the batch's sends by this much, so a slow batch is never sent twice.
CLAIM_MARGIN_SECONDS = 30.0


class WebhookService:
    """Registering, reading, resuming and removing subscriptions; sending due deliveries."""

    def __init__(
        self,
        uow_factory: Callable[[], WebhooksUnitOfWork],
        clock: Clock,
        *,
        sender: WebhookSender,
        resolver: HostResolver,
        policy: AddressPolicy,
        known_event_types: Collection[str],
        retry: RetryPolicy = WEBHOOK_RETRY,
        pause_after: int = DEFAULT_PAUSE_AFTER,
        concurrency: int = 10,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._sender = sender
        self._resolver = resolver
        self._policy = policy
        self._known = frozenset(known_event_types)
        self._retry = retry
        self._pause_after = pause_after
        self._concurrency = concurrency

    async def register(
        self, *, actor: Actor, url: str, event_types: Sequence[str], secret: str
    ) -> WebhookSubscription:
        """Subscribe a URL to event types (admins); the URL must reach a permitted address."""
        _require_admin(actor)
        types = self._event_types(event_types)
        _check_secret(secret)
        await self._check_target(url)
        now = self._clock.now()
        subscription = WebhookSubscription(
            id=new_id(),
            url=url,
            event_types=types,
            secret=secret,
            status=SubscriptionStatus.ACTIVE,
            consecutive_failures=0,
            created_by=actor.id,
            created_at=now,
            updated_at=now,
        )
        async with self._uow() as uow:
            await uow.webhooks.add(subscription)
            await uow.commit()
        return subscription

    async def get(self, *, actor: Actor, subscription_id: str) -> WebhookSubscription:
        """One subscription (admins)."""
        _require_admin(actor)
        async with self._uow() as uow:
            found = await uow.webhooks.get(subscription_id)
        if found is None:
            raise SubscriptionNotFound(subscription_id)
        return found

    async def list_subscriptions(
        self, *, actor: Actor, cursor: str | None, limit: int
    ) -> Page[WebhookSubscription]:
        """Every subscription, ordered by id (admins)."""
        _require_admin(actor)
        check_limit(limit)
        async with self._uow() as uow:
            return await uow.webhooks.page(cursor=cursor, limit=limit)

    async def resume(self, *, actor: Actor, subscription_id: str) -> WebhookSubscription:
        """Make a paused subscription active again, with its failure count reset (admins)."""
        _require_admin(actor)
        async with self._uow() as uow:
            if not await uow.webhooks.resume(subscription_id, self._clock.now()):
                raise SubscriptionNotFound(subscription_id)
            resumed = await uow.webhooks.get(subscription_id)
            await uow.commit()
        if resumed is None:
            raise SubscriptionNotFound(subscription_id)
        return resumed

    async def remove(self, *, actor: Actor, subscription_id: str) -> None:
        """Delete a subscription with its deliveries and attempts (admins)."""
        _require_admin(actor)
        async with self._uow() as uow:
            if not await uow.webhooks.remove(subscription_id):
                raise SubscriptionNotFound(subscription_id)
            await uow.commit()

    async def deliveries(
        self, *, actor: Actor, subscription_id: str, cursor: str | None, limit: int
    ) -> Page[DeliveryRecord]:
        """A subscription's deliveries and every attempt at each, newest first (admins)."""
        _require_admin(actor)
        check_limit(limit)
        async with self._uow() as uow:
            if await uow.webhooks.get(subscription_id) is None:
                raise SubscriptionNotFound(subscription_id)
            return await uow.webhooks.deliveries(subscription_id, cursor=cursor, limit=limit)

    async def deliver_due(self, *, limit: int = 50) -> int:
        """Claim up to `limit` due deliveries, send them (`concurrency` at a time) and record
        each attempt; returns how many were sent."""
        now = self._clock.now()
        # Long enough for every send of the batch, queued behind the others, to finish.
        rounds = math.ceil(limit / self._concurrency)
        claim = self._sender.total_timeout * rounds + CLAIM_MARGIN_SECONDS
        async with self._uow() as uow:
            claimed = await uow.webhooks.claim_due(
                now=now, until=now + timedelta(seconds=claim), limit=limit
            )
            if not claimed:
                return 0
            subscriptions = {s.id: s for s in await uow.webhooks.active()}
            await uow.commit()
        slots = asyncio.Semaphore(self._concurrency)
        sent = 0
        async with asyncio.TaskGroup() as group:
            for delivery in claimed:
                subscription = subscriptions.get(delivery.subscription_id)
                if subscription is None:  # paused or removed since the claim
                    continue
                group.create_task(self._send(delivery, subscription, slots))
                sent += 1
        return sent

    async def _send(
        self, delivery: WebhookDelivery, subscription: WebhookSubscription, slots: asyncio.Semaphore
    ) -> None:
        async with slots:
            sent_at = self._clock.now()
            timestamp = int(sent_at.timestamp())
            body = delivery.body.encode()
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "carehub-webhooks",
                "X-Carehub-Timestamp": str(timestamp),
                "X-Carehub-Signature": signature(subscription.secret, timestamp, body),
                "X-Carehub-Event-Id": delivery.event_id,
                "X-Carehub-Event-Type": delivery.event_type,
                "X-Carehub-Delivery-Id": delivery.id,
            }
            if delivery.traceparent:  # W3C Trace Context: the receiver may join the trace
                headers["traceparent"] = delivery.traceparent
            result = await self._sender.post(subscription.url, headers, body)
        await self._record(delivery, result, sent_at)

    async def _record(
        self, delivery: WebhookDelivery, result: SendResult, sent_at: datetime
    ) -> None:
        attempt = DeliveryAttempt(
            delivery_id=delivery.id,
            attempt=delivery.attempts + 1,
            subscription_id=delivery.subscription_id,
            at=sent_at,
            status_code=result.status_code,
            latency_ms=round(result.latency_ms, 1),
            error=result.error,
        )
        updated = after_attempt(delivery, attempt, self._retry)
        async with self._uow() as uow:
            webhooks = uow.webhooks
            recorded = await webhooks.record_attempt(
                updated, attempt, expected_attempts=delivery.attempts
            )
            if not recorded:
                return
            if attempt.succeeded:
                await webhooks.reset_failures(delivery.subscription_id, attempt.at)
            else:
                failures = await webhooks.count_failure(delivery.subscription_id, attempt.at)
                if failures is not None and pauses(failures, self._pause_after):
                    await webhooks.pause(delivery.subscription_id, attempt.at)
            await uow.commit()

    def _event_types(self, requested: Sequence[str]) -> tuple[str, ...]:
        if not requested:
            raise Invalid(
                "eventTypes needs at least one type",
                errors=[FieldError("eventTypes", "needs at least one type")],
            )
        for index, event_type in enumerate(requested):
            if event_type != ALL_EVENTS and event_type not in self._known:
                raise UnknownEventType(index, event_type)
        if ALL_EVENTS in requested:
            return (ALL_EVENTS,)
        return tuple(sorted(set(requested)))

    async def _check_target(self, url: str) -> None:
        try:
            target = check_url(url)
        except ValueError as exc:
            raise UrlRefused(str(exc)) from None
        try:
            addresses = await self._resolver.resolve(target.host, target.port)
        except HostUnresolvable:
            raise UrlRefused(f"host {target.host} does not resolve") from None
        for address in addresses:
            why = self._policy.refusal(address)
            if why is not None:
                raise UrlRefused(
                    f"points at a {why} address ({address}), which webhooks may not reach"
                )


def _require_admin(actor: Actor) -> None:
    if not actor.unrestricted:
        raise WebhooksForbidden()


def _check_secret(secret: str) -> None:
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        reason = f"must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters"
        raise Invalid(f"secret {reason}", errors=[FieldError("secret", reason)])
