"""carehub built on a fresh database of each SQL store, as the CLI builds it, for the
import tests; and the helpers they share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from carehub.bootstrap import Carehub, build
from carehub.config import Settings
from carehub.fhir.import_report import EntryOutcome, ImportReport
from carehub.kernel.actor import Actor
from carehub.patients.model import Patient
from carehub.patients.ports import PatientFilter
from tests.support.dynamodb import new_table
from tests.support.services import empty_postgres, fresh_sqlite

IMPORTER = Actor.system("fhir-import")
ADMIN = Actor.system("test-reader")


STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
WITH_DYNAMODB = [*STORES, pytest.param("dynamodb", marks=pytest.mark.aws)]


@pytest.fixture(params=STORES, name="store")
def each_store(request: pytest.FixtureRequest) -> str:
    """Each SQL store; a test names its own with `@pytest.mark.parametrize("store", ...)`."""
    name: str = request.param
    return name


@pytest.fixture(name="carehub")
async def built_carehub(
    store: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Carehub]:
    """carehub on an empty, migrated database of the test's store (a test module takes it
    by importing `built_carehub` and `each_store`)."""
    endpoint = None
    if store == "dynamodb":
        endpoint = request.getfixturevalue("moto_endpoint")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        url = new_table(endpoint)
    else:
        url = fresh_database(request, store, tmp_path)
    settings = Settings(database_url=url, data_dir=tmp_path, aws_endpoint_url=endpoint)
    built = await build(settings)
    try:
        yield built
    finally:
        await built.close()


def fresh_database(request: pytest.FixtureRequest, store: str, folder: Path) -> str:
    if store == "sqlite":
        return fresh_sqlite(request.getfixturevalue("sqlite_template"), folder)
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


def bundle_of(path: Path) -> dict[str, Any]:
    found: dict[str, Any] = orjson.loads(path.read_bytes())
    return found


async def every_patient(carehub: Carehub) -> list[Patient]:
    found: list[Patient] = []
    cursor: str | None = None
    while True:
        page = await carehub.patients.search(
            actor=ADMIN, criteria=PatientFilter(include_inactive=True), cursor=cursor, limit=200
        )
        found += page.items
        cursor = page.next_cursor
        if cursor is None:
            return found


def by_status(report: ImportReport) -> dict[str, list[EntryOutcome]]:
    found: dict[str, list[EntryOutcome]] = {}
    for outcome in report.entries:
        found.setdefault(outcome.status.value, []).append(outcome)
    return found
