"""The relay's side of the outbox on SQL: the leader lease, unpublished rows, marking them.

One relay at a time moves rows: the one holding the `outbox-relay` lease, a row renewed by
a conditional UPDATE (so it works the same on SQLite, PostgreSQL and, later, a conditional
write in DynamoDB). A single mover keeps each aggregate's events in commit order; several
relays claiming rows side by side (FOR UPDATE SKIP LOCKED) could publish a later event of
an aggregate before an earlier one. When the holder dies its lease expires and another
process takes over, republishing what was read but not yet marked (consumers are
idempotent).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import orjson
import sqlalchemy as sa

from carehub.adapters.sql.database import (
    Database,
    Row,
    Statement,
    UniqueViolation,
    as_datetime,
    insert_into,
)
from carehub.adapters.sql.tables import leases, outbox
from carehub.events.model import OutboxRow
from carehub.kernel.clock import Clock
from carehub.kernel.events import EventMessage

_l = leases.c
_o = outbox.c
_TAKE_LEASE = Statement(
    sa.update(leases)
    .where(
        _l.name == sa.bindparam("name"),
        sa.or_(_l.owner == sa.bindparam("owner"), _l.expires_at < sa.bindparam("now")),
    )
    .values(owner=sa.bindparam("owner"), expires_at=sa.bindparam("expires_at"))
)
_NEW_LEASE = insert_into(leases, generated=())
_RELEASE_LEASE = Statement(
    sa.delete(leases).where(_l.name == sa.bindparam("name"), _l.owner == sa.bindparam("owner"))
)
_UNPUBLISHED = Statement(
    sa.select(outbox)
    .where(_o.published_at.is_(None), _o.seq > sa.bindparam("after"))
    .order_by(_o.seq)
    .limit(sa.bindparam("limit"))
)
_MARK = Statement(
    sa.update(outbox)
    .where(_o.seq == sa.bindparam("b_seq"))
    .values(published_at=sa.bindparam("published_at"))
)
_BACKLOG = Statement(sa.select(sa.func.count().label("backlog")).where(_o.published_at.is_(None)))
# The unpublished index gives the oldest waiting row at once.
_OLDEST = Statement(
    sa.select(_o.occurred_at).where(_o.published_at.is_(None)).order_by(_o.seq).limit(1)
)
_PRUNE = Statement(
    sa.delete(outbox).where(
        _o.published_at.is_not(None),
        _o.published_at < sa.bindparam("before", type_=_o.published_at.type),
    )
)


class SqlOutboxStore:
    """`carehub.events.ports.OutboxStore` on a SQL database."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def hold_lease(self, name: str, owner: str, seconds: float) -> bool:
        now = self._clock.now()
        params = {
            "name": name,
            "owner": owner,
            "now": now,
            "expires_at": now + timedelta(seconds=seconds),
        }
        async with self._db.session() as session:
            if not await session.execute(_TAKE_LEASE, params):
                try:
                    await session.execute(_NEW_LEASE, params)
                except UniqueViolation:
                    return False  # someone else holds it
            await session.commit()
            return True

    async def release_lease(self, name: str, owner: str) -> None:
        async with self._db.session() as session:
            await session.execute(_RELEASE_LEASE, {"name": name, "owner": owner})
            await session.commit()

    async def unpublished(self, after_seq: int, limit: int) -> list[OutboxRow]:
        async with self._db.session() as session:
            rows = await session.fetch_all(_UNPUBLISHED, {"after": after_seq, "limit": limit})
        return [_outbox_row(row) for row in rows]

    async def mark_published(self, seqs: Sequence[int], at: datetime) -> None:
        async with self._db.session() as session:
            await session.execute_many(_MARK, [{"b_seq": s, "published_at": at} for s in seqs])
            await session.commit()

    async def backlog(self) -> int:
        async with self._db.session() as session:
            row = await session.fetch_one(_BACKLOG)
        return int(row["backlog"]) if row is not None else 0

    async def oldest_unpublished(self) -> datetime | None:
        async with self._db.session() as session:
            row = await session.fetch_one(_OLDEST)
        return None if row is None else as_datetime(row["occurred_at"])

    async def prune(self, published_before: datetime) -> int:
        """Delete rows published before the given time; returns how many."""
        async with self._db.session() as session:
            deleted = await session.execute(_PRUNE, {"before": published_before})
            await session.commit()
        return deleted


def message_from_row(row: Row, trace: str | None = None) -> EventMessage:
    """The event a row stores (outbox and dead-letter rows share these columns), with the
    trace context only the outbox keeps (JSON)."""
    payload = row["payload"]
    return EventMessage(
        event_id=row["event_id"],
        event_type=row["event_type"],
        aggregate_id=row["aggregate_id"],
        occurred_at=as_datetime(row["occurred_at"]),
        actor_id=row["actor_id"],
        payload=orjson.loads(payload) if isinstance(payload, str | bytes) else dict(payload),
        trace_context=orjson.loads(trace) if trace else {},
    )


def _outbox_row(row: Row) -> OutboxRow:
    return OutboxRow(seq=int(row["seq"]), message=message_from_row(row, row["trace_context"]))
