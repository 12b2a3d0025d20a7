"""The Broker port's adapters, each opened on an empty namespace for one test, and the
messages and consumers the broker tests send and declare.

Every adapter is built with a one-second visibility timeout, so that "the consumer died"
can be tested without waiting long.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime

import pytest

from carehub.adapters.broker.memory import MemoryBroker
from carehub.adapters.broker.redis_streams import RedisStreamsBroker, redis_broker_from_url
from carehub.adapters.broker.sns_sqs import SnsSqsBroker
from carehub.events.model import ConsumerSpec
from carehub.events.ports import Broker, Delivery, Subscription
from carehub.kernel.events import EventMessage
from carehub.kernel.ids import new_id
from tests.support.moto import aws_client
from tests.support.redis_space import REDIS_URL, redis_prefix

VISIBILITY_TIMEOUT = 1.0
REGISTERED = "patients.patient_registered.v1"
UPDATED = "patients.patient_updated.v1"
USER_CREATED = "identity.user_created.v1"

BrokerFactory = Callable[[], AbstractAsyncContextManager[Broker]]


@asynccontextmanager
async def memory_broker() -> AsyncIterator[Broker]:
    broker = MemoryBroker(visibility_timeout=VISIBILITY_TIMEOUT)
    try:
        yield broker
    finally:
        await broker.close()


@asynccontextmanager
async def redis_broker() -> AsyncIterator[RedisStreamsBroker]:
    """A Redis Streams broker under a key prefix of its own, whose keys go afterwards."""
    async with redis_prefix() as prefix:
        broker = redis_broker_from_url(
            REDIS_URL, prefix=prefix, visibility_timeout=VISIBILITY_TIMEOUT
        )
        try:
            yield broker
        finally:
            await broker.close()


def sqs_broker(endpoint: str) -> BrokerFactory:
    """SNS + SQS brokers on the moto server, each under a prefix of its own."""

    @asynccontextmanager
    async def opened() -> AsyncIterator[Broker]:
        broker = SnsSqsBroker(
            aws_client("sns", endpoint),
            aws_client("sqs", endpoint),
            prefix=f"t{new_id()[-12:]}",
            visibility_timeout=VISIBILITY_TIMEOUT,
        )
        try:
            yield broker
        finally:
            await broker.close()

    return opened


def broker_factory(name: str, request: pytest.FixtureRequest) -> BrokerFactory:
    """Opens brokers of the adapter called `name`."""
    if name == "memory":
        return memory_broker
    if name == "redis":
        return redis_broker
    if name == "sqs":
        return sqs_broker(request.getfixturevalue("moto_endpoint"))
    raise LookupError(name)


def message(
    event_type: str = REGISTERED, aggregate_id: str | None = None, country: str = "PE"
) -> EventMessage:
    aggregate = aggregate_id or new_id()
    return EventMessage(
        event_id=new_id(),
        event_type=event_type,
        aggregate_id=aggregate,
        occurred_at=datetime(2026, 11, 23, 10, 30, 15, 123456, tzinfo=UTC),
        actor_id="user-1",
        payload={"patientId": aggregate, "countryId": country, "changedFields": ["email"]},
    )


def spec(name: str, *types: str, country: str | None = None) -> ConsumerSpec:
    return ConsumerSpec(name, frozenset(types or (REGISTERED,)), country_id=country)


async def ack_all(subscription: Subscription, deliveries: Sequence[Delivery]) -> None:
    for delivery in deliveries:
        await subscription.ack(delivery)
