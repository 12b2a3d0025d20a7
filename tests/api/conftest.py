"""A real carehub server per SQL backend; every test starts from empty tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from carehub.adapters.sql.database import sqlite_path
from carehub.config import Settings
from tests.conftest import BACKENDS
from tests.support.clock import AdjustableClock
from tests.support.server import running_server
from tests.support.services import TABLES, empty_postgres, fresh_sqlite


@dataclass
class ApiServer:
    base_url: str
    database_url: str
    clock: AdjustableClock

    def empty(self) -> None:
        if self.database_url.startswith("sqlite"):
            with sqlite3.connect(sqlite_path(self.database_url)) as conn:
                for table in TABLES:
                    conn.execute(f"DELETE FROM {table}")
        else:
            empty_postgres(self.database_url)
        self.clock.offset = timedelta()


@pytest.fixture(scope="session", params=BACKENDS)
def api_server(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    folder = tmp_path_factory.mktemp(f"api-{request.param}")
    if request.param == "sqlite":
        url = fresh_sqlite(sqlite_template, folder)
    else:
        url = request.getfixturevalue("postgres_url")
    clock = AdjustableClock()
    settings = Settings(database_url=url, data_dir=folder)
    with running_server(settings, clock) as base_url:
        yield ApiServer(base_url, url, clock)


@pytest.fixture
def server(api_server: ApiServer) -> ApiServer:
    api_server.empty()
    return api_server


@pytest.fixture
def api(server: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client
