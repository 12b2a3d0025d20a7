"""Every read of the clinical record's SQL adapter is one indexed query, on SQLite and on
PostgreSQL: the items of a few thousand patients (tasks given to a few dozen users) and
their revisions are loaded, and each statement, as the adapter compiled it with the
adapter's parameters, is explained.

A patient's items come in index order, never sorted. A user's tasks are two ranges of one
index, each cut at the page's size: SQLite reads them in index order and sorts only the
rows the ranges gave; PostgreSQL may also sort a range it read as a bitmap, when its
statistics say the user has few tasks.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from carehub.adapters.sql import clinical, clinical_tasks
from carehub.adapters.sql.database import Statement
from carehub.adapters.sql.postgres import PostgresDatabase
from carehub.adapters.sql.sqlite import SqliteDatabase
from carehub.clinical.model import RecordItem
from tests.query_plans.conftest import nodes
from tests.support.clinical_records import (
    HOUR,
    NOW,
    a_checklist,
    a_medication,
    a_note,
    a_task,
    item_id,
    written,
)
from tests.support.file_records import open_units

PATIENTS = 2_000
USERS = 40
PATIENT = "p-7"
NURSE = "nurse-7"


def items_of(p: int) -> list[tuple[str, RecordItem]]:
    """Patient p's items: 4 notes (one entered in error), 2 medications, 3 tasks (one
    undated, one unassigned) and a checklist."""
    n = p * 10
    patient = f"p-{p}"
    nurse = f"nurse-{p % USERS}"
    notes: list[RecordItem] = [a_note(n + k, patient=patient) for k in range(4)]
    return [
        *(("note", note) for note in notes),
        ("med", a_medication(n + 4, patient=patient)),
        ("med", a_medication(n + 5, patient=patient, code=None)),
        ("task", a_task(n + 6, patient=patient, assignee_id=nurse, due_at=NOW + p * HOUR)),
        ("task", a_task(n + 7, patient=patient, assignee_id=nurse, due_at=None)),
        ("task", a_task(n + 8, patient=patient, assignee_id=None)),
        ("checklist", a_checklist(n + 9, patient=patient)),
    ]


async def load(url: str, folder: Path) -> None:
    async with open_units(url, folder) as new_uow, new_uow() as uow:
        rows = [
            clinical.item_row(kind, item) for p in range(PATIENTS) for kind, item in items_of(p)
        ]
        revisions = [
            clinical.revision_row(written(item)) for p in range(PATIENTS) for _, item in items_of(p)
        ]
        session = uow._live_session()
        await session.execute_many(clinical._INSERT_ITEM, rows)
        await session.execute_many(clinical._INSERT_REVISION, revisions)
        await uow.commit()


_BY_PATIENT = ("ix_clinical_items_patient_id_kind_id",)
_BY_ASSIGNEE = ("ix_clinical_items_assignee_id_due_at_id",)
_BY_ID = ("pk_clinical_items", "sqlite_autoindex_clinical_items_1")
_REVISIONS = ("pk_clinical_revisions", "sqlite_autoindex_clinical_revisions_1")
_OPEN = {"status_0": "in_progress", "status_1": "open"}


class Query(NamedTuple):
    statement: Statement
    params: dict[str, Any]
    indexes: tuple[str, ...]  # those that may serve it
    sqlite_sorts: int = 0
    postgres_may_sort: bool = False


_TWO_RANGES = {"sqlite_sorts": 1, "postgres_may_sort": True}
_ONE_RANGE = {"sqlite_sorts": 0, "postgres_may_sort": True}

QUERIES: dict[str, Query] = {
    "for patient": Query(
        clinical._for_patient(None, False),
        {"patient_id": PATIENT, "kind": "note", "limit": 51},
        _BY_PATIENT,
    ),
    "for patient, by status, next page": Query(
        clinical._for_patient(1, True),
        {
            "patient_id": PATIENT,
            "kind": "note",
            "before": item_id(73),
            "status_0": "current",
            "limit": 51,
        },
        _BY_PATIENT,
    ),
    "get": Query(clinical._GET, {"id": item_id(73), "kind": "note"}, _BY_ID),
    "history": Query(clinical._HISTORY, {"id": item_id(73), "kind": "note"}, _BY_ID + _REVISIONS),
    "attachable": Query(clinical._KIND_AND_PATIENT, {"id": item_id(73)}, _BY_ID),
    "assigned to": Query(
        clinical_tasks._assigned_to(0, "all", True, False),
        {"assignee_id": NURSE, "after_undated": "", "limit": 51},
        _BY_ASSIGNEE,
        **_TWO_RANGES,
    ),
    "assigned to, open, next page": Query(
        clinical_tasks._assigned_to(2, "after", True, False),
        {
            "assignee_id": NURSE,
            "after_due": NOW + 500 * HOUR,
            "after_id": item_id(5006),
            "after_undated": "",
            "limit": 51,
            **_OPEN,
        },
        _BY_ASSIGNEE,
        **_TWO_RANGES,
    ),
    "assigned to, undated, next page": Query(
        clinical_tasks._assigned_to(0, None, True, False),
        {"assignee_id": NURSE, "after_undated": item_id(5007), "limit": 51},
        _BY_ASSIGNEE,
        **_ONE_RANGE,
    ),
    "assigned to, open, due before": Query(
        clinical_tasks._assigned_to(2, "all", False, True),
        {"assignee_id": NURSE, "due_before": NOW + 900 * HOUR, "limit": 51, **_OPEN},
        _BY_ASSIGNEE,
        **_ONE_RANGE,
    ),
}


# --- SQLite --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", QUERIES)
def test_sqlite_serves_each_read_from_an_index(sqlite_conn: sqlite3.Connection, name: str) -> None:
    query = QUERIES[name]
    compiled = query.statement.compiled(SqliteDatabase.dialect)
    explain = f"EXPLAIN QUERY PLAN {compiled.sql}"
    plan = [row[3] for row in sqlite_conn.execute(explain, compiled.bind(query.params))]
    reads = [step for step in plan if "clinical_" in step]
    assert reads, plan
    assert all(any(f"INDEX {index} (" in s for index in query.indexes) for s in reads), plan
    # Rows come in index order; the two ranges of a user's tasks are merged by one sort.
    sorts = [step for step in plan if "TEMP B-TREE" in step]
    assert len(sorts) == query.sqlite_sorts, plan


# --- PostgreSQL ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("name", QUERIES)
async def test_postgres_serves_each_read_from_an_index(postgres_conn: Any, name: str) -> None:
    query = QUERIES[name]
    compiled = query.statement.compiled(PostgresDatabase.dialect)
    merged = compiled.bind(query.params)
    found = await postgres_conn.fetchval(
        f"EXPLAIN (FORMAT JSON) {compiled.sql}", *[merged[n] for n in compiled.names]
    )
    steps = list(nodes(json.loads(found)[0]["Plan"]))
    assert not [s for s in steps if s["Node Type"] == "Seq Scan"], steps
    used = {s["Index Name"] for s in steps if "Index Name" in s}
    assert used and used <= set(query.indexes), steps
    if not query.postgres_may_sort:
        assert not [s for s in steps if "Sort" in s["Node Type"]], steps
