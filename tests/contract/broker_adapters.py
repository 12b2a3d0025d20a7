"""The Broker port's adapters, each opened on an empty namespace for one test.

Every adapter is built with a one-second visibility timeout, so that "the consumer died"
can be tested without waiting long.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from carehub.adapters.broker.memory import MemoryBroker
from carehub.adapters.broker.redis_streams import RedisStreamsBroker, redis_broker_from_url
from carehub.events.ports import Broker
from tests.support.services import unavailable

VISIBILITY_TIMEOUT = 1.0
REDIS_URL = os.environ.get("CAREHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

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
    prefix = f"carehub-test:{uuid.uuid4().hex}"
    admin = Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        await admin.ping()
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        await admin.aclose()
        unavailable("Redis", exc)
    broker = redis_broker_from_url(REDIS_URL, prefix=prefix, visibility_timeout=VISIBILITY_TIMEOUT)
    try:
        yield broker
    finally:
        await broker.close()
        async for key in admin.scan_iter(match=f"{prefix}:*"):
            await admin.delete(key)
        await admin.aclose()


def broker_factory(name: str, request: pytest.FixtureRequest) -> BrokerFactory:
    """Opens brokers of the adapter called `name`."""
    if name == "memory":
        return memory_broker
    if name == "redis":
        return redis_broker
    raise LookupError(name)
