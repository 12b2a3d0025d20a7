"""Verification stamps in SQL (SQLite and PostgreSQL), one code path.

A partial unique index (migration 0007) keeps one active stamp per file; removed stamps
stay, with who removed them, when and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from carehub.adapters.sql.database import (
    Row,
    Session,
    Statement,
    UniqueViolation,
    as_datetime,
    as_utc,
    insert_into,
)
from carehub.adapters.sql.tables import document_stamps
from carehub.documents.errors import StampExists
from carehub.documents.model import Stamp

_s = document_stamps.c

_INSERT = insert_into(document_stamps, generated=())
# The literal predicate matches the partial unique index's, so the planner may use it.
_ACTIVE = Statement(
    sa.select(document_stamps).where(
        _s.file_id == sa.bindparam("file_id"), sa.text("removed_at IS NULL")
    )
)
_REMOVE = Statement(
    sa.update(document_stamps)
    .where(_s.id == sa.bindparam("b_id"), _s.removed_at.is_(None))
    .values(
        removed_by=sa.bindparam("removed_by"),
        removed_at=sa.bindparam("removed_at", type_=_s.removed_at.type),
        removal_reason=sa.bindparam("removal_reason"),
    )
)
# The files' stamps in one query: the ids as one parameter (a literal list in `in_` would
# need compiling per call), a JSON array on SQLite and a text[] on PostgreSQL.
_listed = sa.func.json_each(sa.bindparam("file_ids", type_=sa.String)).table_valued("value")
_HISTORY_SQLITE = Statement(
    sa.select(document_stamps)
    .where(_s.file_id.in_(sa.select(_listed.c.value)))
    .order_by(_s.file_id, _s.stamped_at, _s.id)
)
_HISTORY_POSTGRES = Statement(
    sa.select(document_stamps)
    .where(_s.file_id == sa.any_(sa.bindparam("file_ids", type_=ARRAY(sa.String))))
    .order_by(_s.file_id, _s.stamped_at, _s.id)
)


class SqlStampRepository:
    """`carehub.documents.ports.StampRepository` over a SQL session."""

    def __init__(self, session: Session, dialect_name: str) -> None:
        self._session = session
        self._sqlite = dialect_name == "sqlite"

    async def add(self, stamp: Stamp) -> None:
        try:
            async with self._session.savepoint():
                await self._session.execute(_INSERT, stamp_row(stamp))
        except UniqueViolation as exc:
            if exc.columns == ("file_id",):
                raise StampExists() from exc
            raise

    async def active(self, file_id: str) -> Stamp | None:
        row = await self._session.fetch_one(_ACTIVE, {"file_id": file_id})
        return None if row is None else stamp_from_row(row)

    async def history(self, file_ids: Sequence[str]) -> dict[str, list[Stamp]]:
        """Every listed file gets an entry, an empty list when it was never stamped."""
        found: dict[str, list[Stamp]] = {file_id: [] for file_id in file_ids}
        if not found:
            return found
        listed: str | list[str]
        if self._sqlite:
            statement, listed = _HISTORY_SQLITE, orjson.dumps(list(found)).decode()
        else:
            statement, listed = _HISTORY_POSTGRES, list(found)
        for row in await self._session.fetch_all(statement, {"file_ids": listed}):
            found[row["file_id"]].append(stamp_from_row(row))
        return found

    async def remove(self, stamp: Stamp) -> bool:
        if stamp.removed_at is None:
            raise ValueError("a removal needs removed_at")
        params = {
            "b_id": stamp.id,
            "removed_by": stamp.removed_by,
            "removed_at": as_utc(stamp.removed_at),
            "removal_reason": stamp.removal_reason,
        }
        return await self._session.execute(_REMOVE, params) == 1


def stamp_row(stamp: Stamp) -> dict[str, Any]:
    return {
        "id": stamp.id,
        "file_id": stamp.file_id,
        "stamped_by": stamp.stamped_by,
        "stamped_at": as_utc(stamp.stamped_at),
        "note": stamp.note,
        "removed_by": stamp.removed_by,
        "removed_at": None if stamp.removed_at is None else as_utc(stamp.removed_at),
        "removal_reason": stamp.removal_reason,
    }


def stamp_from_row(row: Row) -> Stamp:
    removed_at = row["removed_at"]
    return Stamp(
        id=row["id"],
        file_id=row["file_id"],
        stamped_by=row["stamped_by"],
        stamped_at=as_datetime(row["stamped_at"]),
        note=row["note"],
        removed_by=row["removed_by"],
        removed_at=None if removed_at is None else as_datetime(removed_at),
        removal_reason=row["removal_reason"],
    )
