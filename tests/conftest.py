"""Shared fixtures: real databases (SQLite files, a PostgreSQL database per session) and
a moto server standing in for AWS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from carehub.config import ENV_FILE_VARIABLE
from tests.support.moto import moto_endpoint
from tests.support.services import (
    TEST_SECRET_KEY,
    empty_postgres,
    fresh_postgres_database,
    fresh_sqlite,
    migrated_sqlite_template,
)

__all__ = ["moto_endpoint"]  # a session fixture, defined with the other AWS test helpers

# A developer's `.env` must not change what the tests see: set before any test module is
# imported (some build Settings at import) and inherited by the processes tests start.
os.environ[ENV_FILE_VARIABLE] = os.devnull

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", autouse=True)
def one_secret_key() -> Iterator[None]:
    """Every carehub the tests start seals secrets with one key, as the processes of one
    deployment do (tests of the key file itself set `secret_key=None`)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CAREHUB_SECRET_KEY", TEST_SECRET_KEY)
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def api_postgres_url() -> Iterator[str]:
    """A database of its own for the long-running API server: its outbox relay and
    consumers must not pick up the events of tests that share `postgres_url`."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """An empty, migrated database on each SQL backend."""
    if request.param == "sqlite":
        return fresh_sqlite(sqlite_template, tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url
