"""Every timeline query is one indexed query, on SQLite and on PostgreSQL: thousands of
entries of many patients (one with 5,000) and their journal are loaded, and each statement
(as the adapter compiles it, with the adapter's parameters) is explained. The first page
reads the patient's index range in the index's own order: no sort step, no table scan."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from carehub.adapters.sql import timeline
from carehub.adapters.sql.database import Statement, as_utc
from carehub.adapters.sql.postgres import PostgresDatabase
from carehub.adapters.sql.sqlite import SqliteDatabase
from carehub.kernel.events import EventMessage
from carehub.timeline.model import EntryType, TimelineEntry
from tests.query_plans.conftest import nodes
from tests.support.file_records import open_units

PATIENTS = 400
PER_PATIENT = 20
BUSY = "p-busy"  # the patient with a long timeline
T0 = datetime(2031, 3, 10, 9, tzinfo=UTC)
TYPES = list(EntryType)


def an_entry(patient: str, n: int) -> TimelineEntry:
    return TimelineEntry(
        patient_id=patient,
        event_id=f"ev-{patient}-{n:05d}",
        occurred_at=T0 + timedelta(minutes=n),
        entry_type=TYPES[n % len(TYPES)],
        action="changed",
        item_id=f"it-{n}",
        actor_id="user-1",
        summary="Note amended",
        status="current",
        version=n,
    )


def journal_row(entry: TimelineEntry) -> dict[str, Any]:
    message = EventMessage(
        entry.event_id, "clinical.note_amended.v1", entry.item_id, entry.occurred_at, "u", {}
    )
    return {
        "event_id": entry.event_id,
        "patient_id": entry.patient_id,
        "occurred_at": as_utc(entry.occurred_at),
        "message": orjson.dumps(message.to_json()).decode(),
    }


async def load(url: str, folder: Path) -> None:
    entries = [an_entry(f"p-{p}", n) for p in range(PATIENTS) for n in range(PER_PATIENT)]
    entries += [an_entry(BUSY, n) for n in range(5000)]
    async with open_units(url, folder) as new_uow, new_uow() as uow:
        session = uow._live_session()
        await session.execute_many(timeline._ADD, [timeline.entry_row(e) for e in entries])
        await session.execute_many(timeline._JOURNAL, [journal_row(e) for e in entries])
        await uow.commit()


CURSOR = {"b_at": as_utc(T0 + timedelta(minutes=4000)), "b_id": f"ev-{BUSY}-04000"}
TYPED = {name: TYPES[n % 2].value for n, name in enumerate(timeline._TYPE_PARAMS)}
START, END = as_utc(T0 + timedelta(minutes=100)), as_utc(T0 + timedelta(minutes=4500))
ENTRY_INDEX = ("ix_timeline_entries_patient_id_occurred_at_event_id",)

# statement, parameters, the indexes that may serve it, whether its order is the index's
QUERIES: dict[str, tuple[Statement, dict[str, Any], tuple[str, ...]]] = {
    "first page": (
        timeline._page_statement(False, False, False, False),
        {"patient_id": BUSY, "limit": 21},
        ENTRY_INDEX,
    ),
    "next page": (
        timeline._page_statement(False, False, False, True),
        {"patient_id": BUSY, "limit": 21, **CURSOR},
        ENTRY_INDEX,
    ),
    "typed, ranged, next page": (
        timeline._page_statement(True, True, True, True),
        {"patient_id": BUSY, "limit": 21, "start": START, "end": END, **CURSOR, **TYPED},
        ENTRY_INDEX,
    ),
    "typed first page": (
        timeline._page_statement(True, False, False, False),
        {"patient_id": BUSY, "limit": 21, **TYPED},
        ENTRY_INDEX,
    ),
    "a patient's journal": (
        timeline._journal_statement(True, True),
        {"patient_id": BUSY, "limit": 51, "a_at": CURSOR["b_at"], "a_id": CURSOR["b_id"]},
        ("ix_timeline_journal_patient_id_occurred_at",),
    ),
    "everyone's journal": (
        timeline._journal_statement(False, True),
        {"limit": 51, "a_at": CURSOR["b_at"], "a_id": CURSOR["b_id"]},
        ("ix_timeline_journal_occurred_at_event_id",),
    ),
}
TABLES = ("timeline_entries", "timeline_journal")


# --- SQLite --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(QUERIES))
def test_sqlite_serves_each_query_from_an_index(sqlite_conn: sqlite3.Connection, name: str) -> None:
    statement, params, indexes = QUERIES[name]
    compiled = statement.compiled(SqliteDatabase.dialect)
    query = f"EXPLAIN QUERY PLAN {compiled.sql}"
    plan = [row[3] for row in sqlite_conn.execute(query, compiled.bind(params))]
    assert any(f"INDEX {index} (" in step for step in plan for index in indexes), plan
    assert not [s for s in plan if s.startswith(tuple(f"SCAN {t}" for t in TABLES))], plan
    assert not [s for s in plan if "TEMP B-TREE" in s], plan  # read in the index's order


def test_sqlite_reads_only_the_first_page_of_a_long_timeline(
    sqlite_conn: sqlite3.Connection,
) -> None:
    """The first page's rows are the index's first ones: the query stops after them."""
    statement, params, _ = QUERIES["first page"]
    compiled = statement.compiled(SqliteDatabase.dialect)
    sqlite_conn.execute("PRAGMA query_only = 1")
    rows = sqlite_conn.execute(compiled.sql, compiled.bind(params)).fetchall()
    assert [row[1] for row in rows] == [f"ev-{BUSY}-{n:05d}" for n in range(4999, 4978, -1)]


# --- PostgreSQL ----------------------------------------------------------------------------


async def plan_of(postgres_conn: Any, name: str, analyze: bool = False) -> dict[str, Any]:
    statement, params, _ = QUERIES[name]
    compiled = statement.compiled(PostgresDatabase.dialect)
    merged = compiled.bind(params)
    how = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
    found = await postgres_conn.fetchval(
        f"EXPLAIN ({how}) {compiled.sql}", *[merged[n] for n in compiled.names]
    )
    plan: dict[str, Any] = json.loads(found)[0]["Plan"]
    return plan


@pytest.mark.postgres
@pytest.mark.parametrize("name", list(QUERIES))
async def test_postgres_serves_each_query_from_an_index(postgres_conn: Any, name: str) -> None:
    indexes = QUERIES[name][2]
    steps = list(nodes(await plan_of(postgres_conn, name)))
    assert any(s.get("Index Name") in indexes for s in steps), steps
    assert not [s for s in steps if s["Node Type"] in ("Seq Scan", "Sort")], steps


@pytest.mark.postgres
async def test_postgres_reads_only_the_first_page_of_a_long_timeline(postgres_conn: Any) -> None:
    steps = list(nodes(await plan_of(postgres_conn, "first page", analyze=True)))
    scans = [s for s in steps if s.get("Index Name") in ENTRY_INDEX]
    assert scans and all(s["Actual Rows"] <= 21 for s in scans), scans
