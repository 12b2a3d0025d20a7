"""The patient list query: one statement per combination of criteria, compiled once.

A name prefix gets its own path. Two letters match thousands of tokens, and the plain
statement (`id IN (tokens in the prefix range)`) has to collect every one of them before
it can sort by id and keep `limit + 1`. But the prefix covers only a few distinct tokens,
and the (token, patient_id) index holds each token's patients in id order. So the
adapter finds the distinct tokens with one index seek each, takes the first ids of each
token with one seek each, merges them, and reads only those patients.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from carehub.adapters.sql.database import Row, Session, Statement
from carehub.adapters.sql.tables import (
    care_relationships,
    patient_condition_terms,
    patient_identifiers,
    patient_name_tokens,
    patients,
)
from carehub.kernel.text import prefix_upper_bound
from carehub.patients.ports import PatientFilter

# When the other criteria (more name words, the country, the active flag) turn down
# candidates, each further round reads this many times more of them, up to a ceiling.
_GROWTH = 4
_MAX_BATCH = 4096
# The candidate statement takes up to this many tokens at once, padded by repeats to a
# power of two (few statements to compile, few wasted seeks).
_TOKEN_GROUP = 16
# FTS5's trigram index needs three characters; shorter texts are matched with LIKE.
_TRIGRAM = 3
_ADDRESS_FTS = sa.table("patient_address_fts", sa.column("rowid"))


def shape(criteria: PatientFilter, has_cursor: bool, candidates: bool = False) -> tuple[Any, ...]:
    """What decides the statement's text (not its parameters)."""
    address = criteria.address_contains
    return (
        criteria.country_id is not None,
        criteria.city is not None,
        None if address is None else len(address) >= _TRIGRAM,
        criteria.condition_prefix is not None,
        len(criteria.name_prefixes),
        criteria.birth_date is not None,
        criteria.identifier is not None,
        criteria.include_inactive,
        criteria.patient_id is not None,
        criteria.care_of is not None,
        has_cursor,
        candidates,
    )


def filter_params(criteria: PatientFilter) -> dict[str, Any]:
    """The bind parameters of the criteria."""
    params: dict[str, Any] = {}
    if criteria.country_id is not None:
        params["country_id"] = criteria.country_id
    if criteria.city is not None:
        params["city"] = criteria.city
    if criteria.address_contains is not None:
        text = criteria.address_contains
        params["address_pattern"] = f"%{_escape_like(text)}%"
        params["address_phrase"] = '"' + text.replace('"', '""') + '"'
    if criteria.condition_prefix is not None:
        params["cond_lo"] = criteria.condition_prefix
        params["cond_hi"] = prefix_upper_bound(criteria.condition_prefix)
    for index, prefix in enumerate(criteria.name_prefixes):
        params[f"name{index}_lo"] = prefix
        params[f"name{index}_hi"] = prefix_upper_bound(prefix)
    if criteria.birth_date is not None:
        params["birth_date"] = criteria.birth_date
    if criteria.identifier is not None:
        params["id_system"], params["id_value"] = criteria.identifier
    if criteria.patient_id is not None:
        params["only_id"] = criteria.patient_id
    if criteria.care_of is not None:
        params["care_of"] = criteria.care_of
    return params


async def search_rows(
    session: Session, dialect: str, criteria: PatientFilter, after: str | None, limit: int
) -> list[Row]:
    """Up to `limit` matching rows after the id `after`, in id order."""
    params = {"limit": limit, **filter_params(criteria)}
    if _name_driven(criteria):
        return await _by_name_tokens(session, dialect, criteria, params, after, limit)
    if after is not None:
        params["after"] = after
    statement = search_statement(shape(criteria, after is not None), dialect)
    return await session.fetch_all(statement, params)


def _name_driven(criteria: PatientFilter) -> bool:
    """A name prefix with at most a country beside it. Any other criterion is likely more
    selective than a prefix, and its own index serves it better."""
    return bool(criteria.name_prefixes) and not (
        criteria.city
        or criteria.address_contains
        or criteria.condition_prefix
        or criteria.birth_date
        or criteria.identifier
        or criteria.patient_id
        or criteria.care_of
    )


async def _by_name_tokens(
    session: Session,
    dialect: str,
    criteria: PatientFilter,
    params: dict[str, Any],
    after: str | None,
    limit: int,
) -> list[Row]:
    """Read candidates in id order, in growing batches, until the page is full.

    The work is bounded by the patients the longest prefix matches, like the plain
    statement's, but a page of common names needs only its first batch."""
    index = max(range(len(criteria.name_prefixes)), key=lambda i: len(criteria.name_prefixes[i]))
    bounds = {"lo": params[f"name{index}_lo"], "hi": params[f"name{index}_hi"]}
    words = [r["token"] for r in await session.fetch_all(_DISTINCT_TOKENS, bounds)]
    fetch = search_statement(shape(criteria, False, candidates=True), dialect)
    found: list[Row] = []
    batch = limit
    while True:
        ids = await _first_ids(session, words, after, batch)
        if ids:
            listed = orjson.dumps(ids).decode() if dialect == "sqlite" else ids
            found.extend(await session.fetch_all(fetch, {**params, "candidates": listed}))
        if len(found) >= limit or len(ids) < batch:
            return found[:limit]
        after = ids[-1]
        batch = min(batch * _GROWTH, _MAX_BATCH)


async def _first_ids(
    session: Session, words: list[str], after: str | None, count: int
) -> list[str]:
    """The first `count` ids (after `after`) of patients with any of these tokens."""
    ids: set[str] = set()
    for start in range(0, len(words), _TOKEN_GROUP):
        group = words[start : start + _TOKEN_GROUP]
        size = 1 << (len(group) - 1).bit_length()
        group += [group[-1]] * (size - len(group))
        params: dict[str, Any] = {f"t{i}": w for i, w in enumerate(group)}
        params["after"] = after or ""
        params["count"] = count
        ids.update(
            r["patient_id"] for r in await session.fetch_all(_first_ids_statement(size), params)
        )
    return sorted(ids)[:count]


def _distinct_tokens() -> Statement:
    """The distinct tokens in [lo, hi), one index seek each (a loose index scan)."""
    return Statement(
        sa.text(
            "WITH RECURSIVE words(token) AS ("
            " SELECT min(token) FROM patient_name_tokens WHERE token >= :lo AND token < :hi"
            " UNION ALL"
            " SELECT (SELECT min(t.token) FROM patient_name_tokens t"
            " WHERE t.token > words.token AND t.token < :hi)"
            " FROM words WHERE words.token IS NOT NULL"
            ") SELECT token FROM words WHERE token IS NOT NULL"
        ).bindparams(
            sa.bindparam("lo", type_=patient_name_tokens.c.token.type),
            sa.bindparam("hi", type_=patient_name_tokens.c.token.type),
        )
    )


@cache
def _first_ids_statement(size: int) -> Statement:
    """Each token's first `count` patient ids after `after`: one index seek per token."""
    n = patient_name_tokens.c
    parts = [
        sa.select(n.patient_id)
        .where(n.token == sa.bindparam(f"t{i}"), n.patient_id > sa.bindparam("after"))
        .order_by(n.patient_id)
        .limit(sa.bindparam("count"))
        .subquery()
        .select()
        for i in range(size)
    ]
    return Statement(parts[0] if size == 1 else sa.union_all(*parts))


_DISTINCT_TOKENS = _distinct_tokens()


@cache
def search_statement(shape: tuple[Any, ...], dialect: str) -> Statement:
    """The list query for one combination of criteria (built and compiled once)."""
    (country, city, address, condition, names, birth, identifier, inactive, only, care, after) = (
        shape[:11]
    )
    candidates = shape[11]
    p = patients.c
    where: list[sa.ColumnElement[bool]] = []
    if not inactive:
        where.append(p.active.is_(True))
    if candidates:
        where.append(_in_candidates(dialect))
    if country:
        where.append(p.country_id == sa.bindparam("country_id"))
    if city:
        where.append(p.city_search == sa.bindparam("city"))
    if birth:
        where.append(p.birth_date == sa.bindparam("birth_date"))
    if only:
        where.append(p.id == sa.bindparam("only_id"))
    if care:
        r = care_relationships.c
        where.append(
            p.id.in_(sa.select(r.patient_id).where(r.practitioner_id == sa.bindparam("care_of")))
        )
    if identifier:
        i = patient_identifiers.c
        where.append(
            p.id.in_(
                sa.select(i.patient_id).where(
                    i.system == sa.bindparam("id_system"), i.value == sa.bindparam("id_value")
                )
            )
        )
    if condition:
        t = patient_condition_terms.c
        where.append(
            p.id.in_(
                sa.select(t.patient_id).where(
                    t.term >= sa.bindparam("cond_lo"), t.term < sa.bindparam("cond_hi")
                )
            )
        )
    where.extend(_name_conditions(names, candidates))
    if address is not None:
        where.append(_address_condition(dialect, trigram=address))
    if after:
        where.append(p.id > sa.bindparam("after"))
    columns = [c for c in patients.c if c.name != "seq"]
    query = sa.select(*columns).where(*where).order_by(p.id)
    if not candidates:
        query = query.limit(sa.bindparam("limit"))
    return Statement(query)


def _name_conditions(names: int, candidates: bool) -> list[sa.ColumnElement[bool]]:
    n = patient_name_tokens.c
    conditions: list[sa.ColumnElement[bool]] = []
    for index in range(names):
        in_range = [
            n.token >= sa.bindparam(f"name{index}_lo"),
            n.token < sa.bindparam(f"name{index}_hi"),
        ]
        if candidates:
            # A handful of candidates: probe each one's few tokens rather than collect
            # every token in the range.
            probe = sa.select(sa.literal(1)).where(n.patient_id == patients.c.id, *in_range)
            conditions.append(probe.exists())
        else:
            conditions.append(patients.c.id.in_(sa.select(n.patient_id).where(*in_range)))
    return conditions


def _in_candidates(dialect: str) -> sa.ColumnElement[bool]:
    """`id` among the candidates: a JSON array on SQLite, a text[] on PostgreSQL."""
    if dialect == "sqlite":
        listed = sa.func.json_each(sa.bindparam("candidates", type_=sa.String)).table_valued(
            "value"
        )
        return patients.c.id.in_(sa.select(listed.c.value))
    return patients.c.id == sa.any_(sa.bindparam("candidates", type_=ARRAY(sa.String)))


def _address_condition(dialect: str, *, trigram: bool) -> sa.ColumnElement[bool]:
    pattern = sa.bindparam("address_pattern", type_=sa.String)
    contains = patients.c.address_search.like(pattern, escape="\\")
    if dialect != "sqlite":
        return contains
    fts: sa.ColumnElement[str] = sa.literal_column("patient_address_fts")
    if trigram:
        # A phrase of trigrams is a substring match the index answers (LIKE ... ESCAPE is
        # a 3-argument like() that SQLite never hands to FTS5). The LIKE on the found rows
        # keeps the result exactly "contains".
        phrase = sa.bindparam("address_phrase", type_=sa.String)
        found = sa.select(_ADDRESS_FTS.c.rowid).where(fts.op("MATCH")(phrase))
        return sa.and_(patients.c.seq.in_(found), contains)
    # Under three characters no trigram index helps; read every address.
    return contains


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
