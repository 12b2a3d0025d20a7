"""The Broker port's adapters, each opened on an empty namespace for one test.

Every adapter is built with a one-second visibility timeout, so that "the consumer died"
can be tested without waiting long.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from carehub.adapters.broker.memory import MemoryBroker
from carehub.events.ports import Broker

VISIBILITY_TIMEOUT = 1.0

BrokerFactory = Callable[[], AbstractAsyncContextManager[Broker]]


@asynccontextmanager
async def memory_broker() -> AsyncIterator[Broker]:
    broker = MemoryBroker(visibility_timeout=VISIBILITY_TIMEOUT)
    try:
        yield broker
    finally:
        await broker.close()


def broker_factory(name: str, request: pytest.FixtureRequest) -> BrokerFactory:
    """Opens brokers of the adapter called `name`."""
    if name == "memory":
        return memory_broker
    raise LookupError(name)
