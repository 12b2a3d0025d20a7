"""Waiting for something that happens in the background (a consumer, a server)."""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections.abc import Awaitable, Callable

Check = Callable[[], bool | Awaitable[bool]]


async def until(check: Check, within: float = 15.0, every: float = 0.02) -> None:
    """Return once `check()` is true; TimeoutError after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    for _ in itertools.count():
        outcome = check()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"still not true after {within} s")
        await asyncio.sleep(every)
