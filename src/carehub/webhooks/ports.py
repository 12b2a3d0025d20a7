"""What the webhooks domain needs from the outside world: storage, DNS and an HTTP client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from carehub.kernel.pagination import Page
from carehub.kernel.unit_of_work import UnitOfWork
from carehub.webhooks.model import (
    DeliveryAttempt,
    DeliveryRecord,
    WebhookDelivery,
    WebhookSubscription,
)


class WebhookRepository(Protocol):
    """Subscriptions, deliveries and attempts inside a unit of work."""

    async def add(self, subscription: WebhookSubscription) -> None: ...

    async def get(self, subscription_id: str) -> WebhookSubscription | None: ...

    async def page(self, *, cursor: str | None, limit: int) -> Page[WebhookSubscription]:
        """Every subscription, ordered by id."""
        ...

    async def active(self) -> list[WebhookSubscription]:
        """The subscriptions that are not paused (there are few: admins register them)."""
        ...

    async def remove(self, subscription_id: str) -> bool:
        """Delete it with its deliveries and attempts; False when it did not exist."""
        ...

    async def resume(self, subscription_id: str, at: datetime) -> bool:
        """Make it active with no failures counted; False when it does not exist."""
        ...

    async def count_failure(self, subscription_id: str, at: datetime) -> int | None:
        """Add one to its failures in a row, atomically; the new count (None if it is gone)."""
        ...

    async def reset_failures(self, subscription_id: str, at: datetime) -> None: ...

    async def pause(self, subscription_id: str, at: datetime) -> None: ...

    async def queue(self, deliveries: Sequence[WebhookDelivery]) -> None:
        """Insert pending deliveries; one that exists already for the same subscription and
        event is left as it is (so applying an event twice queues it once)."""
        ...

    async def claim_due(
        self, *, now: datetime, until: datetime, limit: int
    ) -> list[WebhookDelivery]:
        """Claim up to `limit` pending deliveries of active subscriptions that are due at
        `now` and not claimed, by setting their `claimed_until`. A conditional write: two
        callers never both claim one delivery before its claim expires."""
        ...

    async def record_attempt(
        self, delivery: WebhookDelivery, attempt: DeliveryAttempt, *, expected_attempts: int
    ) -> bool:
        """Store the attempt and the delivery as `after_attempt` left it, if the stored
        delivery still has `expected_attempts` (else nothing is written and it returns False:
        the delivery is gone, or its claim expired and another worker recorded first)."""
        ...

    async def deliveries(
        self, subscription_id: str, *, cursor: str | None, limit: int
    ) -> Page[DeliveryRecord]:
        """A subscription's deliveries with their attempts, newest delivery first."""
        ...


class WebhooksUnitOfWork(UnitOfWork, Protocol):
    @property
    def webhooks(self) -> WebhookRepository: ...


class HostUnresolvable(Exception):
    """The host name did not resolve to any address."""


class HostResolver(Protocol):
    """Looks host names up (DNS); an IP literal resolves to itself."""

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every IP address `host` has now, as text; raises HostUnresolvable."""
        ...


@dataclass(frozen=True)
class SendResult:
    """What one POST got: a status code, or an error when no response came."""

    status_code: int | None
    latency_ms: float
    error: str | None = None


class WebhookSender(Protocol):
    """POSTs deliveries. Connects only to addresses the `AddressPolicy` allows, checked on
    every connection (a name may resolve differently than when it was registered); follows
    no redirects and reads no more of a response than a few kilobytes."""

    total_timeout: float
    """Seconds a POST may take at most, connecting included."""

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult:
        """Send the body; network failures and refusals come back as `error`, not raised."""
        ...
