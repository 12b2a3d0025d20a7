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

IMPORTER = Actor.system("fhir-import")
ADMIN = Actor.system("test-reader")


@pytest.fixture(name="carehub")
async def built_carehub(database_url: str, tmp_path: Path) -> AsyncIterator[Carehub]:
    """carehub on an empty, migrated database of each SQL store (a test module takes it by
    importing `built_carehub`)."""
    built = await build(Settings(database_url=database_url, data_dir=tmp_path))
    try:
        yield built
    finally:
        await built.close()


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
