"""`carehub search reindex` and `carehub demo` as real processes: the index emptied and put
again from the patient records (a stale entry forgotten, a missing one added), and the
demo's patients found by search as soon as it ends."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from carehub.adapters.sql.sqlite import SqliteDatabase, sqlite_path
from carehub.bootstrap import units_of_work
from carehub.kernel.clock import SystemClock
from carehub.patients.model import Patient
from carehub.patients.ports import PatientFilter
from carehub.patients.search import SearchDocument, document_of
from tests.contract.patient_records import person
from tests.support.services import fixed_secret_box, fresh_sqlite

CAREHUB = str(Path(sys.executable).with_name("carehub"))
PEOPLE = [person("Killa Mamani Quispe"), person("Inti Condori"), person("Sisa Apaza")]


async def unindexed_patients_and_a_stale_entry(url: str) -> None:
    db = SqliteDatabase(sqlite_path(url))
    try:
        async with units_of_work(db, SystemClock(), secrets=fixed_secret_box())() as uow:
            for patient in PEOPLE:
                await uow.patients.add(patient)
            stale = SearchDocument(PEOPLE[0].id, "PE", True, ("huallpa",), ())
            await uow.search_index.put([stale])
            await uow.commit()
    finally:
        await db.close()


async def ranked(url: str, word: str, country_id: str | None = None) -> list[tuple[str, int]]:
    db = SqliteDatabase(sqlite_path(url))
    try:
        async with units_of_work(db, SystemClock(), secrets=fixed_secret_box())() as uow:
            return await uow.search_index.ranked(
                [{word: 3}], country_id=country_id, care_of=None, limit=50
            )
    finally:
        await db.close()


def carehub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CAREHUB, *args], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def test_reindex_puts_every_patient_again(sqlite_template: Path, tmp_path: Path) -> None:
    url = fresh_sqlite(sqlite_template, tmp_path)
    env = {"CAREHUB_DATABASE_URL": url, "CAREHUB_DATA_DIR": str(tmp_path)}
    asyncio.run(unindexed_patients_and_a_stale_entry(url))
    assert asyncio.run(ranked(url, "condori")) == []

    done = carehub(env, "search", "reindex")
    assert done.returncode == 0, done.stderr
    assert "indexed 3 patients" in done.stderr
    assert "indexed" in done.stderr.splitlines()[0]  # the progress bar's label
    assert asyncio.run(ranked(url, "condori")) == [(PEOPLE[1].id, 3)]
    assert asyncio.run(ranked(url, "quispe")) == [(PEOPLE[0].id, 3)]
    assert asyncio.run(ranked(url, "huallpa")) == []
    assert document_of(PEOPLE[2]).words == ("sisa", "apaza")


def test_the_demo_indexes_what_it_creates(sqlite_template: Path, tmp_path: Path) -> None:
    url = fresh_sqlite(sqlite_template, tmp_path)
    env = {"CAREHUB_DATABASE_URL": url, "CAREHUB_DATA_DIR": str(tmp_path)}
    done = carehub(env, "demo", "--patients", "30", "--seed", "3")
    assert done.returncode == 0, done.stderr
    assert "indexed" in done.stderr
    created = asyncio.run(every_patient(url))
    assert len(created) == 30
    for patient in created:
        assert asyncio.run(ranked(url, f"mrn:{patient.mrn}", patient.country_id)) == [
            (patient.id, 3)
        ]


async def every_patient(url: str) -> list[Patient]:
    db = SqliteDatabase(sqlite_path(url))
    try:
        async with units_of_work(db, SystemClock(), secrets=fixed_secret_box())() as uow:
            page = await uow.patients.search(PatientFilter(), cursor=None, limit=100)
            return page.items
    finally:
        await db.close()
