"""Every read of the kept versions of patient records is served by the table's primary key,
on SQLite and on PostgreSQL: a few thousand records with several versions each are
loaded, and each statement, as the adapter compiled it with the adapter's parameters, is
explained. A record's history comes in key order read backwards, never sorted."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from carehub.adapters.sql import patient_versions
from carehub.adapters.sql.database import Statement
from carehub.adapters.sql.postgres import PostgresDatabase
from carehub.adapters.sql.sqlite import SqliteDatabase
from carehub.patients.model import HumanName, Patient, PatientDetails
from tests.query_plans.conftest import nodes
from tests.support.file_records import open_units

PATIENTS = 2_000
VERSIONS = 6
PATIENT = "p-0007"
NOW = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)


def versions_of(p: int) -> list[Patient]:
    first = Patient(
        id=f"p-{p:04d}",
        mrn=f"{p:08d}",
        country_id="PE",
        details=PatientDetails(name=HumanName.from_text(f"Person {p}")),
        created_at=NOW,
        updated_at=NOW,
    )
    return [
        replace(first, version=n, updated_at=NOW + timedelta(hours=n))
        for n in range(1, VERSIONS + 1)
    ]


async def load(url: str, folder: Path) -> None:
    async with open_units(url, folder) as new_uow, new_uow() as uow:
        await uow.patient_versions.add_many([v for p in range(PATIENTS) for v in versions_of(p)])
        await uow.commit()


_BY_KEY = ("pk_patient_versions", "sqlite_autoindex_patient_versions_1")


class Query(NamedTuple):
    statement: Statement
    params: dict[str, Any]


QUERIES: dict[str, Query] = {
    "get": Query(patient_versions._GET, {"patient_id": PATIENT, "version": 3}),
    "history": Query(
        patient_versions.history_statement(False), {"patient_id": PATIENT, "limit": 51}
    ),
    "history, next page": Query(
        patient_versions.history_statement(True),
        {"patient_id": PATIENT, "below": 4, "limit": 51},
    ),
}


@pytest.mark.parametrize("name", QUERIES)
def test_sqlite_serves_each_read_from_the_key(sqlite_conn: sqlite3.Connection, name: str) -> None:
    query = QUERIES[name]
    compiled = query.statement.compiled(SqliteDatabase.dialect)
    explain = f"EXPLAIN QUERY PLAN {compiled.sql}"
    plan = [row[3] for row in sqlite_conn.execute(explain, compiled.bind(query.params))]
    reads = [step for step in plan if "patient_versions" in step]
    assert reads, plan
    assert all(any(f"INDEX {index} (" in s for index in _BY_KEY) for s in reads), plan
    assert not [step for step in plan if "TEMP B-TREE" in step], plan


@pytest.mark.postgres
@pytest.mark.parametrize("name", QUERIES)
async def test_postgres_serves_each_read_from_the_key(postgres_conn: Any, name: str) -> None:
    query = QUERIES[name]
    compiled = query.statement.compiled(PostgresDatabase.dialect)
    merged = compiled.bind(query.params)
    found = await postgres_conn.fetchval(
        f"EXPLAIN (FORMAT JSON) {compiled.sql}", *[merged[n] for n in compiled.names]
    )
    steps = list(nodes(json.loads(found)[0]["Plan"]))
    assert not [s for s in steps if s["Node Type"] == "Seq Scan"], steps
    used = {s["Index Name"] for s in steps if "Index Name" in s}
    assert used and used <= set(_BY_KEY), steps
    assert not [s for s in steps if "Sort" in s["Node Type"]], steps
