"""The audit trail on SQL: appending chained entries to a shard.

An append locks its shard's head row (`FOR UPDATE` on PostgreSQL; SQLite has one writer
anyway), so a shard's sequence numbers have no gaps and every hash covers its predecessor;
appends to different shards do not wait for each other. Units of work that only read hand
their records to `AuditWriter`, which stores the records of concurrent requests in one
transaction (group commit) and releases each request once its entries are durable.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from carehub.adapters.sql.database import Database, Session, Statement, insert_into
from carehub.adapters.sql.tables import audit_chain_head, audit_entries, audit_patients
from carehub.audit.model import GENESIS_HASH, AuditEntry, ChainHead, chain
from carehub.audit.shards import AuditShards, ShardTurn
from carehub.kernel.audit import AccessRecord

_h = audit_chain_head.c
_LOCK_HEAD = Statement(
    sa.select(_h.seq, _h.hash).where(_h.shard == sa.bindparam("shard")).with_for_update()
)
_HEAD_READ = Statement(sa.select(_h.seq, _h.hash).where(_h.shard == sa.bindparam("shard")))
# A shard's first append makes its head row; appends racing for it meet on the key.
_ADD_HEAD = Statement(
    sa.text(
        "INSERT INTO audit_chain_head (shard, seq, hash) VALUES (:shard, 0, :genesis) "
        "ON CONFLICT (shard) DO NOTHING"
    )
)
_MOVE_HEAD = Statement(
    sa.update(audit_chain_head)
    .where(_h.shard == sa.bindparam("b_shard"))
    .values(seq=sa.bindparam("seq"), hash=sa.bindparam("hash"))
)
_INSERT_ENTRY = insert_into(audit_entries, generated=())
_INSERT_PATIENT = insert_into(audit_patients, generated=())

_AT_ONCE_ATTEMPTS = 5
_ENTRY_COLUMNS = (
    "seq", "at", "actor_id", "actor_role", "action", "resource_type", "resource_id",
    "patient_ids", "outcome", "request_id", "client_address", "links", "prev_hash", "hash",
)  # fmt: skip
# Data-modifying CTEs: the entries and their patient index rows are inserted only if the
# shard's head moved, all in the statement's one implicit transaction, whose commit waits
# for the disk or not as `synchronous_commit` says (set for this transaction only).
_APPEND_AT_ONCE = Statement(
    sa.text("""
WITH moved AS (
    UPDATE audit_chain_head SET seq = :new_seq, hash = :new_hash
    WHERE shard = :shard AND seq = :old_seq AND hash = :old_hash
        AND set_config('synchronous_commit', :synchronous_commit, true) IS NOT NULL
    RETURNING shard
), entries AS (
    INSERT INTO audit_entries (shard, seq, at, actor_id, actor_role, action, resource_type,
        resource_id, patient_ids, outcome, request_id, client_address, links, prev_hash, hash)
    SELECT moved.shard, e.* FROM moved, unnest(
        CAST(:seq AS bigint[]), CAST(:at AS timestamptz[]), CAST(:actor_id AS text[]),
        CAST(:actor_role AS text[]), CAST(:action AS text[]), CAST(:resource_type AS text[]),
        CAST(:resource_id AS text[]), CAST(:patient_ids AS jsonb[]), CAST(:outcome AS text[]),
        CAST(:request_id AS text[]), CAST(:client_address AS text[]),
        CAST(:links AS jsonb[]), CAST(:prev_hash AS text[]), CAST(:hash AS text[])) AS e
), patients AS (
    INSERT INTO audit_patients (patient_id, at, shard, seq)
    SELECT p.patient_id, p.at, moved.shard, p.seq FROM moved, unnest(
        CAST(:patient_patient_id AS text[]), CAST(:patient_at AS timestamptz[]),
        CAST(:patient_seq AS bigint[])) AS p (patient_id, at, seq)
)
SELECT count(*) AS moved FROM moved
""")
)


def _at_once_params(
    entries: Sequence[AuditEntry], head: ChainHead, *, durable: bool
) -> dict[str, Any]:
    rows = [entry_row(e) for e in entries]
    params: dict[str, Any] = {c: [r[c] for r in rows] for c in _ENTRY_COLUMNS}
    patients = _patient_rows(entries)
    for column in ("patient_id", "at", "seq"):
        params[f"patient_{column}"] = [row[column] for row in patients]
    last = entries[-1]
    params.update(new_seq=last.seq, new_hash=last.hash, old_seq=head.seq, old_hash=head.hash)
    params["shard"] = head.shard
    params["synchronous_commit"] = "on" if durable else "off"
    return params


def entry_row(entry: AuditEntry) -> dict[str, Any]:
    """An entry as its `audit_entries` row."""
    row = dict(vars(entry))
    row["patient_ids"] = orjson.dumps(list(entry.patient_ids)).decode()
    links = [[link.shard, link.seq, link.hash] for link in entry.links]
    row["links"] = orjson.dumps(links).decode() if links else None
    return row


def _patient_rows(entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    return [
        {"patient_id": p, "at": e.at, "shard": e.shard, "seq": e.seq}
        for e in entries
        for p in dict.fromkeys(e.patient_ids)
    ]


async def append(
    session: Session,
    records: Sequence[AccessRecord],
    shard: int,
    links: Sequence[ChainHead] = (),
) -> list[AuditEntry]:
    """Chain and insert records at the end of `shard`, inside the session's transaction."""
    if not records:
        return []
    await session.begin()
    row = await session.fetch_one(_LOCK_HEAD, {"shard": shard})
    if row is None:
        await session.execute(_ADD_HEAD, {"shard": shard, "genesis": GENESIS_HASH})
        row = await session.fetch_one(_LOCK_HEAD, {"shard": shard})
    if row is None:
        raise RuntimeError(f"audit shard {shard} has no head row")
    entries = chain(records, ChainHead(shard, int(row["seq"]), str(row["hash"])), links)
    await session.execute_many(_INSERT_ENTRY, [entry_row(e) for e in entries])
    await session.execute_many(_INSERT_PATIENT, _patient_rows(entries))
    last = entries[-1]
    await session.execute(_MOVE_HEAD, {"b_shard": shard, "seq": last.seq, "hash": last.hash})
    return entries


class AuditWriter:
    """Group commit for the audit records of read-only units of work: the records of
    concurrent reads are chained and stored together, in one round trip on PostgreSQL.

    Unless `wait_for_disk`, a read is answered once its entries are committed, before the
    disk has them: they survive a crash of carehub at once and a power loss a moment later
    (see `Session.commit`). Changes, and their entries, always wait for the disk.
    """

    def __init__(
        self, db: Database, *, wait_for_disk: bool = False, shards: AuditShards | None = None
    ) -> None:
        self._db = db
        self._durable = wait_for_disk
        # Where this process appends (shared with its units of work that change data).
        self.shards = shards or AuditShards(1)
        # Records waiting for the next commit, with the future of the read that waits for
        # them (None for the read that is storing them itself).
        self._pending: list[tuple[Sequence[AccessRecord], asyncio.Future[None] | None]] = []
        self._busy = False  # a commit is being prepared or made
        self._flushing: asyncio.Task[None] | None = None  # held, or the loop may drop it
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
        async with self.shards.turn() as turn:
            if self._one_statement:
                # Given back before the locked way below takes a connection of its own.
                async with spare or self._db.session(durable=self._durable) as session:
                    if await self._append_at_once(session, records, turn):
                        return
            async with self._db.session(durable=self._durable) as session:
                entries = await append(session, records, turn.shard, turn.links)
                await session.commit()
            turn.appended(entries)

    async def _append_at_once(
        self, session: Session, records: Sequence[AccessRecord], turn: ShardTurn
    ) -> bool:
        """PostgreSQL: one autocommitted statement (one round trip) chains the records
        after the head this writer left in the shard and moves the head only if it is still
        there. If another process moved it, read it again; False after too many such races,
        or for a shard without its head row yet."""
        for _ in range(_AT_ONCE_ATTEMPTS):
            if turn.head is None:
                row = await session.fetch_one(_HEAD_READ, {"shard": turn.shard})
                if row is None:
                    return False
                turn.head = ChainHead(turn.shard, int(row["seq"]), str(row["hash"]))
            entries = chain(records, turn.head, turn.links)
            params = _at_once_params(entries, turn.head, durable=self._durable)
            row = await session.fetch_one(_APPEND_AT_ONCE, params)
            if row is not None and row["moved"]:
                turn.appended(entries)
                return True
            turn.lost_race()
        return False
