"""The databases plans are taken on: each test module here defines `load(url, folder)`, which
fills an empty, migrated database with enough rows for the planners to choose indexes."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.support.services import fresh_postgres_database, fresh_sqlite


@pytest.fixture(scope="module")
async def sqlite_file(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A SQLite file filled by the test module's `load`."""
    folder = tmp_path_factory.mktemp("plans-sqlite")
    url = fresh_sqlite(sqlite_template, folder)
    await request.module.load(url, folder)
    return Path(url.removeprefix("sqlite:///"))


@pytest.fixture(scope="module", params=["no statistics", "after ANALYZE"])
def sqlite_conn(
    request: pytest.FixtureRequest, sqlite_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sqlite3.Connection]:
    """carehub never runs ANALYZE, so plans without statistics are the ones users get."""
    path = tmp_path_factory.mktemp("plans-sqlite-copy") / sqlite_file.name
    shutil.copyfile(sqlite_file, path)
    conn = sqlite3.connect(path)
    if request.param == "after ANALYZE":
        conn.execute("ANALYZE")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
async def postgres_conn(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Any]:
    """A PostgreSQL database filled by the test module's `load`, after VACUUM ANALYZE."""
    with fresh_postgres_database() as url:
        await request.module.load(url, tmp_path_factory.mktemp("plans-postgres"))
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("VACUUM ANALYZE")
            yield conn
        finally:
            await conn.close()


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node of a PostgreSQL JSON plan, the root first."""
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)
