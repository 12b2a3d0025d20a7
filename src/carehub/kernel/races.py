"""Races a commit can lose, and how use cases keep from losing them.

SQL settles some races by making the later transaction wait on a lock (a counter row, a
slot) and then read what the first one wrote. A store without locks (DynamoDB) lets both
read, and its conditional writes make the later commit fail instead. Two things stand in
for the lock's wait: units of one process that would race queue for the key they race on
(`OneAtATime`), and a unit that lost to another process runs again, reading the new state
(`run_again_on_lost_race`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from carehub.kernel.errors import Conflict

T = TypeVar("T")

# Tries in all. A run loses again only while other processes keep committing to the same
# counter or slot, each round going to one of them: a handful of racing processes leave a
# run behind only after many rounds. The random pause keeps units that collided from
# colliding again in step; it stays short, since a longer one does not improve a run's
# chance in the next round, only its latency.
ATTEMPTS = 20
_FIRST_PAUSE = 0.005
_LONGEST_PAUSE = 0.1


class LostRace(Conflict):
    """Another unit of work changed, between this unit's reads and its commit, something
    this unit read to decide (a counter's value, a free slot). Nothing of this unit was
    written; the use case may run again (`run_again_on_lost_race`). A store that settles
    the race by waiting on a lock never raises it."""


async def run_again_on_lost_race(run: Callable[[], Awaitable[T]], *, attempts: int = ATTEMPTS) -> T:
    """`run()`, run again after a short random pause each time it raised `LostRace`; the
    last try's loss is raised (a 409: the client may try again later)."""
    for attempt in range(1, attempts):
        try:
            return await run()
        except LostRace:
            pause = min(_LONGEST_PAUSE, _FIRST_PAUSE * 2**attempt)
            await asyncio.sleep(random.uniform(0, pause))
    return await run()


class OneAtATime:
    """Runs that name the same key go one at a time in this process; other keys go freely.

    With optimistic writes, k units racing for one counter each win a round in k, so one of
    them can lose many rounds in a row; queued in their process, they do not race at all.
    Only units of other processes still race (`LostRace`)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def holding(self, key: str) -> AsyncIterator[None]:
        """Wait for the runs of `key` before this one, and hold the key until the block
        ends."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # forgotten once nobody holds or awaits it
                del self._users[key], self._locks[key]
