"""A database whose every statement runs in a span: its operation and table, never its
parameters (they hold what is stored) nor its text. Wrapped around the database only when
tracing is on, so the statements of an untraced process pay nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import Dialect

from carehub.adapters.sql.database import Database, Row, Session, Statement
from carehub.kernel.tracing import Attribute, Tracing


class TracedDatabase:
    """`Database`, each statement of its sessions in a span (`SELECT patients`)."""

    def __init__(self, db: Database, tracing: Tracing) -> None:
        self._db = db
        self._tracing = tracing
        self.dialect: Dialect = db.dialect
        self._system = db.dialect.name

    def session(self, *, durable: bool = True) -> TracedSession:
        return TracedSession(self._db.session(durable=durable), self._tracing, self._system)

    async def ping(self) -> None:
        await self._db.ping()

    async def close(self) -> None:
        await self._db.close()


class TracedSession:
    __slots__ = ("_session", "_system", "_tracing")

    def __init__(self, session: Session, tracing: Tracing, system: str) -> None:
        self._session = session
        self._tracing = tracing
        self._system = system

    async def __aenter__(self) -> Self:
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._session.__aexit__(*exc_info)

    async def fetch_one(
        self, stmt: Statement, params: Mapping[str, Any] | None = None
    ) -> Row | None:
        with self._span(stmt):
            return await self._session.fetch_one(stmt, params)

    async def fetch_all(
        self, stmt: Statement, params: Mapping[str, Any] | None = None
    ) -> list[Row]:
        with self._span(stmt):
            return await self._session.fetch_all(stmt, params)

    async def execute(self, stmt: Statement, params: Mapping[str, Any] | None = None) -> int:
        with self._span(stmt):
            return await self._session.execute(stmt, params)

    async def execute_many(self, stmt: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        with self._span(stmt):
            await self._session.execute_many(stmt, rows)

    async def execute_returning(self, stmt: Statement, params: Mapping[str, Any]) -> Row:
        with self._span(stmt):
            return await self._session.execute_returning(stmt, params)

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        return self._session.savepoint()

    async def begin(self) -> None:
        await self._session.begin()

    @property
    def in_transaction(self) -> bool:
        return self._session.in_transaction

    async def commit(self) -> None:
        with self._tracing.child("COMMIT", {"db.system.name": self._system}):
            await self._session.commit()

    async def close(self) -> None:
        await self._session.close()

    def _span(self, stmt: Statement) -> Any:
        operation, table = described(stmt)
        attributes: dict[str, Attribute] = {
            "db.system.name": self._system,
            "db.operation.name": operation,
        }
        if table:
            attributes["db.collection.name"] = table
        return self._tracing.child(f"{operation} {table}".rstrip(), attributes)


# Holds the statements it describes, so an id is never reused while it is remembered.
_DESCRIBED: dict[Statement, tuple[str, str]] = {}


def described(stmt: Statement) -> tuple[str, str]:
    """The statement's operation (`SELECT`) and first table, worked out once per statement
    (nearly all are module constants; the memo is bounded all the same)."""
    found = _DESCRIBED.get(stmt)
    if found is None:
        found = _describe(stmt.clause)
        if len(_DESCRIBED) < 4096:
            _DESCRIBED[stmt] = found
    return found


def _describe(clause: Any) -> tuple[str, str]:
    for kind, operation in ((sa.Insert, "INSERT"), (sa.Update, "UPDATE"), (sa.Delete, "DELETE")):
        if isinstance(clause, kind):
            return operation, str(getattr(clause.table, "name", ""))
    if isinstance(clause, sa.Select):
        froms = clause.get_final_froms()
        return "SELECT", str(getattr(froms[0], "name", "")) if froms else ""
    return type(clause).__name__.upper(), ""
