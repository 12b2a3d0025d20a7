"""A doctor's busy time is read by index, without a sort, on SQLite."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from carehub.adapters.sql.slot_claims import _DOCTOR_BUSY
from carehub.adapters.sql.sqlite import _SQLITE_DIALECT

NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
DAY = (datetime(2031, 3, 10, tzinfo=UTC), datetime(2031, 3, 11, tzinfo=UTC))


def test_sqlite_reads_a_doctors_busy_time_by_index_without_sorting(sqlite_template: Path) -> None:
    # availability reads a month of claims per request; a sort of them cost as much again
    compiled = _DOCTOR_BUSY.compiled(_SQLITE_DIALECT)
    params = {"doctor_id": "doc-1", "start": DAY[0], "end": DAY[1], "now": NOW}
    with closing(sqlite3.connect(sqlite_template)) as connection:
        plan = connection.execute(
            f"EXPLAIN QUERY PLAN {compiled.sql}", compiled.bind(params)
        ).fetchall()
    details = " / ".join(row[-1] for row in plan)
    assert "USING INDEX ix_slot_claims_doctor_id_starts_at" in details
    assert "TEMP B-TREE" not in details
