"""The `database_url` fixture of the suites that run on DynamoDB too: a suite takes it by
importing `every_database`, which then stands in for the root conftest's `database_url`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import BACKENDS
from tests.support.dynamodb import fresh_table
from tests.support.moto import REGION
from tests.support.services import empty_postgres, fresh_sqlite


@pytest.fixture(
    params=[*BACKENDS, pytest.param("dynamodb", marks=pytest.mark.aws)], name="database_url"
)
async def every_database(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[str]:
    """An empty database on each backend: SQLite, PostgreSQL, and a fresh DynamoDB table
    on the session's moto server (its endpoint set as carehub reads it)."""
    if request.param == "sqlite":
        yield fresh_sqlite(sqlite_template, tmp_path)
    elif request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        empty_postgres(url)
        yield url
    else:
        async with fresh_table(request, monkeypatch) as table:
            monkeypatch.setenv("CAREHUB_AWS_ENDPOINT_URL", request.getfixturevalue("moto_endpoint"))
            yield f"dynamodb://{table.name}?region={REGION}"
