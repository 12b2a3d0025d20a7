"""A doctor is found by license through its index, without a sort, on SQLite."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from carehub.adapters.sql.doctors import _BY_LICENSE
from carehub.adapters.sql.sqlite import _SQLITE_DIALECT


def test_sqlite_finds_a_doctor_by_license_by_index_without_sorting(sqlite_template: Path) -> None:
    # an import looks every practitioner up by its NPI before it adds one
    compiled = _BY_LICENSE.compiled(_SQLITE_DIALECT)
    with closing(sqlite3.connect(sqlite_template)) as connection:
        plan = connection.execute(
            f"EXPLAIN QUERY PLAN {compiled.sql}", compiled.bind({"license": "9999984591"})
        ).fetchall()
    details = " / ".join(row[-1] for row in plan)
    assert "USING INDEX ix_doctors_license_id" in details
    assert "TEMP B-TREE" not in details
