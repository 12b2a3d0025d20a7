"""Every list filter is served by an index, on SQLite and on PostgreSQL.

A few thousand synthetic patients plus a handful of "needles" with rare values are loaded;
each filter's real search statement (the adapter's cached `_search_statement`, compiled for
the dialect, with the adapter's own bind parameters) is explained, and the plan must reach
the matching rows through an index, never by scanning every patient.

PostgreSQL plans are taken with the default planner settings after VACUUM ANALYZE, which is
what autovacuum leaves behind after a bulk load. ANALYZE alone is not enough: right after
`register_many` the trigram GIN index still holds every new entry in its pending list
(`fastupdate`), the planner rightly prices it above a sequential scan, and the address
filter reads the whole table until (auto)vacuum has run. docs/query-plans.md shows the
plans and that case.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from carehub.adapters.sql.audit import AuditWriter
from carehub.adapters.sql.database import Statement
from carehub.adapters.sql.patient_search import (
    _DISTINCT_TOKENS,
    _first_ids_statement,
    filter_params,
    search_statement,
    shape,
)
from carehub.adapters.sql.postgres import PostgresDatabase
from carehub.adapters.sql.sqlite import SqliteDatabase
from carehub.adapters.sql.unit_of_work import SqlUnitOfWork
from carehub.bootstrap import connect
from carehub.config import Settings
from carehub.entrypoints.cli.demo_data import demo_drafts
from carehub.kernel.actor import Actor
from carehub.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT
from carehub.patients.model import Address, CodedEntry, HumanName, Identifier, PatientDetails
from carehub.patients.ports import PatientFilter
from carehub.patients.service import PatientDraft, PatientService
from tests.query_plans.conftest import nodes
from tests.support.clock import AdjustableClock
from tests.support.countries import add_shipped_countries
from tests.support.memory_world import country_record
from tests.support.services import fixed_secret_box

ROWS = 3_000
AFTER = "00000000-0000-7000-8000-000000000000"  # any id: only the plan's shape matters

# Each filter with a value few patients have, so an index is the right plan on any backend.
FILTERS = {
    "countryId": PatientFilter(country_id="ZZ"),
    "city": PatientFilter(city="needleton"),
    "address": PatientFilter(address_contains="aguja"),
    "condition": PatientFilter(condition_prefix="zyxo"),
    "name": PatientFilter(name_prefixes=("xyzz",)),
    "name, two words": PatientFilter(name_prefixes=("xyzz", "plugh")),
    "birthDate": PatientFilter(birth_date=date(1901, 2, 3)),
    "identifier": PatientFilter(identifier=("urn:needle", "3")),
    "includeInactive": PatientFilter(country_id="ZZ", include_inactive=True),
    # Added by the access rules: a patient sees their own record, a doctor their patients.
    "own record": PatientFilter(patient_id="needle-3"),
    "care of": PatientFilter(care_of="dr-needle"),
}
PAGES = {"first page": False, "next page": True}


def needles() -> list[PatientDraft]:
    return [
        PatientDraft(
            country_id="ZZ",
            patient_id=f"needle-{i}",
            details=PatientDetails(
                name=HumanName.from_text(f"Xyzzy{i} Plughson"),
                birth_date=date(1901, 2, 3),
                address=Address(lines=(f"Calle Aguja {i}",), city="Needleton"),
                identifiers=(Identifier("urn:needle", str(i)),),
                conditions=(CodedEntry(code="N-1", display="Zyxomatosis"),),
            ),
        )
        for i in range(5)
    ]


async def load(url: str, folder: Path) -> None:
    clock = AdjustableClock()
    db = await connect(url, Settings(database_url=url, data_dir=folder))
    try:
        writer = AuditWriter(db)

        def unit() -> SqlUnitOfWork:
            return SqlUnitOfWork(db, clock, writer, secrets=fixed_secret_box())

        service = PatientService(unit, clock)
        await add_shipped_countries(unit, clock)
        async with unit() as uow:
            # The needles' country: an id no demo patient has (Antarctica's code).
            await uow.countries.add(replace(country_record("AQ", clock.now()), id="ZZ"))
            await uow.commit()
        drafts = [*demo_drafts(ROWS, seed=7, today=date(2024, 6, 1)), *needles()]
        await service.register_many(actor=Actor.system("test"), drafts=drafts)
        async with unit() as uow:
            for index, patient_id in enumerate(await every_id(uow)):
                doctor = "dr-needle" if patient_id.startswith("needle-") else f"dr-{index % 50}"
                await uow.patients.add_care_relationship(doctor, patient_id)
            await uow.commit()
    finally:
        await db.close()


async def every_id(uow: SqlUnitOfWork) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = await uow.patients.search(PatientFilter(), cursor=cursor, limit=MAX_LIMIT)
        ids.extend(p.id for p in page.items)
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


def statement(criteria: PatientFilter, next_page: bool, dialect: str) -> Statement:
    return search_statement(shape(criteria, next_page), dialect)


def bind(criteria: PatientFilter, next_page: bool, defaults: dict[str, Any]) -> dict[str, Any]:
    params = {**defaults, **filter_params(criteria), "limit": DEFAULT_LIMIT + 1}
    if next_page:
        params["after"] = AFTER
    return params


def cases(expected: dict[str, Any], xfail: dict[str, str] | None = None) -> list[Any]:
    """(filter name, next page?, expectation) for every filter on every page."""
    xfail = xfail or {}
    return [
        pytest.param(
            name,
            next_page,
            expected[name],
            id=f"{name}-{page}",
            marks=[pytest.mark.xfail(strict=True, reason=xfail[name])] if name in xfail else [],
        )
        for name in FILTERS
        for page, next_page in PAGES.items()
    ]


# --- SQLite --------------------------------------------------------------------------------


def sqlite_plan(conn: sqlite3.Connection, criteria: PatientFilter, next_page: bool) -> list[str]:
    compiled = statement(criteria, next_page, "sqlite").compiled(SqliteDatabase.dialect)
    rows = conn.execute(
        f"EXPLAIN QUERY PLAN {compiled.sql}", bind(criteria, next_page, compiled.defaults)
    )
    return [row[3] for row in rows]


def sqlite_index(table: str, index: str, condition: str) -> str:
    return rf"^SEARCH {table} USING (COVERING )?INDEX {index} \({re.escape(condition)}"


SQLITE_EXPECTED = {
    "countryId": [sqlite_index("patients", "ix_patients_country_id_id", "country_id=?")],
    "city": [sqlite_index("patients", "ix_patients_city_search_id", "city_search=?")],
    # FTS5 shows the MATCH it accepted as "M<column>" after the index number (the
    # table-named column, 1, is the whole row).
    "address": [r"^SCAN patient_address_fts VIRTUAL TABLE INDEX \d+:M\d+$"],
    "condition": [
        sqlite_index(
            "patient_condition_terms",
            "sqlite_autoindex_patient_condition_terms_1",
            "term>? AND term<?",
        )
    ],
    "name": [
        sqlite_index(
            "patient_name_tokens", "sqlite_autoindex_patient_name_tokens_1", "token>? AND token<?"
        )
    ],
    "birthDate": [sqlite_index("patients", "ix_patients_birth_date_id", "birth_date=?")],
    "identifier": [
        sqlite_index(
            "patient_identifiers",
            "sqlite_autoindex_patient_identifiers_1",
            "system=? AND value=?",
        )
    ],
    "includeInactive": [sqlite_index("patients", "ix_patients_country_id_id", "country_id=?")],
    "own record": [sqlite_index("patients", "sqlite_autoindex_patients_1", "id=?")],
    "care of": [
        sqlite_index(
            "care_relationships", "sqlite_autoindex_care_relationships_1", "practitioner_id=?"
        )
    ],
}
SQLITE_EXPECTED["name, two words"] = SQLITE_EXPECTED["name"] * 2


@pytest.mark.parametrize(("name", "next_page", "expected"), cases(SQLITE_EXPECTED))
def test_sqlite_serves_each_filter_from_an_index(
    sqlite_conn: sqlite3.Connection, name: str, next_page: bool, expected: list[str]
) -> None:
    plan = sqlite_plan(sqlite_conn, FILTERS[name], next_page)
    for pattern in set(expected):
        matches = [step for step in plan if re.search(pattern, step)]
        assert len(matches) == expected.count(pattern), plan
    full_scans = [s for s in plan if s.startswith("SCAN ") and not re.search(r"INDEX \d+:\S", s)]
    assert not full_scans, plan


@pytest.mark.parametrize("include_inactive", [False, True])
@pytest.mark.parametrize("next_page", [False, True])
def test_sqlite_lists_everyone_in_id_order_without_sorting(
    sqlite_conn: sqlite3.Connection, next_page: bool, include_inactive: bool
) -> None:
    plan = sqlite_plan(sqlite_conn, PatientFilter(include_inactive=include_inactive), next_page)
    assert len(plan) == 1, plan
    assert re.search(r"patients USING INDEX sqlite_autoindex_patients_1", plan[0]), plan


# A name prefix reads distinct tokens, then each token's first ids, then those patients.
NAME_STEPS = {
    "distinct tokens": (_DISTINCT_TOKENS, {"lo": "xyzz", "hi": "xyzz\U0010ffff"}),
    "first ids": (_first_ids_statement(4), {"after": "", "count": 51, "t0": "a", "t1": "b"}),
}


def candidates_statement(dialect: str) -> Statement:
    return search_statement(shape(FILTERS["name, two words"], False, candidates=True), dialect)


def test_sqlite_name_prefix_seeks_each_token(sqlite_conn: sqlite3.Connection) -> None:
    tokens = "USING COVERING INDEX sqlite_autoindex_patient_name_tokens_1"
    steps = {}
    for name, (stmt, params) in NAME_STEPS.items():
        compiled = stmt.compiled(SqliteDatabase.dialect)
        params = {**compiled.defaults, "t2": "c", "t3": "d", **params}
        steps[name] = [
            r[3] for r in sqlite_conn.execute(f"EXPLAIN QUERY PLAN {compiled.sql}", params)
        ]
    searches = [s for s in steps["distinct tokens"] if s.startswith("SEARCH")]
    assert len(searches) == 2 and all(f" {tokens} (token>? AND token<?)" in s for s in searches)
    seeks = [s for s in steps["first ids"] if f"{tokens} (token=? AND patient_id>?)" in s]
    assert len(seeks) == 4, steps["first ids"]
    compiled = candidates_statement("sqlite").compiled(SqliteDatabase.dialect)
    params = bind(FILTERS["name, two words"], False, compiled.defaults) | {"candidates": "[]"}
    plan = [r[3] for r in sqlite_conn.execute(f"EXPLAIN QUERY PLAN {compiled.sql}", params)]
    assert plan[0] == "SEARCH patients USING INDEX sqlite_autoindex_patients_1 (id=?)", plan
    probes = [s for s in plan if "patient_name_tokens USING" in s]
    assert len(probes) == 2 and all("(patient_id=?)" in s or "patient_id=?" in s for s in probes)
    assert not [s for s in plan if s.startswith("SCAN patient") or s.startswith("SCAN t")], plan


# --- PostgreSQL ----------------------------------------------------------------------------


async def postgres_plan(conn: Any, criteria: PatientFilter, next_page: bool) -> dict[str, Any]:
    compiled = statement(criteria, next_page, "postgresql").compiled(PostgresDatabase.dialect)
    params = bind(criteria, next_page, compiled.defaults)
    found = await conn.fetchval(
        f"EXPLAIN (FORMAT JSON) {compiled.sql}", *[params[n] for n in compiled.names]
    )
    plan: dict[str, Any] = json.loads(found)[0]["Plan"]
    return plan


def column(name: str) -> str:
    """A column as PostgreSQL prints it in a condition: `(name)::text`, or bare."""
    return rf"\(?{name}\)?(::text)?"


# Every pattern must show up in some index condition: the index, not a filter, finds the rows.
POSTGRES_EXPECTED = {
    "countryId": [rf"{column('country_id')} = 'ZZ'"],
    "city": [rf"{column('city_search')} = 'needleton'"],
    "address": [rf"{column('address_search')} ~~ '%aguja%'"],
    "condition": [rf"{column('term')} >= 'zyxo'.*{column('term')} < 'zyxo"],
    "name": [rf"{column('token')} >= 'xyzz'.*{column('token')} < 'xyzz"],
    "name, two words": [rf"{column('token')} >= 'xyzz'", rf"{column('token')} >= 'plugh'"],
    "birthDate": [r"birth_date = '1901-02-03'::date"],
    "identifier": [rf"{column('system')} = 'urn:needle'.*{column('value')} = '3'"],
    "includeInactive": [rf"{column('country_id')} = 'ZZ'"],
    "own record": [rf"{column('id')} = 'needle-3'"],
    "care of": [rf"{column('practitioner_id')} = 'dr-needle'"],
}


@pytest.mark.postgres
@pytest.mark.parametrize(("name", "next_page", "expected"), cases(POSTGRES_EXPECTED))
async def test_postgres_serves_each_filter_from_an_index(
    postgres_conn: Any, name: str, next_page: bool, expected: list[str]
) -> None:
    plan = await postgres_plan(postgres_conn, FILTERS[name], next_page)
    index_conditions = [n["Index Cond"] for n in nodes(plan) if "Index Cond" in n]
    for pattern in expected:
        assert any(re.search(pattern, c) for c in index_conditions), json.dumps(plan, indent=1)
    assert not [n for n in nodes(plan) if n["Node Type"] == "Seq Scan"], json.dumps(plan, indent=1)


@pytest.mark.postgres
@pytest.mark.parametrize("include_inactive", [False, True])
@pytest.mark.parametrize("next_page", [False, True])
async def test_postgres_lists_everyone_in_id_order_without_sorting(
    postgres_conn: Any, next_page: bool, include_inactive: bool
) -> None:
    criteria = PatientFilter(include_inactive=include_inactive)
    plan = await postgres_plan(postgres_conn, criteria, next_page)
    types = [n["Node Type"] for n in nodes(plan)]
    assert types == ["Limit", "Index Scan"], types
    assert plan["Plans"][0]["Index Name"] == "uq_patients_id"


@pytest.mark.postgres
async def test_postgres_name_prefix_seeks_each_token(postgres_conn: Any) -> None:
    plans = {}
    for name, (stmt, params) in NAME_STEPS.items():
        compiled = stmt.compiled(PostgresDatabase.dialect)
        params = {**compiled.defaults, "t2": "c", "t3": "d", **params}
        found = await postgres_conn.fetchval(
            f"EXPLAIN (FORMAT JSON) {compiled.sql}", *[params[n] for n in compiled.names]
        )
        plans[name] = list(nodes(json.loads(found)[0]["Plan"]))
    for name, plan in plans.items():
        assert not [n for n in plan if n["Node Type"] == "Seq Scan"], (name, plan)
    seeks = [
        n
        for n in plans["first ids"]
        if re.search(rf"{column('token')} = 'a'", n.get("Index Cond", ""))
        and "patient_id" in n["Index Cond"]
    ]
    assert seeks, plans["first ids"]
    compiled = candidates_statement("postgresql").compiled(PostgresDatabase.dialect)
    params = bind(FILTERS["name, two words"], False, compiled.defaults) | {"candidates": ["x"]}
    found = await postgres_conn.fetchval(
        f"EXPLAIN (FORMAT JSON) {compiled.sql}", *[params[n] for n in compiled.names]
    )
    plan = list(nodes(json.loads(found)[0]["Plan"]))
    assert not [n for n in plan if n["Node Type"] == "Seq Scan"], plan
    assert any("ANY" in n.get("Index Cond", "") for n in plan), plan
