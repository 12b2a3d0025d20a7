"""Every patient search statement is served by an index, on SQLite and on PostgreSQL: the
relevance corpus grown to 3,000 patients is indexed, and each statement (as the adapter
compiles it, with the adapter's parameters) is explained. Ranking reads each wanted term's
first postings from the terms' primary key, in its order (a care team's, one seek per
term), and a few patients' terms from the patient index; similar words come from the
trigram index (FTS5, pg_trgm's GIN); completions from a range of the vocabulary's primary
key; a replace from the patient index."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from carehub.adapters.sql import search_index
from carehub.adapters.sql.database import Statement
from carehub.adapters.sql.postgres import PostgresDatabase
from carehub.adapters.sql.sqlite import SqliteDatabase
from carehub.kernel.text import prefix_upper_bound
from carehub.patients.search import document_of, trigrams
from tests.query_plans.conftest import nodes
from tests.relevance.corpus import patients
from tests.support.file_records import open_units

PATIENTS = 3000
WANTED = [["quispe", 3, 0], ["quisbert", 1, 0], ["mamani", 3, 1], ["mrn:pe-000042", 100, 2]]
WANTED_PG = [{"term": t, "weight": w, "grp": g} for t, w, g in WANTED]
GRAMS = {f"g{i}": f'"{g}"' for i, g in enumerate(trigrams("qispe"))}
PREFIX = {"lo": "qui", "hi": prefix_upper_bound("qui"), "range": 2000, "limit": 50}
TERMS = ("pk_patient_search_terms", "sqlite_autoindex_patient_search_terms_1")
# A doctor's few patients may drive instead: each one's terms, from the patient index.
CARE_TERMS = (*TERMS, "ix_patient_search_terms_patient_id")
# A vocabulary as large as a real one's, beside the corpus's own words.
EXTRA_WORDS = 30_000


def extra_words() -> list[dict[str, str]]:
    rng = random.Random(5)
    letters = "aeiouaeiourstlnmcdpgbhqy"
    words = {"".join(rng.choices(letters, k=rng.randint(4, 11))) for _ in range(EXTRA_WORDS)}
    return [{"word": w} for w in sorted(words)]


async def load(url: str, folder: Path) -> None:
    corpus = patients(PATIENTS)
    async with open_units(url, folder) as new_uow:
        async with new_uow() as uow:
            await uow._live_session().execute_many(search_index._ADD_WORD, extra_words())
            await uow.commit()
        for start in range(0, len(corpus), 500):
            chunk = corpus[start : start + 500]
            async with new_uow() as uow:
                await uow.patients.add_many(chunk)
                await uow.search_index.put([document_of(p) for p in chunk])
                # Fifty doctors, each with a few dozen patients in their care.
                for n, patient in enumerate(chunk, start):
                    await uow.patients.add_care_relationship(f"dr-{n % 50}", patient.id)
                await uow.commit()


def ranked(dialect: str, country: bool, care: bool) -> tuple[Statement, dict[str, Any]]:
    wanted = WANTED if dialect == "sqlite" else WANTED_PG
    params: dict[str, Any] = {"wanted": orjson.dumps(wanted).decode(), "groups": 3, "limit": 200}
    if country:
        params["country_id"] = "PE"
    if care:
        params["care_of"] = "dr-1"
    return search_index._ranked(dialect, country, care), params


def postings(country: bool) -> tuple[Statement, dict[str, Any]]:
    params: dict[str, Any] = {f"t{i}": t for i, (t, _, _) in enumerate(WANTED)}
    params["cap"] = 1500
    if country:
        params["country_id"] = "PE"
    return search_index._postings_statement(4, country), params


IDS = [f"rel-{n:04d}" for n in range(1, 400, 7)]


# --- SQLite --------------------------------------------------------------------------------


def sqlite_plan(
    conn: sqlite3.Connection, statement: Statement, params: dict[str, Any]
) -> list[str]:
    compiled = statement.compiled(SqliteDatabase.dialect)
    query = f"EXPLAIN QUERY PLAN {compiled.sql}"
    return [row[3] for row in conn.execute(query, compiled.bind(params))]


@pytest.mark.parametrize("country", [False, True])
def test_sqlite_reads_each_terms_first_postings_from_its_key(
    sqlite_conn: sqlite3.Connection, country: bool
) -> None:
    plan = sqlite_plan(sqlite_conn, *postings(country))
    seeks = [s for s in plan if "patient_search_terms USING" in s]
    assert len(seeks) == 4 and all("(term=?" in s for s in seeks), plan
    assert not [s for s in plan if s.startswith("SCAN patient_search_terms")], plan
    assert not [s for s in plan if "TEMP B-TREE" in s], plan  # read in the key's order


def test_sqlite_reads_a_few_patients_terms_from_their_index(
    sqlite_conn: sqlite3.Connection,
) -> None:
    statement = search_index._terms_of_statement("sqlite")
    plan = sqlite_plan(sqlite_conn, statement, {"ids": orjson.dumps(IDS).decode()})
    assert any("ix_patient_search_terms_patient_id (patient_id=?)" in s for s in plan), plan
    assert not [s for s in plan if s.startswith("SCAN patient_search_terms")], plan


@pytest.mark.parametrize("country", [False, True])
def test_sqlite_ranks_a_care_team_by_seeking_each_wanted_term(
    sqlite_conn: sqlite3.Connection, country: bool
) -> None:
    plan = sqlite_plan(sqlite_conn, *ranked("sqlite", country, True))
    assert any(s.startswith("SCAN json_each") or "json_each VIRTUAL" in s for s in plan), plan
    seeks = [s for s in plan if s.startswith("SEARCH t USING")]
    assert seeks and all("(term=?" in s for s in seeks), plan
    assert not [s for s in plan if s.startswith(("SCAN t", "SCAN patient_search_terms"))], plan


def test_sqlite_finds_similar_words_in_the_trigram_index(sqlite_conn: sqlite3.Connection) -> None:
    statement = search_index._sqlite_similar(len(GRAMS))
    plan = sqlite_plan(sqlite_conn, statement, {**GRAMS, "shortest": 4, "longest": 6, "limit": 50})
    assert any("patient_search_words_fts VIRTUAL TABLE INDEX" in s for s in plan), plan
    assert any(s.startswith("SEARCH w USING INTEGER PRIMARY KEY") for s in plan), plan
    assert not [s for s in plan if s.startswith("SCAN w")], plan


def test_sqlite_completes_a_prefix_from_a_key_range(sqlite_conn: sqlite3.Connection) -> None:
    plan = sqlite_plan(sqlite_conn, search_index._PREFIXED, PREFIX)
    assert any("patient_search_words USING" in s and "(word>? AND word<?)" in s for s in plan), plan


def test_sqlite_replaces_a_patient_from_its_index(sqlite_conn: sqlite3.Connection) -> None:
    plan = sqlite_plan(sqlite_conn, search_index._DELETE, {"id": "rel-0042"})
    assert any("ix_patient_search_terms_patient_id" in s for s in plan), plan


def test_sqlite_similar_words_hold_the_one_typo_neighbours(sqlite_conn: sqlite3.Connection) -> None:
    statement = search_index._sqlite_similar(len(GRAMS))
    compiled = statement.compiled(SqliteDatabase.dialect)
    params = compiled.bind({**GRAMS, "shortest": 4, "longest": 6, "limit": 50})
    words = [row[0] for row in sqlite_conn.execute(compiled.sql, params)]
    assert "quispe" in words[:5], words


# --- PostgreSQL ----------------------------------------------------------------------------


async def postgres_plan(conn: Any, statement: Statement, params: dict[str, Any]) -> Any:
    compiled = statement.compiled(PostgresDatabase.dialect)
    merged = compiled.bind(params)
    found = await conn.fetchval(
        f"EXPLAIN (FORMAT JSON) {compiled.sql}", *[merged[n] for n in compiled.names]
    )
    return list(nodes(json.loads(found)[0]["Plan"]))


@pytest.mark.postgres
@pytest.mark.parametrize("country", [False, True])
async def test_postgres_reads_each_terms_first_postings_from_its_key(
    postgres_conn: Any, country: bool
) -> None:
    steps = await postgres_plan(postgres_conn, *postings(country))
    scans = [s for s in steps if s.get("Relation Name") == "patient_search_terms"]
    assert len(scans) == 4 and all(s.get("Index Name") in TERMS for s in scans), steps
    assert not [s for s in steps if s["Node Type"] in ("Seq Scan", "Sort")], steps


@pytest.mark.postgres
async def test_postgres_reads_a_few_patients_terms_from_their_index(postgres_conn: Any) -> None:
    statement = search_index._terms_of_statement("postgresql")
    steps = await postgres_plan(postgres_conn, statement, {"ids": IDS})
    indexes = {s.get("Index Name") for s in steps}
    assert "ix_patient_search_terms_patient_id" in indexes, steps
    assert not [s for s in steps if s["Node Type"] == "Seq Scan"], steps


@pytest.mark.postgres
@pytest.mark.parametrize("country", [False, True])
async def test_postgres_ranks_a_care_team_by_seeking_each_wanted_term(
    postgres_conn: Any, country: bool
) -> None:
    steps = await postgres_plan(postgres_conn, *ranked("postgresql", country, True))
    scans = [s for s in steps if s.get("Relation Name") == "patient_search_terms"]
    assert scans and all(s.get("Index Name") in CARE_TERMS for s in scans), steps
    assert not [s for s in steps if s["Node Type"] == "Seq Scan"], steps


@pytest.mark.postgres
async def test_postgres_finds_similar_words_in_the_trigram_index(postgres_conn: Any) -> None:
    params = {"word": "qispe", "shortest": 4, "longest": 6, "limit": 50}
    steps = await postgres_plan(postgres_conn, search_index._PG_SIMILAR, params)
    assert any(s.get("Index Name") == "ix_patient_search_words_word_trgm" for s in steps), steps
    assert not [s for s in steps if s["Node Type"] == "Seq Scan"], steps


@pytest.mark.postgres
async def test_postgres_completes_a_prefix_from_a_key_range(postgres_conn: Any) -> None:
    steps = await postgres_plan(postgres_conn, search_index._PREFIXED, PREFIX)
    assert any(s.get("Index Name") == "pk_patient_search_words" for s in steps), steps
    assert not [s for s in steps if s["Node Type"] == "Seq Scan"], steps


@pytest.mark.postgres
async def test_postgres_replaces_a_patient_from_its_index(postgres_conn: Any) -> None:
    steps = await postgres_plan(postgres_conn, search_index._DELETE, {"id": "rel-0042"})
    indexes = {s.get("Index Name") for s in steps}
    assert "ix_patient_search_terms_patient_id" in indexes, steps
