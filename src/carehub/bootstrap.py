"""Builds carehub's object graph from Settings: the only place that chooses adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryIdempotencyStore, MemoryUnitOfWork
from carehub.adapters.sql import migrate
from carehub.adapters.sql.database import (
    Database,
    PostgresDatabase,
    SqliteDatabase,
    sqlite_path,
)
from carehub.adapters.sql.idempotency import SqlIdempotencyStore
from carehub.adapters.sql.unit_of_work import SqlUnitOfWork
from carehub.config import Settings
from carehub.kernel.clock import Clock, SystemClock
from carehub.kernel.idempotency import IdempotencyStore
from carehub.patients.service import PatientService


@dataclass
class Carehub:
    """Everything an entrypoint needs: the use cases and what closes them down."""

    settings: Settings
    patients: PatientService
    idempotency: IdempotencyStore
    check_ready: Callable[[], Awaitable[None]]
    close: Callable[[], Awaitable[None]]
    clock: Clock


async def connect(url: str, settings: Settings) -> Database:
    """Open the database a URL names."""
    if url.startswith("sqlite:///"):
        return SqliteDatabase(sqlite_path(url), synchronous=settings.sqlite_synchronous)
    if url.startswith(("postgresql://", "postgres://", "postgresql+")):
        return await PostgresDatabase.connect(url, max_size=settings.database_pool_size)
    raise ValueError("CAREHUB_DATABASE_URL must start with sqlite:/// or postgresql://")


async def build(settings: Settings, *, clock: Clock | None = None) -> Carehub:
    """Connect to the configured backends and wire the use cases to them."""
    clock = clock or SystemClock()
    db = await connect(settings.resolved_database_url, settings)
    return Carehub(
        settings=settings,
        patients=PatientService(lambda: SqlUnitOfWork(db, clock), clock),
        idempotency=SqlIdempotencyStore(db, clock),
        check_ready=db.ping,
        close=db.close,
        clock=clock,
    )


def build_in_memory(settings: Settings, clock: Clock) -> Carehub:
    """The same graph over in-memory fakes (unit tests)."""
    store = MemoryStore()

    async def nothing() -> None:
        return None

    return Carehub(
        settings=settings,
        patients=PatientService(lambda: MemoryUnitOfWork(store, clock), clock),
        idempotency=MemoryIdempotencyStore(store, clock),
        check_ready=nothing,
        close=nothing,
        clock=clock,
    )


def upgrade_database(settings: Settings, revision: str = "head") -> None:
    """Apply schema migrations to the configured database."""
    migrate.upgrade(settings.resolved_database_url, revision)


def database_revision(settings: Settings) -> str | None:
    """The schema revision of the configured database."""
    return migrate.current(settings.resolved_database_url)
