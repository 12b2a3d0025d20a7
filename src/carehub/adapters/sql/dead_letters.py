"""Dead letters on SQL: messages consumers gave up on, newest first, replayable."""

from __future__ import annotations

from datetime import datetime

import orjson
import sqlalchemy as sa

from carehub.adapters.sql.database import Database, Row, Statement, as_datetime
from carehub.adapters.sql.outbox import message_from_row
from carehub.adapters.sql.tables import dead_letters
from carehub.events.model import DeadLetter
from carehub.kernel.pagination import Page, cursor_position, encode_cursor

_d = dead_letters.c
# Parking the same consumer's event again (after a failed replay) updates the letter.
_PARK = Statement(
    sa.text("""
INSERT INTO dead_letters (id, consumer, event_id, event_type, aggregate_id, actor_id,
    occurred_at, payload, attempts, last_error, parked_at, replayed_at)
VALUES (:id, :consumer, :event_id, :event_type, :aggregate_id, :actor_id,
    :occurred_at, :payload, :attempts, :last_error, :parked_at, NULL)
ON CONFLICT (consumer, event_id) DO UPDATE SET attempts = excluded.attempts,
    last_error = excluded.last_error, parked_at = excluded.parked_at, replayed_at = NULL
""")
)
_GET = Statement(sa.select(dead_letters).where(_d.id == sa.bindparam("id")))


def _page_statement(*, by_consumer: bool, include_replayed: bool) -> Statement:
    query = sa.select(dead_letters).where(_d.id < sa.bindparam("before"))
    if by_consumer:
        query = query.where(_d.consumer == sa.bindparam("consumer"))
    if not include_replayed:
        query = query.where(_d.replayed_at.is_(None))
    return Statement(query.order_by(_d.id.desc()).limit(sa.bindparam("limit")))


_PAGES = {
    (by, replayed): _page_statement(by_consumer=by, include_replayed=replayed)
    for by in (False, True)
    for replayed in (False, True)
}
# Only a letter not yet replayed is claimed: of two replays side by side, one updates it.
_CLAIM_REPLAY = Statement(
    sa.update(dead_letters)
    .where(_d.id == sa.bindparam("b_id"), _d.replayed_at.is_(None))
    .values(replayed_at=sa.bindparam("at", type_=_d.replayed_at.type))
)
_FAILED_REPLAY = Statement(
    sa.update(dead_letters)
    .where(_d.id == sa.bindparam("b_id"))
    .values(
        last_error=sa.bindparam("error"),
        parked_at=sa.bindparam("at", type_=_d.parked_at.type),
        attempts=_d.attempts + 1,
        replayed_at=sa.null(),
    )
)
_WAITING = Statement(sa.select(sa.func.count().label("waiting")).where(_d.replayed_at.is_(None)))
_AFTER_NEWEST = "\uffff"  # sorts after every id


class SqlDeadLetters:
    """`carehub.events.ports.DeadLetters` on a SQL database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def park(self, letter: DeadLetter) -> None:
        message = letter.message
        await self._write(
            _PARK,
            {
                "id": letter.letter_id,
                "consumer": letter.consumer,
                "event_id": message.event_id,
                "event_type": message.event_type,
                "aggregate_id": message.aggregate_id,
                "actor_id": message.actor_id,
                "occurred_at": message.occurred_at,
                "payload": orjson.dumps(message.payload).decode(),
                "attempts": letter.attempts,
                "last_error": letter.last_error,
                "parked_at": letter.parked_at,
            },
        )

    async def get(self, letter_id: str) -> DeadLetter | None:
        async with self._db.session() as session:
            row = await session.fetch_one(_GET, {"id": letter_id})
        return _letter(row) if row is not None else None

    async def page(
        self, *, consumer: str | None, include_replayed: bool, cursor: str | None, limit: int
    ) -> Page[DeadLetter]:
        before = cursor_position(cursor, "id", str) if cursor else _AFTER_NEWEST
        params: dict[str, object] = {"before": before, "limit": limit + 1}
        if consumer is not None:
            params["consumer"] = consumer
        async with self._db.session() as session:
            rows = await session.fetch_all(_PAGES[(consumer is not None, include_replayed)], params)
        letters = [_letter(row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(letters, encode_cursor({"id": letters[-1].letter_id}) if more else None)

    async def claim_replay(self, letter_id: str, at: datetime) -> bool:
        return await self._write(_CLAIM_REPLAY, {"b_id": letter_id, "at": at}) == 1

    async def note_failed_replay(self, letter_id: str, error: str, at: datetime) -> None:
        await self._write(_FAILED_REPLAY, {"b_id": letter_id, "error": error, "at": at})

    async def waiting(self) -> int:
        async with self._db.session() as session:
            row = await session.fetch_one(_WAITING)
        return int(row["waiting"]) if row is not None else 0

    async def _write(self, statement: Statement, params: dict[str, object]) -> int:
        async with self._db.session() as session:
            count = await session.execute(statement, params)
            await session.commit()
        return count


def _letter(row: Row) -> DeadLetter:
    replayed = row["replayed_at"]
    return DeadLetter(
        letter_id=row["id"],
        consumer=row["consumer"],
        message=message_from_row(row),
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
        parked_at=as_datetime(row["parked_at"]),
        replayed_at=as_datetime(replayed) if replayed is not None else None,
    )
