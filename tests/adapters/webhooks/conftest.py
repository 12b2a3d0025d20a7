"""The webhooks domain over a real database (SQLite and PostgreSQL), wired as bootstrap
wires it, with a sender and a resolver each test chooses."""

from __future__ import annotations

import asyncio
import ipaddress
import random
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

# Importing the domain models declares the event types subscriptions may name.
import carehub.identity.model
import carehub.patients.model  # noqa: F401
from carehub.adapters.sql.database import Database
from carehub.adapters.sql.unit_of_work import SqlUnitOfWork
from carehub.bootstrap import connect, secret_box, units_of_work
from carehub.bootstrap.event_types import EVENT_TYPES
from carehub.config import Settings
from carehub.events.model import RetryPolicy
from carehub.kernel.actor import Actor, Role
from carehub.kernel.events import EventMessage
from carehub.kernel.ids import new_id
from carehub.webhooks.handlers import QueueDeliveries
from carehub.webhooks.model import WEBHOOK_RETRY, AddressPolicy
from carehub.webhooks.ports import HostResolver, HostUnresolvable, SendResult, WebhookSender
from carehub.webhooks.service import WebhookService
from tests.support.clock import AdjustableClock

ADMIN = Actor(id="admin-1", role=Role.ADMIN)
REGISTERED = "patients.patient_registered.v1"
USER_CREATED = "identity.user_created.v1"
SECRET = "whsec_test_0123456789abcdef"


@dataclass
class ScriptedSender:
    """A `WebhookSender` answering from a script (the last answer repeats), after `delay`."""

    answers: Sequence[SendResult] = (SendResult(200, 5.0),)
    delay: float = 0.0
    total_timeout: float = 10.0
    sent: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult:
        self.sent.append((url, dict(headers), body))
        answer = self.answers[min(len(self.sent), len(self.answers)) - 1]
        await asyncio.sleep(self.delay)
        return answer

    def event_ids(self) -> list[str]:
        return [headers["X-Carehub-Event-Id"] for _, headers, _ in self.sent]


@dataclass
class FakeResolver:
    """DNS as a test says it is; IP literals resolve to themselves."""

    names: dict[str, list[str]] = field(default_factory=dict)

    async def resolve(self, host: str, port: int) -> list[str]:
        if host in self.names:
            return list(self.names[host])
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            raise HostUnresolvable(host) from None


@dataclass
class WebhookWorld:
    """One empty database, its units of work, and a clock tests move."""

    db: Database
    uow: Callable[[], SqlUnitOfWork]
    clock: AdjustableClock

    def service(
        self,
        sender: WebhookSender | None = None,
        *,
        resolver: HostResolver | None = None,
        allow_private: bool = True,
        pause_after: int = 20,
        retry: RetryPolicy = WEBHOOK_RETRY,
        concurrency: int = 10,
    ) -> WebhookService:
        return WebhookService(
            self.uow,
            self.clock,
            sender=sender or ScriptedSender(),
            resolver=resolver or FakeResolver(),
            policy=AddressPolicy(allow_private=allow_private),
            known_event_types=EVENT_TYPES,
            retry=retry,
            pause_after=pause_after,
            concurrency=concurrency,
        )

    async def publish(self, message: EventMessage) -> None:
        """Apply the event as the consumer runner does: in a unit of work that commits."""
        async with self.uow() as uow:
            await QueueDeliveries(self.clock)(message, uow)
            await uow.commit()


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[WebhookWorld]:
    settings = Settings(database_url=database_url, data_dir=tmp_path)
    db = await connect(database_url, settings)
    clock = AdjustableClock()
    try:
        yield WebhookWorld(db, units_of_work(db, clock, secrets=secret_box(settings)), clock)
    finally:
        await db.close()


def event(event_type: str = REGISTERED) -> EventMessage:
    """A message as the backbone delivers it: ids and codes only."""
    patient_id = new_id()
    return EventMessage(
        event_id=new_id(),
        event_type=event_type,
        aggregate_id=patient_id,
        occurred_at=datetime(2026, 11, 23, 10, 30, 15, 123456, tzinfo=UTC),
        actor_id="user-1",
        payload={"patientId": patient_id, "countryId": "PE"},
    )


def steady_retry(max_attempts: int = 8) -> RetryPolicy:
    """The webhook policy's shape with a seeded jitter."""
    return RetryPolicy(
        max_attempts=max_attempts, base_seconds=2.0, cap_seconds=600.0, rng=random.Random(5)
    )
