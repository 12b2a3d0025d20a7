"""The PatientRepository port's adapters, each behind the same unit-of-work factory.

Every contract test runs once per adapter: in memory, SQLite and PostgreSQL, and DynamoDB
for the ports that have its adapter (their suites take `WITH_DYNAMODB` as their adapters).
The SQL ones are wired the way `carehub.bootstrap` wires them: `connect(url, settings)`,
then `units_of_work(db, clock)`; DynamoDB's on a fresh table of the session's moto server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.adapters.sql.audit import AuditWriter
from carehub.adapters.sql.unit_of_work import SqlUnitOfWork
from carehub.audit.shards import AuditShards
from carehub.bootstrap import dynamodb_units_of_work, units_of_work
from carehub.patients.ports import PatientsUnitOfWork
from tests.support.clock import AdjustableClock
from tests.support.dynamodb import fresh_table
from tests.support.services import empty_database, fixed_secret_box

ADAPTERS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
WITH_DYNAMODB = [*ADAPTERS, pytest.param("dynamodb", marks=pytest.mark.aws)]

UnitOfWorkFactory = Callable[[], PatientsUnitOfWork]


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    """The name of the adapter under test."""
    name: str = request.param
    return name


# A factory of units of work for one writer (process): over its own view of the audit
# trail's shards, or the adapter's default writer when None.
Writers = Callable[[AuditShards | None], UnitOfWorkFactory]


@pytest.fixture
async def writers(
    adapter: str,
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Writers]:
    """Makes writers on one empty store of the adapter under test, each as another process
    of the same deployment would be (wired as `carehub.bootstrap` wires them)."""
    clock = AdjustableClock()
    if adapter == "memory":
        store = MemoryStore()

        def in_memory(shards: AuditShards | None) -> UnitOfWorkFactory:
            return lambda: MemoryUnitOfWork(store, clock, audit_shards=shards)

        yield in_memory
        return
    if adapter == "dynamodb":
        async with fresh_table(request, monkeypatch) as table:

            def on_table(shards: AuditShards | None) -> UnitOfWorkFactory:
                if shards is None:
                    return dynamodb_units_of_work(table, clock, secrets=fixed_secret_box())
                return lambda: DynamoUnitOfWork(
                    table, clock, secrets=fixed_secret_box(), audit_shards=shards
                )

            yield on_table
        return
    async with empty_database(adapter, request, sqlite_template, tmp_path) as db:

        def on_database(shards: AuditShards | None) -> UnitOfWorkFactory:
            if shards is None:
                return units_of_work(db, clock, secrets=fixed_secret_box())
            writer = AuditWriter(db, shards=shards)
            return lambda: SqlUnitOfWork(db, clock, writer, secrets=fixed_secret_box())

        yield on_database


@pytest.fixture
def new_uow(writers: Writers) -> UnitOfWorkFactory:
    """Opens a new unit of work on an empty store of the adapter under test."""
    return writers(None)
