"""The audit trail on SQL, read: searches in the trail's order, and each shard's chain
with its head for verification."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa

from carehub.adapters.sql.database import Row, Session, Statement, as_datetime
from carehub.adapters.sql.tables import audit_chain_head, audit_entries, audit_patients
from carehub.audit.model import AuditEntry, ChainHead, TrailPosition
from carehub.audit.ports import AuditFilter
from carehub.kernel.pagination import Page

_e = audit_entries.c
_SCAN = Statement(
    sa.select(audit_entries)
    .where(_e.shard == sa.bindparam("shard"), _e.seq > sa.bindparam("after"))
    .order_by(_e.seq)
    .limit(sa.bindparam("limit"))
)
_HEADS = Statement(sa.select(audit_chain_head))
# Every shard with a head row or an entry; the entries' shards found one index probe each
# (a loose index scan), not by reading every entry.
_SHARDS = Statement(
    sa.text("""
WITH RECURSIVE found(shard) AS (
    SELECT min(shard) FROM audit_entries
    UNION ALL
    SELECT (SELECT min(shard) FROM audit_entries WHERE shard > found.shard)
    FROM found WHERE found.shard IS NOT NULL
)
SELECT shard FROM found WHERE shard IS NOT NULL
UNION
SELECT shard FROM audit_chain_head
ORDER BY shard
""")
)


class SqlAuditLog:
    """The audit domain's reading port over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def search(
        self, criteria: AuditFilter, *, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        params: dict[str, Any] = {"limit": limit + 1}
        if cursor is not None:
            before = TrailPosition.from_cursor(cursor)
            params.update(b_at=before.at, b_shard=before.shard, b_seq=before.seq)
        given = (
            criteria.patient_id,
            criteria.actor_id,
            criteria.action,
            criteria.since,
            criteria.until,
        )
        shape = (*(v is not None for v in given), cursor is not None)
        params.update({k: v for k, v in vars(criteria).items() if v is not None})
        rows = await self._session.fetch_all(_search_statement(shape), params)
        items = [entry_of(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, TrailPosition.of(items[-1]).cursor() if more else None)

    async def shards(self) -> list[int]:
        return [int(row["shard"]) for row in await self._session.fetch_all(_SHARDS)]

    async def scan(self, *, shard: int, after_seq: int, limit: int) -> list[AuditEntry]:
        params = {"shard": shard, "after": after_seq, "limit": limit}
        return [entry_of(r) for r in await self._session.fetch_all(_SCAN, params)]

    async def stored_heads(self) -> dict[int, ChainHead]:
        rows = await self._session.fetch_all(_HEADS)
        return {
            int(r["shard"]): ChainHead(int(r["shard"]), int(r["seq"]), str(r["hash"])) for r in rows
        }


@cache
def _search_statement(shape: tuple[bool, ...]) -> Statement:
    """Newest first by (at, shard, seq): with a patient, in the order of that patient's
    index rows; otherwise of the entries' own indexes, which all end with those three."""
    patient, actor, action, since, until, before = shape
    source: sa.FromClause = audit_entries
    where: list[sa.ColumnElement[bool]] = []
    order = (_e.at, _e.shard, _e.seq)
    if patient:
        p = audit_patients.c
        source = audit_entries.join(audit_patients, sa.and_(p.shard == _e.shard, p.seq == _e.seq))
        where.append(p.patient_id == sa.bindparam("patient_id"))
        order = (p.at, p.shard, p.seq)
    if actor:
        where.append(_e.actor_id == sa.bindparam("actor_id"))
    if action:
        where.append(_e.action == sa.bindparam("action"))
    at = order[0]
    if since:
        where.append(at >= sa.bindparam("since", type_=at.type))
    if until:
        where.append(at < sa.bindparam("until", type_=at.type))
    if before:
        position = (
            sa.bindparam("b_at", type_=at.type),
            sa.bindparam("b_shard", type_=sa.Integer()),
            sa.bindparam("b_seq", type_=sa.BigInteger()),
        )
        where.append(sa.tuple_(*order) < sa.tuple_(*position))
    query = sa.select(audit_entries).select_from(source).where(*where)
    query = query.order_by(*(column.desc() for column in order))
    return Statement(query.limit(sa.bindparam("limit")))


def entry_of(row: Row) -> AuditEntry:
    """An `audit_entries` row as its entry."""
    return AuditEntry(
        shard=int(row["shard"]),
        seq=int(row["seq"]),
        at=as_datetime(row["at"]),
        actor_id=row["actor_id"],
        actor_role=row["actor_role"],
        action=row["action"],
        resource_type=row["resource_type"],
        resource_id=row["resource_id"],
        patient_ids=tuple(_json(row["patient_ids"])),
        outcome=row["outcome"],
        request_id=row["request_id"],
        client_address=row["client_address"],
        links=tuple(ChainHead(int(s), int(n), str(h)) for s, n, h in _json(row["links"]) or ()),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def _json(value: Any) -> Any:
    # JSON columns come back as text from some drivers, decoded from others.
    return orjson.loads(value) if isinstance(value, str) else value
