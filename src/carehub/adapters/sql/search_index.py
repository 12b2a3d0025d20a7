"""The patient search index in SQL (SQLite and PostgreSQL).

`patient_search_terms` holds each active patient's terms, keyed (term, country_id,
patient_id): a group of terms is one primary-key seek per term, in one country or in all,
and ranking reads only the postings of the query's terms. These postings are the index's
full-text part: the words of names, addresses and conditions, folded, each pointing at
its patients. `patient_search_words` is the vocabulary, in which similar words are found
by trigrams: pg_trgm's `%` on its GIN index on PostgreSQL, an FTS5 trigram table on
SQLite (each trigram quoted as an FTS5 string, so nothing typed is FTS5 syntax); the
completions of a prefix are a range of its primary key. Nothing typed reaches a LIKE
pattern or a MATCH expression unquoted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa

from carehub.adapters.sql.database import Session, Statement
from carehub.adapters.sql.tables import patient_search_terms, patient_search_words
from carehub.kernel.text import prefix_upper_bound
from carehub.patients.search import SearchDocument, trigrams

_t, _w = patient_search_terms.c, patient_search_words.c
# pg_trgm's similarity of a five-letter word and itself with two letters swapped can be as
# low as 2/10 (its default threshold, 0.3, would lose them); set for the transaction only.
_PG_THRESHOLD = "0.15"
# A prefix's completions are the shortest among the first this many of its range.
_PREFIX_RANGE = 2000

_DELETE = Statement(sa.delete(patient_search_terms).where(_t.patient_id == sa.bindparam("id")))
_CLEAR_TERMS = Statement(sa.delete(patient_search_terms))
_CLEAR_WORDS = Statement(sa.delete(patient_search_words))
_CLEAR_FTS = Statement(
    sa.text("INSERT INTO patient_search_words_fts(patient_search_words_fts) VALUES ('delete-all')")
)
_ADD_TERM = Statement(
    sa.text(
        "INSERT INTO patient_search_terms (term, country_id, patient_id)"
        " VALUES (:term, :country_id, :patient_id) ON CONFLICT DO NOTHING"
    )
)
_ADD_WORD = Statement(
    sa.text("INSERT INTO patient_search_words (word) VALUES (:word) ON CONFLICT DO NOTHING")
)
_PG_SIMILARITY = Statement(
    sa.text(f"SELECT set_config('pg_trgm.similarity_threshold', '{_PG_THRESHOLD}', true)")
)
_PG_SIMILAR = Statement(
    sa.text(
        "SELECT word FROM patient_search_words"
        " WHERE word % :word AND length(word) BETWEEN :shortest AND :longest"
        " ORDER BY similarity(word, :word) DESC, word LIMIT :limit"
    )
)
_PREFIXED = Statement(
    sa.text(
        "SELECT word FROM (SELECT word FROM patient_search_words"
        " WHERE word >= :lo AND word < :hi ORDER BY word LIMIT :range) AS r"
        " ORDER BY length(word), word LIMIT :limit"
    ).bindparams(
        sa.bindparam("lo", type_=_w.word.type),
        sa.bindparam("hi", type_=_w.word.type),
    )
)


@cache
def _sqlite_similar(grams: int) -> Statement:
    """Words sharing any of `grams` trigrams, most shared first, of a length one edit away."""
    # Statement texts here are made of constants only; every value is a bound parameter.
    matches = " UNION ALL ".join(
        f"SELECT rowid FROM patient_search_words_fts WHERE patient_search_words_fts MATCH :g{i}"  # noqa: S608
        for i in range(grams)
    )
    return Statement(
        sa.text(
            f"SELECT w.word FROM (SELECT rowid AS id, count(*) AS shared FROM ({matches})"  # noqa: S608
            " GROUP BY rowid) AS s"
            " JOIN patient_search_words AS w ON w.rowid = s.id"
            " WHERE length(w.word) BETWEEN :shortest AND :longest"
            " ORDER BY s.shared DESC, w.word LIMIT :limit"
        )
    )


@cache
def _ranked(dialect: str, country: bool, care: bool) -> Statement:
    """Each patient's best weight per group, summed over the groups it holds every one of.

    Driven by the wanted terms: each is one seek of the terms' primary key."""
    if dialect == "sqlite":
        wanted = (
            "SELECT json_extract(value, '$[0]') AS term, json_extract(value, '$[1]') AS weight,"
            " json_extract(value, '$[2]') AS grp FROM json_each(:wanted)"
        )
        join = "CROSS JOIN patient_search_terms AS t ON t.term = w.term"
    else:
        wanted = (
            'SELECT term COLLATE "C" AS term, weight, grp'
            " FROM jsonb_to_recordset(CAST(:wanted AS jsonb)) AS r(term text, weight int, grp int)"
        )
        join = "JOIN patient_search_terms AS t ON t.term = w.term"
    where = []
    if country:
        where.append("t.country_id = :country_id")
    if care:
        where.append(
            "t.patient_id IN (SELECT patient_id FROM care_relationships"
            " WHERE practitioner_id = :care_of)"
        )
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    return Statement(
        sa.text(
            f"WITH w AS ({wanted}),"  # noqa: S608
            f" hits AS (SELECT t.patient_id, w.grp, max(w.weight) AS weight FROM w {join}"
            f"{condition} GROUP BY t.patient_id, w.grp)"
            " SELECT patient_id, sum(weight) AS score FROM hits GROUP BY patient_id"
            " HAVING count(*) = :groups ORDER BY score DESC, patient_id LIMIT :limit"
        )
    )


class SqlSearchIndex:
    """`carehub.patients.ports.PatientSearchIndex` over a SQL session."""

    def __init__(self, session: Session, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def put(self, documents: Sequence[SearchDocument]) -> None:
        latest = {d.patient_id: d for d in documents}
        terms: list[dict[str, Any]] = []
        words: set[str] = set()
        for document in latest.values():
            await self._session.execute(_DELETE, {"id": document.patient_id})
            if not document.active:
                continue
            words.update(document.words)
            terms += [
                {"term": t, "country_id": document.country_id, "patient_id": document.patient_id}
                for t in dict.fromkeys(document.terms())
            ]
        # In one order, so that two writers adding the same new words never deadlock.
        await self._session.execute_many(_ADD_WORD, [{"word": w} for w in sorted(words)])
        await self._session.execute_many(_ADD_TERM, terms)

    async def similar_words(self, word: str, *, country_id: str | None, limit: int) -> list[str]:
        lengths = {"shortest": len(word) - 1, "longest": len(word) + 1, "limit": limit}
        if self._dialect == "sqlite":
            grams = trigrams(word)
            quoted = {f"g{i}": '"' + g.replace('"', '""') + '"' for i, g in enumerate(grams)}
            statement = _sqlite_similar(len(grams))
            similar = await self._session.fetch_all(statement, {**quoted, **lengths})
        else:
            await self._session.execute(_PG_SIMILARITY)
            similar = await self._session.fetch_all(_PG_SIMILAR, {"word": word, **lengths})
        bounds = {"lo": word, "hi": prefix_upper_bound(word), "range": _PREFIX_RANGE}
        prefixed = await self._session.fetch_all(_PREFIXED, {**bounds, "limit": limit})
        return list(dict.fromkeys([*(r["word"] for r in similar), *(r["word"] for r in prefixed)]))

    async def ranked(
        self,
        groups: Sequence[Mapping[str, int]],
        *,
        country_id: str | None,
        care_of: str | None,
        limit: int,
    ) -> list[tuple[str, int]]:
        if not groups:
            return []
        if self._dialect == "sqlite":
            listed: list[Any] = [
                [t, w, g] for g, group in enumerate(groups) for t, w in group.items()
            ]
        else:
            listed = [
                {"term": t, "weight": w, "grp": g}
                for g, group in enumerate(groups)
                for t, w in group.items()
            ]
        params: dict[str, Any] = {
            "wanted": orjson.dumps(listed).decode(),
            "groups": len(groups),
            "limit": limit,
        }
        if country_id is not None:
            params["country_id"] = country_id
        if care_of is not None:
            params["care_of"] = care_of
        statement = _ranked(self._dialect, country_id is not None, care_of is not None)
        rows = await self._session.fetch_all(statement, params)
        return [(r["patient_id"], int(r["score"])) for r in rows]

    async def clear(self) -> None:
        await self._session.execute(_CLEAR_TERMS)
        await self._session.execute(_CLEAR_WORDS)
        if self._dialect == "sqlite":
            await self._session.execute(_CLEAR_FTS)
