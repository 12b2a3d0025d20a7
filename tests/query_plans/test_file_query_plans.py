"""Every query of the files and stamps repositories is served by an index, on SQLite and on
PostgreSQL: a few thousand files of many patients are loaded, and each statement (as the
adapter compiled it, with the adapter's parameters) is explained. PostgreSQL plans are
taken after VACUUM ANALYZE, as in test_patient_query_plans.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from carehub.adapters.sql import files, stamps
from carehub.adapters.sql.database import Statement
from carehub.adapters.sql.postgres import PostgresDatabase
from carehub.adapters.sql.sqlite import SqliteDatabase
from carehub.documents.model import Category, FileStatus, Kind, Stamp
from tests.query_plans.conftest import nodes
from tests.support.file_records import MINUTE, NOW, a_file, a_preop_image, open_units

PATIENTS = 2_000
PATIENT = "p-7"
FILE_IDS = [a_file(7 * 10 + n).id for n in range(3)]


def statuses(n: int) -> FileStatus:
    # Pending uploads are few at any time; most files are ready.
    return FileStatus.PENDING if n % 37 == 0 else FileStatus.READY


async def load(url: str, folder: Path) -> None:
    async with open_units(url, folder) as new_uow, new_uow() as uow:
        rows = []
        for p in range(PATIENTS):
            for n in range(8):
                number = p * 10 + n
                made = (
                    a_preop_image(number, slot=n + 1, patient=f"p-{p}")
                    if n < 3
                    else a_file(number, patient=f"p-{p}", status=statuses(number))
                )
                rows.append(
                    files.file_row(replace(made, document_id=f"doc-{p}-{n % 4}", version=n))
                )
        await uow._live_session().execute_many(files._INSERT, rows)
        marks = [
            stamps.stamp_row(Stamp(f"s-{i}", row["id"], "dr-1", NOW + i * MINUTE, None))
            for i, row in enumerate(rows[3::8])
        ]
        await uow._live_session().execute_many(stamps._INSERT, marks)
        keys = [
            {"patient_id": f"p-{p}", "storage_key": f"{p:032x}", "created_at": NOW}
            for p in range(PATIENTS)
        ]
        await uow._live_session().execute_many(files._INSERT_KEY_UNLESS_PRESENT, keys)
        await uow.commit()


# statement, parameters, the indexes that may serve it
QUERIES: dict[str, tuple[Statement, dict[str, Any], tuple[str, ...]]] = {
    "ready": (
        files._READY_PAGE,
        {
            "patient_id": PATIENT,
            "after": "",
            "kind": None,
            "category": None,
            "item_id": None,
            "limit": 51,
        },
        ("ix_patient_files_patient_id_status_id",),
    ),
    "ready, filtered, next page": (
        files._READY_PAGE,
        {
            "patient_id": PATIENT,
            "after": FILE_IDS[0],
            "kind": Kind.DOC.value,
            "category": Category.LAB.value,
            "item_id": None,
            "limit": 51,
        },
        ("ix_patient_files_patient_id_status_id",),
    ),
    "ready, of one item": (
        files._READY_PAGE,
        {
            "patient_id": PATIENT,
            "after": "",
            "kind": Kind.NOTE.value,
            "category": None,
            "item_id": "note-7",
            "limit": 51,
        },
        ("ix_patient_files_patient_id_status_id", "ix_patient_files_item_id"),
    ),
    "attached": (
        files._ATTACHED,
        {"patient_id": PATIENT},
        ("ix_patient_files_patient_id_status_id",),
    ),
    "versions": (
        files._VERSIONS,
        {"document_id": "doc-7-1"},
        ("uq_patient_files_document_id_version", "sqlite_autoindex_patient_files_2"),
    ),
    "preop holders": (
        files._PREOP_HOLDERS,
        {"patient_id": PATIENT},
        ("uq_patient_files_preop_slot", "ix_patient_files_patient_id_status_id"),
    ),
    "expired pending": (
        files._EXPIRED_PENDING,
        {"now": NOW + 20 * MINUTE, "limit": 100},
        ("ix_patient_files_status_upload_expires_at_id",),
    ),
    "storage key": (
        files._GET_KEY,
        {"patient_id": PATIENT},
        ("pk_patient_storage_keys", "sqlite_autoindex_patient_storage_keys_1"),
    ),
    "active stamp": (
        stamps._ACTIVE,
        {"file_id": FILE_IDS[0]},
        ("uq_document_stamps_active", "ix_document_stamps_file_id_stamped_at"),
    ),
}
TABLES = ("patient_files", "document_stamps", "patient_storage_keys")


def history(dialect: str) -> tuple[Statement, dict[str, Any], tuple[str, ...]]:
    indexes = ("ix_document_stamps_file_id_stamped_at",)
    if dialect == "sqlite":
        return stamps._HISTORY_SQLITE, {"file_ids": orjson.dumps(FILE_IDS).decode()}, indexes
    return stamps._HISTORY_POSTGRES, {"file_ids": FILE_IDS}, indexes


# --- SQLite --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*QUERIES, "history"])
def test_sqlite_serves_each_query_from_an_index(sqlite_conn: sqlite3.Connection, name: str) -> None:
    statement, params, indexes = history("sqlite") if name == "history" else QUERIES[name]
    compiled = statement.compiled(SqliteDatabase.dialect)
    query = f"EXPLAIN QUERY PLAN {compiled.sql}"
    plan = [row[3] for row in sqlite_conn.execute(query, compiled.bind(params))]
    assert any(f"INDEX {index} (" in step for step in plan for index in indexes), plan
    assert not [s for s in plan if s.startswith(tuple(f"SCAN {t}" for t in TABLES))], plan


# --- PostgreSQL ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("name", [*QUERIES, "history"])
async def test_postgres_serves_each_query_from_an_index(postgres_conn: Any, name: str) -> None:
    statement, params, indexes = history("postgresql") if name == "history" else QUERIES[name]
    compiled = statement.compiled(PostgresDatabase.dialect)
    merged = compiled.bind(params)
    found = await postgres_conn.fetchval(
        f"EXPLAIN (FORMAT JSON) {compiled.sql}", *[merged[n] for n in compiled.names]
    )
    steps = list(nodes(json.loads(found)[0]["Plan"]))
    assert any(s.get("Index Name") in indexes for s in steps), steps
    assert not [s for s in steps if s["Node Type"] == "Seq Scan"], steps
