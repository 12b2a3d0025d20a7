"""A fresh table per test on the session's moto server, and units of work over it, for
every DynamoDB adapter test (all of them are `aws` tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from carehub.adapters.dynamodb.table_client import DynamoTable
from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from carehub.bootstrap import dynamodb_units_of_work
from tests.support.clock import AdjustableClock
from tests.support.dynamodb import fresh_table
from tests.support.services import fixed_secret_box

NewUnit = Callable[[], DynamoUnitOfWork]


@pytest.fixture
async def table(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[DynamoTable]:
    async with fresh_table(request, monkeypatch) as table:
        yield table


@pytest.fixture
def new_uow(table: DynamoTable) -> NewUnit:
    return dynamodb_units_of_work(table, AdjustableClock(), secrets=fixed_secret_box())
