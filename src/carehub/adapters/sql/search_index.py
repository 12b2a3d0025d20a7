"""The patient search index in SQL (SQLite and PostgreSQL).

`patient_search_terms` holds each active patient's terms, keyed (term, country_id,
patient_id). Ranking reads only the postings of the query's terms, each term's first ones
in key order (one primary-key range per term, in one country or in all), POSTINGS_READ
shared among them. When a term has more patients than were read, the patients of the
query's rarest word (DRIVEN_PATIENTS at most) are read with all their terms, which ranks
them exactly; when every word is that common, the matches among the postings read are
ranked (each a true match), so a query's cost stays bounded whatever the data. The
postings are the index's full-text part: the words of names, addresses and conditions,
folded, each pointing at its patients. `patient_search_words` is the vocabulary, in which
similar words are found by trigrams: pg_trgm's `%` on its GIN index on PostgreSQL, an
FTS5 trigram table on SQLite (each trigram quoted as an FTS5 string, so nothing typed is
FTS5 syntax); the completions of a prefix are a range of its primary key. Nothing typed
reaches a LIKE pattern or a MATCH expression unquoted.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

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
# Ranking reads at most this many postings in all, shared among the wanted terms (each
# term's first ones in key order: country, then id; at least MIN_TERM_READ of each), so a
# query's cost is bounded whatever the data...
POSTINGS_READ = 6000
MIN_TERM_READ = 200
# ...and, when a term has more, reads every term of the patients of the query's rarest
# word if they are at most this many, which scores them exactly.
DRIVEN_PATIENTS = 1000
# Terms read per statement, padded to a power of two (few statements to compile).
_TERM_GROUP = 32

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
def _postings_statement(size: int, country: bool) -> Statement:
    """Each of `size` terms' first `cap` patients in key order: one index range each."""
    parts = []
    for i in range(size):
        where = [_t.term == sa.bindparam(f"t{i}")]
        if country:
            where.append(_t.country_id == sa.bindparam("country_id"))
        part = (
            sa.select(_t.patient_id, sa.literal(i).label("slot"))
            .where(*where)
            .order_by(_t.country_id, _t.patient_id)
            .limit(sa.bindparam("cap"))
        )
        parts.append(part.subquery().select())
    return Statement(parts[0] if size == 1 else sa.union_all(*parts))


@cache
def _terms_of_statement(dialect: str) -> Statement:
    """Every term of the listed patients (a JSON array on SQLite, a text[] on PostgreSQL)."""
    among: sa.ColumnElement[bool]
    if dialect == "sqlite":
        listed = sa.func.json_each(sa.bindparam("ids", type_=sa.String)).table_valued("value")
        among = _t.patient_id.in_(sa.select(listed.c.value))
    else:
        among = _t.patient_id == sa.any_(sa.bindparam("ids", type_=ARRAY(sa.String)))
    return Statement(sa.select(_t.patient_id, _t.term).where(among))


def _best(
    groups: Sequence[Mapping[str, int]], postings: Mapping[str, Iterable[str]], limit: int
) -> list[tuple[str, int]]:
    """The `limit` best patients by score, then id, of those holding a term of every group
    (the best weight of each group summed), from each term's patients."""
    total: dict[str, int] | None = None
    for group in groups:
        best: dict[str, int] = {}
        for term, weight in group.items():
            for patient_id in postings.get(term, ()):
                if best.get(patient_id, 0) < weight:
                    best[patient_id] = weight
        total = best if total is None else {p: s + best[p] for p, s in total.items() if p in best}
    return heapq.nsmallest(limit, (total or {}).items(), key=lambda item: (-item[1], item[0]))


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
        if care_of is not None:
            # A doctor's patients are few: the care team narrows every term's postings.
            return await self._aggregated(groups, country_id, care_of, limit)
        terms = list(dict.fromkeys(t for group in groups for t in group))
        cap = max(POSTINGS_READ // len(terms), MIN_TERM_READ)
        postings = await self._postings(terms, country_id, cap)
        cut = {t for t, ids in postings.items() if len(ids) >= cap}
        if cut:
            # Some term is common: read in full the patients of the smallest group whose
            # postings were all read, and score them on all their terms.
            complete = [g for g in groups if not cut.intersection(g)]
            holders = [{p for t in g for p in postings[t]} for g in complete]
            smallest = min(holders, key=len, default=None)
            if smallest is not None and len(smallest) <= DRIVEN_PATIENTS:
                postings = await self._holders(sorted(smallest), set(terms))
        return _best(groups, postings, limit)

    async def _postings(
        self, terms: list[str], country_id: str | None, cap: int
    ) -> dict[str, list[str]]:
        """The first `cap` patients of each term, in key order."""
        found: dict[str, list[str]] = {t: [] for t in terms}
        for start in range(0, len(terms), _TERM_GROUP):
            chunk = terms[start : start + _TERM_GROUP]
            size = 1 << (len(chunk) - 1).bit_length()
            # Padded with the empty term, which nobody holds.
            params: dict[str, Any] = {f"t{i}": "" for i in range(size)}
            params.update({f"t{i}": t for i, t in enumerate(chunk)})
            params["cap"] = cap
            if country_id is not None:
                params["country_id"] = country_id
            statement = _postings_statement(size, country_id is not None)
            for row in await self._session.fetch_all(statement, params):
                found[chunk[row["slot"]]].append(row["patient_id"])
        return found

    async def _holders(self, patient_ids: list[str], terms: set[str]) -> dict[str, list[str]]:
        """Which of these patients hold each of `terms`, from their terms (patient index)."""
        listed: Any = (
            orjson.dumps(patient_ids).decode() if self._dialect == "sqlite" else patient_ids
        )
        rows = await self._session.fetch_all(_terms_of_statement(self._dialect), {"ids": listed})
        found: dict[str, list[str]] = {}
        for row in rows:
            if row["term"] in terms:
                found.setdefault(row["term"], []).append(row["patient_id"])
        return found

    async def _aggregated(
        self,
        groups: Sequence[Mapping[str, int]],
        country_id: str | None,
        care_of: str,
        limit: int,
    ) -> list[tuple[str, int]]:
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
            "care_of": care_of,
        }
        if country_id is not None:
            params["country_id"] = country_id
        statement = _ranked(self._dialect, country_id is not None, True)
        rows = await self._session.fetch_all(statement, params)
        return [(r["patient_id"], int(r["score"])) for r in rows]

    async def clear(self) -> None:
        await self._session.execute(_CLEAR_TERMS)
        await self._session.execute(_CLEAR_WORDS)
        if self._dialect == "sqlite":
            await self._session.execute(_CLEAR_FTS)
