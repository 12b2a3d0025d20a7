"""The audit trail on SQL: appending chained entries, reading and verifying them.

Appends serialise on the chain head row (`FOR UPDATE` on PostgreSQL; SQLite has one
writer anyway), so sequence numbers have no gaps and every hash covers its predecessor.
Units of work that only read hand their records to `AuditWriter`, which stores the
records of concurrent requests in one transaction (group commit) and releases each
request once its entries are durable.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa

from carehub.adapters.sql.database import (
    Database,
    Row,
    Session,
    Statement,
    as_datetime,
    insert_into,
)
from carehub.adapters.sql.tables import audit_chain_head, audit_entries, audit_patients
from carehub.audit.model import AuditEntry, ChainHead, chain
from carehub.audit.ports import AuditFilter
from carehub.kernel.audit import AccessRecord
from carehub.kernel.pagination import Page, cursor_position, encode_cursor

_HEAD = Statement(
    sa.select(audit_chain_head.c.seq, audit_chain_head.c.hash)
    .where(audit_chain_head.c.id == 1)
    .with_for_update()
)
_HEAD_READ = Statement(
    sa.select(audit_chain_head.c.seq, audit_chain_head.c.hash).where(audit_chain_head.c.id == 1)
)
_MOVE_HEAD = Statement(
    sa.update(audit_chain_head)
    .where(audit_chain_head.c.id == 1)
    .values(seq=sa.bindparam("seq"), hash=sa.bindparam("hash"))
)
_INSERT_ENTRY = insert_into(audit_entries, generated=())
_INSERT_PATIENT = insert_into(audit_patients, generated=())
_SCAN = Statement(
    sa.select(audit_entries)
    .where(audit_entries.c.seq > sa.bindparam("after"))
    .order_by(audit_entries.c.seq)
    .limit(sa.bindparam("limit"))
)


_AT_ONCE_ATTEMPTS = 5
_ENTRY_COLUMNS = (
    "seq", "at", "actor_id", "actor_role", "action", "resource_type", "resource_id",
    "patient_ids", "outcome", "request_id", "client_address", "prev_hash", "hash",
)  # fmt: skip
# Data-modifying CTEs: the entries and their patient links are inserted only if the head
# moved, all in the statement's one implicit transaction, whose commit waits for the disk
# or not as `synchronous_commit` says (set for this transaction only).
_APPEND_AT_ONCE = Statement(
    sa.text("""
WITH moved AS (
    UPDATE audit_chain_head SET seq = :new_seq, hash = :new_hash
    WHERE id = 1 AND seq = :old_seq AND hash = :old_hash
        AND set_config('synchronous_commit', :synchronous_commit, true) IS NOT NULL
    RETURNING id
), entries AS (
    INSERT INTO audit_entries (seq, at, actor_id, actor_role, action, resource_type,
        resource_id, patient_ids, outcome, request_id, client_address, prev_hash, hash)
    SELECT * FROM unnest(
        CAST(:seq AS bigint[]), CAST(:at AS timestamptz[]), CAST(:actor_id AS text[]),
        CAST(:actor_role AS text[]), CAST(:action AS text[]), CAST(:resource_type AS text[]),
        CAST(:resource_id AS text[]), CAST(:patient_ids AS jsonb[]), CAST(:outcome AS text[]),
        CAST(:request_id AS text[]), CAST(:client_address AS text[]),
        CAST(:prev_hash AS text[]), CAST(:hash AS text[]))
    WHERE EXISTS (SELECT FROM moved)
), links AS (
    INSERT INTO audit_patients (patient_id, seq)
    SELECT * FROM unnest(CAST(:link_patient AS text[]), CAST(:link_seq AS bigint[]))
    WHERE EXISTS (SELECT FROM moved)
)
SELECT count(*) AS moved FROM moved
""")
)


def _at_once_params(
    entries: Sequence[AuditEntry], head: ChainHead, *, durable: bool
) -> dict[str, Any]:
    rows = [_to_row(e) for e in entries]
    params: dict[str, Any] = {c: [r[c] for r in rows] for c in _ENTRY_COLUMNS}
    links = _links(entries)
    params["link_patient"] = [link["patient_id"] for link in links]
    params["link_seq"] = [link["seq"] for link in links]
    last = entries[-1]
    params.update(new_seq=last.seq, new_hash=last.hash, old_seq=head.seq, old_hash=head.hash)
    params["synchronous_commit"] = "on" if durable else "off"
    return params


def _links(entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    return [{"patient_id": p, "seq": e.seq} for e in entries for p in dict.fromkeys(e.patient_ids)]


async def append(session: Session, records: Sequence[AccessRecord]) -> None:
    """Chain and insert records inside the session's transaction."""
    if not records:
        return
    await session.begin()
    row = await session.fetch_one(_HEAD)
    head = ChainHead(int(row["seq"]), str(row["hash"])) if row else ChainHead(0, "0" * 64)
    entries = chain(records, head)
    await session.execute_many(_INSERT_ENTRY, [_to_row(e) for e in entries])
    await session.execute_many(_INSERT_PATIENT, _links(entries))
    await session.execute(_MOVE_HEAD, {"seq": entries[-1].seq, "hash": entries[-1].hash})


class AuditWriter:
    """Group commit for the audit records of read-only units of work: the records of
    concurrent reads are chained and stored together, in one round trip on PostgreSQL.

    Unless `wait_for_disk`, a read is answered once its entries are committed, before the
    disk has them: they survive a crash of carehub at once and a power loss a moment later
    (see `Session.commit`). Changes, and their entries, always wait for the disk.
    """

    def __init__(self, db: Database, *, wait_for_disk: bool = False) -> None:
        self._db = db
        self._durable = wait_for_disk
        # Records waiting for the next commit, with the future of the read that waits for
        # them (None for the read that is storing them itself).
        self._pending: list[tuple[Sequence[AccessRecord], asyncio.Future[None] | None]] = []
        self._busy = False  # a commit is being prepared or made
        self._flushing: asyncio.Task[None] | None = None  # held, or the loop may drop it
        self._head: ChainHead | None = None  # where this writer last left the chain
        self._one_statement = db.dialect.name == "postgresql"

    async def write(self, records: Sequence[AccessRecord], *, spare: Session | None = None) -> None:
        """Returns once the records are committed (raises if the commit failed).

        With no commit under way, the caller makes one itself, taking along the records
        of reads that are ready at the same moment (a lone read pays no hand-over to
        another task); records that arrive meanwhile go in one commit after it. `spare`
        is the caller's session, open but outside a transaction; the writer closes it.
        On PostgreSQL a lone read's statement runs on its connection, which saves giving
        it back to the pool and taking another.
        """
        if self._busy:
            # Queued before anything can suspend it: a commit that ends meanwhile must
            # find these records, or nobody would store them.
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._pending.append((records, done))
            if spare is not None:
                await spare.close()  # a waiting read must not hold a connection the commit needs
            await done
            return
        self._busy = True
        try:
            self._pending.append((records, None))
            await asyncio.sleep(0)  # reads already answered by the database join in
            batch, self._pending = self._pending, []
            await self._store(batch, spare)
        finally:
            if spare is not None:  # a no-op once used, but a cancelled read still owns it
                await spare.close()
            if self._pending:
                self._flushing = asyncio.create_task(self._flush())
            else:
                self._busy = False

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                with contextlib.suppress(Exception):  # the waiting reads were told
                    await self._store(batch)
        finally:
            self._busy = False

    async def _store(
        self,
        batch: list[tuple[Sequence[AccessRecord], asyncio.Future[None] | None]],
        spare: Session | None = None,
    ) -> None:
        """Commit a batch's records and settle its waiting reads; raises if it failed."""
        try:
            await self._append([r for records, _ in batch for r in records], spare)
        except Exception as exc:
            for _, done in batch:
                if done is not None and not done.done():
                    done.set_exception(exc)
            raise
        for _, done in batch:
            if done is not None and not done.done():
                done.set_result(None)

    async def _append(self, records: Sequence[AccessRecord], spare: Session | None) -> None:
        if self._one_statement:
            # Given back before the locked way below takes a connection of its own.
            async with spare or self._db.session(durable=self._durable) as session:
                if await self._append_at_once(session, records):
                    return
        async with self._db.session(durable=self._durable) as session:
            await append(session, records)
            await session.commit()

    async def _append_at_once(self, session: Session, records: Sequence[AccessRecord]) -> bool:
        """PostgreSQL: one autocommitted statement (one round trip) chains the records
        after the head this writer saw last and moves the head only if it is still there.
        If another process moved it, read it again; False after too many such races."""
        for _ in range(_AT_ONCE_ATTEMPTS):
            if self._head is None:
                row = await session.fetch_one(_HEAD_READ)
                self._head = ChainHead(int(row["seq"]), str(row["hash"])) if row else None
            if self._head is None:
                return False
            entries = chain(records, self._head)
            row = await session.fetch_one(
                _APPEND_AT_ONCE, _at_once_params(entries, self._head, durable=self._durable)
            )
            if row is not None and row["moved"]:
                self._head = ChainHead(entries[-1].seq, entries[-1].hash)
                return True
            self._head = None
        return False


class SqlAuditLog:
    """The audit domain's reading port over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def search(
        self, criteria: AuditFilter, *, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        params: dict[str, Any] = {"limit": limit + 1}
        if cursor is not None:
            params["before"] = cursor_position(cursor, "before", int)
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
        items = [_from_row(r) for r in rows[:limit]]
        next_cursor = encode_cursor({"before": items[-1].seq}) if len(rows) > limit else None
        return Page(items=items, next_cursor=next_cursor)

    async def scan(self, *, after_seq: int, limit: int) -> list[AuditEntry]:
        rows = await self._session.fetch_all(_SCAN, {"after": after_seq, "limit": limit})
        return [_from_row(r) for r in rows]

    async def head(self) -> ChainHead | None:
        row = await self._session.fetch_one(_HEAD_READ)
        return None if row is None else ChainHead(int(row["seq"]), str(row["hash"]))


@cache
def _search_statement(shape: tuple[bool, ...]) -> Statement:
    patient, actor, action, since, until, before = shape
    e = audit_entries.c
    where: list[sa.ColumnElement[bool]] = []
    if patient:
        a = audit_patients.c
        where.append(e.seq.in_(sa.select(a.seq).where(a.patient_id == sa.bindparam("patient_id"))))
    if actor:
        where.append(e.actor_id == sa.bindparam("actor_id"))
    if action:
        where.append(e.action == sa.bindparam("action"))
    if since:
        where.append(e.at >= sa.bindparam("since", type_=e.at.type))
    if until:
        where.append(e.at < sa.bindparam("until", type_=e.at.type))
    if before:
        where.append(e.seq < sa.bindparam("before"))
    query = sa.select(audit_entries).where(*where).order_by(e.seq.desc())
    return Statement(query.limit(sa.bindparam("limit")))


def _to_row(entry: AuditEntry) -> dict[str, Any]:
    row = dict(vars(entry))
    row["patient_ids"] = orjson.dumps(list(entry.patient_ids)).decode()
    return row


def _from_row(row: Row) -> AuditEntry:
    patient_ids = row["patient_ids"]
    if isinstance(patient_ids, str):
        patient_ids = orjson.loads(patient_ids)
    return AuditEntry(
        seq=int(row["seq"]),
        at=as_datetime(row["at"]),
        actor_id=row["actor_id"],
        actor_role=row["actor_role"],
        action=row["action"],
        resource_type=row["resource_type"],
        resource_id=row["resource_id"],
        patient_ids=tuple(patient_ids),
        outcome=row["outcome"],
        request_id=row["request_id"],
        client_address=row["client_address"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )
