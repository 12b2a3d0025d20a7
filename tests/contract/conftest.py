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

from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
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


@pytest.fixture
async def new_uow(
    adapter: str,
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[UnitOfWorkFactory]:
    """Opens a new unit of work on an empty store of the adapter under test."""
    clock = AdjustableClock()
    if adapter == "memory":
        store = MemoryStore()
        yield lambda: MemoryUnitOfWork(store, clock)
        return
    if adapter == "dynamodb":
        async with fresh_table(request, monkeypatch) as table:
            # Only the ports built on DynamoDB so far: their suites alone run it.
            yield dynamodb_units_of_work(table, clock, secrets=fixed_secret_box())
        return
    async with empty_database(adapter, request, sqlite_template, tmp_path) as db:
        yield units_of_work(db, clock, secrets=fixed_secret_box())
