"""The wiring a Lambda container builds once, on its first invocation, and keeps.

A Lambda container serves one invocation at a time and lives for many: the settings (from
the environment), the store, the broker and the object store are made on the first
invocation (never at import, so a failed start is retried by the next invocation rather
than breaking the container) and reused by every later one. Everything runs on one event
loop of the container's, which the clients' connections stay bound to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from carehub.bootstrap import Carehub, build
from carehub.config import Settings
from carehub.entrypoints.logging import configure_logging
from carehub.kernel.clock import Clock

T = TypeVar("T")


class Container:
    """The settings, event loop and wiring of this container, each made on first use."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock  # None: the system's
        self._settings: Settings | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._carehub: Carehub | None = None

    @property
    def settings(self) -> Settings:
        """Settings from the environment (`CAREHUB_*`); logging is configured with them."""
        if self._settings is None:
            settings = Settings()
            configure_logging(settings.log_level)
            self._settings = settings
        return self._settings

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The container's event loop, also the thread's current one (Mangum runs on it)."""
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
        return self._loop

    def run(self, work: Callable[[Carehub], Awaitable[T]]) -> T:
        """Run `work` with the wiring on the container's loop (an invocation's whole job)."""

        async def with_carehub() -> T:
            return await work(await self.carehub())

        return self.loop.run_until_complete(with_carehub())

    async def carehub(self, settings: Settings | None = None) -> Carehub:
        """The wiring, built on first use; a build that fails is tried again next time."""
        if self._carehub is None:
            self._carehub = await build(settings or self.settings, clock=self.clock)
        return self._carehub

    def reset(self) -> None:
        """Close the wiring and the loop and forget the settings and the clock (before a
        test's next container)."""
        if self._carehub is not None:
            self.loop.run_until_complete(self._carehub.close())
        if self._loop is not None and not self._loop.is_closed():
            self._loop.close()
        asyncio.set_event_loop(None)
        self._settings, self._loop, self._carehub, self.clock = None, None, None, None


# This process's container: every handler module uses it, so they share one wiring.
CONTAINER = Container()
