"""The event loops a process runs beside (or instead of) serving HTTP: the outbox relay,
the consumers, webhook deliveries, hold and upload expiry, and pruning old outbox rows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from functools import partial
from typing import Any

from carehub.bootstrap import Carehub

log = logging.getLogger("carehub.background")
PRUNE_EVERY_SECONDS = 3600.0
IDLE_SECONDS = 1.0
BATCH = 50


class Background:
    """Starts the loops, tells whether they all run, and stops them gracefully."""

    def __init__(self, carehub: Carehub, *, consumers: bool) -> None:
        self._carehub = carehub
        self._consumers = consumers
        self._stopping = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self) -> None:
        events = self._carehub.events
        loops: dict[str, Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = {}
        if events.relay_loop is not None:
            loops["relay"] = events.relay_loop
        else:
            log.info("no outbox relay in this process: the table's stream feeds a Lambda")
        loops["outbox-pruning"] = self._prune_outbox
        if self._consumers:
            for runner in events.runners:
                loops[f"consumer:{runner.name}"] = runner.run
            for name, job in drained_jobs(self._carehub).items():
                loops[name] = partial(_drain, what=name, work=job)
            if self._carehub.storage_events is not None:
                loops["storage-events"] = self._complete_stored_uploads
        for name, loop in loops.items():
            self._tasks[name] = asyncio.create_task(loop(self._stopping), name=name)
        log.info("background loops started: %s", ", ".join(self._tasks))

    def stopped_loops(self) -> list[str]:
        """Loops that ended although nobody asked them to (a readiness check fails)."""
        return [name for name, task in self._tasks.items() if task.done()]

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Let each loop finish what it has in hand, then cancel whatever still runs."""
        self._stopping.set()
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        log.info("background loops stopped")

    async def _complete_stored_uploads(self, stopping: asyncio.Event) -> None:
        """Complete uploads as S3 reports them stored (each receive long-polls briefly)."""
        events, uploads = self._carehub.storage_events, self._carehub.uploads
        assert events is not None

        async def complete(key: str) -> object:
            return await uploads.complete_stored(key=key)

        await _drain(
            stopping, what="completing stored uploads", work=lambda: events.drain(complete)
        )

    async def _prune_outbox(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await prune_outbox(self._carehub)
            except Exception:
                log.exception("pruning the outbox failed")
            await _rest(stopping, PRUNE_EVERY_SECONDS)


def drained_jobs(carehub: Carehub) -> dict[str, Callable[[], Awaitable[int]]]:
    """One round of each job a loop repeats while it finds work, by name; a round returns
    how much it did (several processes may run them at once: each claims what it does)."""
    return {
        # Send due webhook deliveries.
        "webhook-deliveries": lambda: carehub.webhooks.deliver_due(limit=BATCH),
        # Free the slots of holds (and waitlist offers) whose time is up.
        "hold-expiry": lambda: carehub.holds.expire_due(limit=BATCH),
        # Delete uploads never confirmed before their URL expired.
        "upload-expiry": lambda: carehub.uploads.abandon_expired(limit=BATCH),
    }


async def prune_outbox(carehub: Carehub) -> int:
    """Delete published outbox rows older than the retention; returns how many."""
    keep = timedelta(days=carehub.settings.outbox_retention_days)
    pruned = await carehub.events.outbox.prune(carehub.clock.now() - keep)
    if pruned:
        log.info("pruned %d published outbox rows", pruned)
    return pruned


async def _drain(stopping: asyncio.Event, *, what: str, work: Callable[[], Awaitable[int]]) -> None:
    """Repeat `work` (which returns how much it did) until asked to stop, resting whenever
    there was nothing to do or it failed."""
    while not stopping.is_set():
        try:
            done = await work()
        except Exception:
            log.exception("%s failed", what)
            done = 0
        if not done:
            await _rest(stopping, IDLE_SECONDS)


async def _rest(stopping: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
