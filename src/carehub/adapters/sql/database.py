"""The small async interface carehub's SQL adapters use, and the statements they run.

Statements are SQLAlchemy Core clauses compiled once per dialect; execution goes straight
to the driver (`sqlite.py`, `postgres.py`). A session starts a transaction lazily, at its
first write, so read-only use cases cost one round trip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol, Self

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement

Row = Mapping[str, Any]


@dataclass(frozen=True)
class CompiledSql:
    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]

    def bind(self, params: Mapping[str, Any] | None) -> Mapping[str, Any]:
        """The statement's parameters: its compiled-in defaults, then `params`."""
        if not self.defaults:
            return params or {}
        return {**self.defaults, **(params or {})}


class Statement:
    """A Core clause with its compiled SQL cached per dialect."""

    __slots__ = ("_cache", "clause")

    def __init__(self, clause: ClauseElement) -> None:
        self.clause = clause
        self._cache: dict[str, CompiledSql] = {}

    def compiled(self, dialect: Dialect) -> CompiledSql:
        found = self._cache.get(dialect.name)
        if found is None:
            compiled = self.clause.compile(dialect=dialect)
            defaults = {k: v for k, v in compiled.params.items() if v is not None}
            found = CompiledSql(
                str(compiled), tuple(getattr(compiled, "positiontup", None) or ()), defaults
            )
            self._cache[dialect.name] = found
        return found


def insert_into(table: sa.Table, *, generated: tuple[str, ...] = ("seq",)) -> Statement:
    """INSERT of every column but the store-generated ones, one bind parameter each."""
    values = {
        c.name: sa.bindparam(c.name, type_=c.type) for c in table.c if c.name not in generated
    }
    return Statement(sa.insert(table).values(values))


_NEVER_UPDATED = ("seq", "id", "created_at")


def versioned_update(table: sa.Table) -> Statement:
    """UPDATE of a row's changeable columns if its id and version still match (optimistic
    concurrency); the parameters come from `versioned_update_params`."""
    c = table.c
    return Statement(
        sa.update(table)
        .where(c.id == sa.bindparam("b_id"), c.version == sa.bindparam("expected"))
        .values({col.name: sa.bindparam(col.name) for col in c if col.name not in _NEVER_UPDATED})
    )


def versioned_update_params(row: Mapping[str, Any], expected_version: int) -> dict[str, Any]:
    """A full row's values as `versioned_update` parameters."""
    params = {k: v for k, v in row.items() if k not in _NEVER_UPDATED}
    params["b_id"] = row["id"]
    params["expected"] = expected_version
    return params


class DatabaseUnreachable(Exception):
    """The database could not be opened (no server there, no such database, refused)."""


class UniqueViolation(Exception):
    """A unique or primary-key constraint refused a write."""

    def __init__(self, table: str, columns: tuple[str, ...]) -> None:
        super().__init__(f"unique violation on {table}({', '.join(columns)})")
        self.table = table
        self.columns = columns


class OverlapViolation(Exception):
    """A slot-claim overlap constraint refused a write; `party` is "doctor" or "patient"."""

    def __init__(self, party: str) -> None:
        super().__init__(f"overlapping slot claim for the same {party}")
        self.party = party


class Session(Protocol):
    """One unit of work's connection. The first write opens the transaction.

    `async with db.session() as session:` closes it on the way out (rolling back anything
    uncommitted).
    """

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def fetch_one(
        self, stmt: Statement, params: Mapping[str, Any] | None = None
    ) -> Row | None: ...

    async def fetch_all(
        self, stmt: Statement, params: Mapping[str, Any] | None = None
    ) -> list[Row]: ...

    async def execute(self, stmt: Statement, params: Mapping[str, Any] | None = None) -> int: ...

    async def execute_many(self, stmt: Statement, rows: Sequence[Mapping[str, Any]]) -> None: ...

    async def execute_returning(self, stmt: Statement, params: Mapping[str, Any]) -> Row:
        """Run a write that returns one row (INSERT ... RETURNING)."""
        ...

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested transaction: an exception inside undoes only the writes made inside,
        and the unit's transaction stays usable (PostgreSQL would otherwise refuse every
        statement after a failed one)."""
        ...

    async def begin(self) -> None:
        """Open the transaction now (before a read that must lock, e.g. FOR UPDATE)."""
        ...

    @property
    def in_transaction(self) -> bool:
        """Whether something was written (or `begin()` was called)."""
        ...

    async def commit(self) -> None: ...

    async def close(self) -> None:
        """Roll back anything uncommitted and give the connection back."""
        ...


class Database(Protocol):
    """A connected database."""

    dialect: Dialect

    def session(self, *, durable: bool = True) -> Session:
        """A unit's connection. With `durable=False` (the audit entries of reads) its
        commit may return before the disk has it: it survives a crash of the process at
        once, and a power loss a moment later."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


def as_date(value: Any) -> date | None:
    """A DATE column's value (SQLite returns text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def as_datetime(value: Any) -> datetime:
    """A timestamp column's value (SQLite returns text)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def as_utc(value: datetime) -> datetime:
    """A timestamp to store or compare with: in UTC, so SQLite's ISO-8601 text sorts and
    compares in time order."""
    if value.tzinfo is None:
        raise ValueError("stored times are timezone-aware")
    return value.astimezone(UTC)
