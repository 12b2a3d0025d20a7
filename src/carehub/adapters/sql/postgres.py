"""PostgreSQL through an asyncpg pool."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Self

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.engine.interfaces import Dialect

from carehub.adapters.sql.database import (
    CompiledSql,
    OverlapViolation,
    Row,
    Statement,
    UniqueViolation,
)
from carehub.adapters.sql.tables import metadata
from carehub.kernel.metrics import PoolUse

_POSTGRES_DIALECT = pg_asyncpg.dialect()  # type: ignore[no-untyped-call]
# The slot_claims exclusion constraints (migration 0005).
_POSTGRES_OVERLAPS = {"ex_slot_claims_doctor": "doctor", "ex_slot_claims_patient": "patient"}


class PostgresDatabase:
    """PostgreSQL through an asyncpg pool (prepared statements cached per connection)."""

    dialect: Dialect = _POSTGRES_DIALECT

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> PostgresDatabase:
        dsn = re.sub(r"^postgresql\+\w+://", "postgresql://", url)
        pool = await asyncpg.create_pool(
            dsn, min_size=min_size, max_size=max_size, reset=_nothing_to_reset
        )
        return cls(pool)

    def session(self, *, durable: bool = True) -> PostgresSession:
        return PostgresSession(self._pool, durable)

    def pool_use(self) -> PoolUse:
        """The pool's connections now: lent to a session, idle, and the most it opens."""
        size, idle = self._pool.get_size(), self._pool.get_idle_size()
        return PoolUse(in_use=size - idle, idle=idle, max_size=self._pool.get_max_size())

    async def ping(self) -> None:
        async with self._pool.acquire() as conn:
            await conn.fetchval("SELECT 1")

    async def close(self) -> None:
        await self._pool.close()


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """Return a connection to the pool as it is, without asyncpg's reset round trip
    (`RESET ALL`, `UNLISTEN *`, ...), which cost each unit of work a second round trip.

    carehub leaves no session state behind: its settings are `SET LOCAL` (they end with
    the transaction), and it takes no advisory locks, keeps no cursors and listens to
    nothing. asyncpg still rolls back a transaction left open before calling this.
    """


class PostgresSession:
    __slots__ = ("_conn", "_durable", "_pool", "_transaction")

    def __init__(self, pool: asyncpg.Pool, durable: bool = True) -> None:
        self._pool = pool
        self._durable = durable
        self._conn: Any = None
        self._transaction: Any = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def begin(self) -> None:
        await self._begin()

    @property
    def in_transaction(self) -> bool:
        return self._transaction is not None

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        conn = await self._begin()
        async with conn.transaction():  # nested in the open one: a SAVEPOINT
            yield

    async def _connection(self) -> Any:
        if self._conn is None:
            self._conn = await self._pool.acquire()
        return self._conn

    async def fetch_one(
        self, stmt: Statement, params: Mapping[str, Any] | None = None
    ) -> Row | None:
        compiled = stmt.compiled(_POSTGRES_DIALECT)
        conn = await self._connection()
        return await conn.fetchrow(compiled.sql, *_positional(compiled, params))  # type: ignore[no-any-return]

    async def fetch_all(
        self, stmt: Statement, params: Mapping[str, Any] | None = None
    ) -> list[Row]:
        compiled = stmt.compiled(_POSTGRES_DIALECT)
        conn = await self._connection()
        return await conn.fetch(compiled.sql, *_positional(compiled, params))  # type: ignore[no-any-return]

    async def execute(self, stmt: Statement, params: Mapping[str, Any] | None = None) -> int:
        conn = await self._begin()
        compiled = stmt.compiled(_POSTGRES_DIALECT)
        try:
            status = await conn.execute(compiled.sql, *_positional(compiled, params))
        except asyncpg.UniqueViolationError as exc:
            raise _postgres_unique(exc) from exc
        except asyncpg.ExclusionViolationError as exc:
            raise _postgres_exclusion(exc) from exc
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def execute_returning(self, stmt: Statement, params: Mapping[str, Any]) -> Row:
        conn = await self._begin()
        compiled = stmt.compiled(_POSTGRES_DIALECT)
        try:
            return await conn.fetchrow(compiled.sql, *_positional(compiled, params))  # type: ignore[no-any-return]
        except asyncpg.UniqueViolationError as exc:
            raise _postgres_unique(exc) from exc
        except asyncpg.ExclusionViolationError as exc:
            raise _postgres_exclusion(exc) from exc

    async def execute_many(self, stmt: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        conn = await self._begin()
        compiled = stmt.compiled(_POSTGRES_DIALECT)
        try:
            await conn.executemany(compiled.sql, [_positional(compiled, r) for r in rows])
        except asyncpg.UniqueViolationError as exc:
            raise _postgres_unique(exc) from exc
        except asyncpg.ExclusionViolationError as exc:
            raise _postgres_exclusion(exc) from exc

    async def commit(self) -> None:
        if self._transaction is not None:
            transaction, self._transaction = self._transaction, None
            if not self._durable:  # the WAL writer flushes it, soon after
                await self._conn.execute("SET LOCAL synchronous_commit TO OFF")
            await transaction.commit()

    async def close(self) -> None:
        try:
            if self._transaction is not None:
                transaction, self._transaction = self._transaction, None
                await transaction.rollback()
        finally:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await self._pool.release(conn)

    async def _begin(self) -> Any:
        conn = await self._connection()
        if self._transaction is None:
            self._transaction = conn.transaction()
            await self._transaction.start()
        return conn


def _positional(compiled: CompiledSql, params: Mapping[str, Any] | None) -> list[Any]:
    merged = compiled.bind(params)
    return [merged[name] for name in compiled.names]


def _postgres_unique(exc: Any) -> Exception:
    name = getattr(exc, "constraint_name", None) or ""
    table_name = getattr(exc, "table_name", None) or ""
    table = metadata.tables.get(table_name)
    if table is not None:
        # Unique constraints, and unique indexes (partial ones exist only as indexes).
        named: list[sa.Constraint | sa.Index] = [*table.constraints, *table.indexes]
        for constraint in named:
            if constraint.name == name:
                columns: Any = getattr(constraint, "columns", ())
                return UniqueViolation(table_name, tuple(c.name for c in columns))
    return UniqueViolation(table_name, ())


def _postgres_exclusion(exc: Any) -> Exception:
    party = _POSTGRES_OVERLAPS.get(getattr(exc, "constraint_name", None) or "")
    return exc if party is None else OverlapViolation(party)
