"""A key prefix of its own on the test Redis, whose keys are deleted afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
from redis.asyncio import Redis

from tests.support.services import unavailable

REDIS_URL = os.environ.get("CAREHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@asynccontextmanager
async def redis_prefix() -> AsyncIterator[str]:
    """A prefix like `carehub-test-1f2e...` for streams and keys; fails under CI without Redis."""
    prefix = f"carehub-test-{uuid.uuid4().hex[:16]}"
    admin = Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        await admin.ping()
    except Exception as exc:
        await admin.aclose()
        unavailable("Redis", exc)
        raise
    try:
        yield prefix
    finally:
        async for key in admin.scan_iter(match=f"{prefix}:*"):
            await admin.delete(key)
        await admin.aclose()


def forget_request_budgets() -> None:
    """Delete every budget carehub counts on the test Redis under its default prefixes
    (requests, sign-in attempts): servers of earlier tests, on the same Redis, spent them
    from the same address."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        for pattern in ("carehub:rq:*", "carehub:rl:*"):
            for key in client.scan_iter(match=pattern):
                client.delete(key)
    finally:
        client.close()
