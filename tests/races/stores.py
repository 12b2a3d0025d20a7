"""The database a race runs on, by the name its parameter gives: a fresh SQLite file, the
session's PostgreSQL database emptied, or a new table on the session's moto server."""

from __future__ import annotations

from pathlib import Path

import pytest

from carehub.config import Settings
from tests.support.dynamodb import new_table
from tests.support.services import empty_postgres, fresh_sqlite

STORES = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("dynamodb", marks=pytest.mark.aws),
]


def race_settings(
    request: pytest.FixtureRequest,
    store: str,
    sqlite_template: Path,
    folder: Path,
    *,
    pool_size: int,
) -> Settings:
    endpoint: str | None = None
    if store == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        empty_postgres(url)
    elif store == "dynamodb":
        endpoint = request.getfixturevalue("moto_endpoint")
        monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        url = new_table(endpoint)
    else:
        url = fresh_sqlite(sqlite_template, folder)
    return Settings(
        database_url=url, data_dir=folder, database_pool_size=pool_size, aws_endpoint_url=endpoint
    )
