"""Which shard of the audit trail a writer appends to, and what it remembers of each.

A writer is one process's units of work: they share one `AuditShards`. Its appends are
sticky: they go to the shard it used last, whose head it remembers, so an append needs no
read of the head first. Concurrent appends of one writer take different shards (a turn is
exclusive), so they never race each other. Writers are told apart by chance: each starts
from its own random order of the shards. When another writer appended to the same shard
meanwhile, the append loses the race (the store refuses a seq already taken); the writer
then forgets that head and moves to another shard, so writers that collide drift apart.

A remembered head is trusted for `TRUSTED_FOR` seconds after the writer last appended to
that shard: after a longer pause the next append there reads the head first, and links name
only trusted heads. A writer that paused (a Lambda instance between invocations) has likely
been overtaken, and a read costs less than losing the race (a failed write, then the read
anyway); a busy writer never pauses so long.

After `STAY` entries in one shard a writer moves on anyway, and its first entry in the shard
it enters names the heads it left behind in others (`MAX_LINKS` at most, the latest first):
each of its entries is then named by a later one in another shard, and a removed tail of a
shard is caught even where no store keeps the heads apart from the entries. Moving costs
one read of the new shard's head per `STAY` entries.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from carehub.audit.model import AuditEntry, ChainHead
from carehub.kernel.metrics import NO_METRICS, Metrics

# Verification reads every shard, and a search that names no patient or actor reads one
# index partition per shard; past a few hundred that is no longer cheap.
MAX_SHARDS = 256
# Entries a writer appends to one shard before it moves on. Each move costs a read of the
# new shard's head (1 RCU on DynamoDB, a row on SQL) and makes one entry longer by its
# links: 1/64 of that per entry. In exchange a writer's newest 64 entries at most are
# named by no other shard yet.
STAY = 64
TRUSTED_FOR = 1.0
# Links one entry carries, about 100 bytes each: an entry naming four is a DynamoDB item of
# 1 to 2 KB (2 write units a copy instead of 1), once every `STAY` entries of a writer.
MAX_LINKS = 4


@dataclass
class _Slot:
    shard: int
    head: ChainHead | None = None  # where this writer last left the shard; None: unknown
    written: int = 0  # entries appended since this writer entered the shard
    moved: int = 0  # when the head last moved (a tick): the latest heads are linked first
    appended_at: float = 0.0  # when this writer last appended here (monotonic seconds)


class ShardTurn:
    """One append's exclusive use of a shard. Report how it went with `appended`,
    `lost_race` or `not_written`; a turn that says nothing left the head unknown."""

    def __init__(self, shard: int, head: ChainHead | None, links: tuple[ChainHead, ...]) -> None:
        self.shard = shard
        self.head = head  # where this writer left the shard; None: read it from the store
        self.links = links  # what the first entry names (only when entering a shard)
        self.entries: Sequence[AuditEntry] = ()
        self.outcome = "unknown"
        self.contested = False

    def appended(self, entries: Sequence[AuditEntry]) -> None:
        """The entries are stored; the last one is the shard's head now."""
        self.entries, self.outcome = entries, "appended"

    def lost_race(self) -> None:
        """Another writer took the next seq first: the head is stale, and this writer moves
        to another shard next time. Read the head again to append here in this turn."""
        self.head = None
        self.contested = True
        self.outcome = "unknown"

    def not_written(self) -> None:
        """Nothing was stored (the commit was refused for another reason); the head stands."""
        self.outcome = "kept"


class AuditShards:
    """One writer's view of the trail's shards (see the module's docstring)."""

    def __init__(
        self,
        count: int,
        *,
        stay: int = STAY,
        rng: random.Random | None = None,
        now: Callable[[], float] = time.monotonic,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        if not 1 <= count <= MAX_SHARDS:
            raise ValueError(f"the audit trail has 1 to {MAX_SHARDS} shards, not {count}")
        order = list(range(count))
        (rng or random.Random()).shuffle(order)
        self.count = count
        self._stay = stay
        self._slots = {shard: _Slot(shard) for shard in order}
        self._free = order  # a stack: the last one is taken next
        self._waiting: list[asyncio.Future[None]] = []
        self._ticks = itertools.count(1)
        self._now = now
        self._metrics = metrics

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[ShardTurn]:
        """Exclusive use of a shard for one append; waits while this writer uses them all."""
        while not self._free:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
        slot = self._slots[self._free.pop()]
        links = self._links(slot) if not slot.written else ()
        turn = ShardTurn(slot.shard, slot.head if self._trusted(slot) else None, links)
        try:
            yield turn
        finally:
            self._give_back(slot, turn)

    def preferred(self) -> int:
        """Where an append that locks the head in the store goes (no turn needed): the shard
        this writer's next turn would take, else the one it took last."""
        if self._free:
            return self._free[-1]
        return max(self._slots.values(), key=lambda slot: slot.moved).shard

    def saw(self, head: ChainHead, *, appended: int) -> None:
        """A head that an append of `appended` entries outside the turns left (it only ever
        moves forward)."""
        self._metrics.audit_written(appended)
        slot = self._slots.get(head.shard)
        if slot is not None and (slot.head is None or head.seq > slot.head.seq):
            slot.head, slot.moved = head, next(self._ticks)
            slot.appended_at = self._now()

    def _trusted(self, slot: _Slot) -> bool:
        return self._now() - slot.appended_at <= TRUSTED_FOR

    def _links(self, entering: _Slot) -> tuple[ChainHead, ...]:
        known = [
            (slot.moved, slot.head)
            for slot in self._slots.values()
            if slot is not entering and slot.head and slot.head.seq and self._trusted(slot)
        ]
        known.sort(key=lambda found: found[0], reverse=True)
        return tuple(head for _, head in known[:MAX_LINKS] if head is not None)

    def _give_back(self, slot: _Slot, turn: ShardTurn) -> None:
        if turn.outcome == "appended" and turn.entries:
            self._metrics.audit_written(len(turn.entries))
            slot.head, slot.moved = turn.entries[-1].head, next(self._ticks)
            slot.appended_at = self._now()
            slot.written += len(turn.entries)
        elif turn.outcome != "kept":
            slot.head = None
        if turn.contested or slot.written >= self._stay:
            slot.written = 0
            self._free.insert(0, slot.shard)  # last in line: move on
        else:
            self._free.append(slot.shard)
        waiting, self._waiting = self._waiting, []
        for waiter in waiting:
            if not waiter.done():
                waiter.set_result(None)
