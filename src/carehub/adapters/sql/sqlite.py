"""SQLite: one writer connection shared by group commit, one reader, WAL mode."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Self

import structlog
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine.interfaces import Dialect

from carehub.adapters.files.private import create_private_file
from carehub.adapters.sql.database import OverlapViolation, Row, Statement, UniqueViolation

_SQLITE_DIALECT = sqlite.dialect(paramstyle="named")

sqlite3.register_adapter(datetime, datetime.isoformat)
sqlite3.register_adapter(date, date.isoformat)
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")
# The messages of the slot_claims triggers (migration 0005).
_SQLITE_OVERLAPS = {
    "slot_claims_doctor_overlap": "doctor",
    "slot_claims_patient_overlap": "patient",
}


CHECKPOINT_EVERY_SECONDS = 1.0
# The WAL starts over once it holds this much (a checkpoint then holds writers off while
# it waits for an fsync of the database file, often tens of milliseconds, and every write,
# the audit entry of each read included, waits with it), and is cut back to it after.
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
# A commit that did not wait for the disk is on it this long after, at most.
LAZY_SYNC_SECONDS = 0.05

log = structlog.get_logger("carehub.sqlite")


def sqlite_path(url: str) -> Path:
    """The file of a `sqlite:///path` URL."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a SQLite URL: {url!r}")
    return Path(url.removeprefix("sqlite:///"))


def open_sqlite(path: Path, *, synchronous: str = "FULL") -> sqlite3.Connection:
    """A connection in WAL mode with a busy timeout and foreign keys on."""
    create_private_file(path)  # SQLite gives its -wal and -shm files the database's mode
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    # When the WAL starts over, it is cut back to this size instead of keeping its peak.
    conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
    return conn


class SqliteDatabase:
    """SQLite in WAL mode: one writer connection shared by group commit, one reader.

    sqlite3 calls take microseconds, so statements run inline on the event loop (a thread
    hop would cost more than the query). Units of work write one at a time under a lock,
    each inside a savepoint of a transaction they share; a unit's `commit` releases its
    savepoint and waits for the COMMIT that makes the whole group durable. With
    synchronous=FULL that COMMIT (an fsync) runs on a thread while the next group forms,
    so concurrent writers share one fsync instead of queueing for one each. Reads outside
    a unit that has written see only committed data; a unit that has written reads its
    own writes on the writer.

    A session opened with `durable=False` (the audit entries of reads) writes, when no
    group is forming, on a second connection with synchronous=NORMAL and commits at once:
    safe from a crash of the process, and on disk within `LAZY_SYNC_SECONDS`, or sooner by
    the next durable COMMIT, whose fsync covers the whole WAL before it.
    """

    dialect: Dialect = _SQLITE_DIALECT

    def __init__(self, path: Path, *, synchronous: str = "FULL") -> None:
        self.path = path
        self._synchronous = synchronous
        self._writer = open_sqlite(path, synchronous=synchronous)
        self._reader = open_sqlite(path, synchronous=synchronous)
        self._reader.execute("PRAGMA query_only=ON")
        self._write_lock = asyncio.Lock()
        self._waiting: list[asyncio.Future[None]] = []  # released units awaiting COMMIT
        self._committer: asyncio.Task[None] | None = None
        self._fsync = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-commit")
        # A COMMIT that crosses the WAL's auto-checkpoint size would copy pages (and fsync)
        # on the event loop; checkpoints run on their own connection and thread instead.
        self._writer.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointer = open_sqlite(path, synchronous=synchronous)
        self._page_size = int(self._checkpointer.execute("PRAGMA page_size").fetchone()[0])
        self._checkpoints = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-wal")
        self._checkpoint: asyncio.Task[None] | None = None
        self._checkpointed_at = time.monotonic()
        self._lazy_writer: sqlite3.Connection | None = None
        if synchronous == "FULL":
            self._lazy_writer = open_sqlite(path, synchronous="NORMAL")
            self._lazy_writer.execute("PRAGMA wal_autocheckpoint=0")
        self._wal_sync: asyncio.TimerHandle | None = None
        self._closed = False

    def session(self, *, durable: bool = True) -> SqliteSession:
        return SqliteSession(self, durable)

    async def ping(self) -> None:
        self._reader.execute("SELECT 1").fetchone()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._committer is not None:
            await asyncio.gather(self._committer, return_exceptions=True)
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        if self._wal_sync is not None:
            self._wal_sync.cancel()  # the TRUNCATE checkpoint below syncs everything
        self._fsync.shutdown()
        self._checkpoints.shutdown()
        self._checkpointer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._checkpointer.close()
        if self._lazy_writer is not None:
            self._lazy_writer.close()
        self._writer.close()
        self._reader.close()

    async def _open_unit(self, *, durable: bool) -> sqlite3.Connection:
        """Take the write lock; the connection the unit writes on."""
        await self._write_lock.acquire()
        try:
            lazy = self._lazy_writer
            if not durable and lazy is not None and not self._writer.in_transaction:
                lazy.execute("BEGIN IMMEDIATE")
                return lazy
            if not self._writer.in_transaction:
                self._writer.execute("BEGIN IMMEDIATE")
            self._writer.execute("SAVEPOINT unit")
        except BaseException:
            self._write_lock.release()
            raise
        return self._writer

    async def _commit_unit(self, conn: sqlite3.Connection) -> None:
        """Keep the unit's writes and wait until they are durable (a lazy unit: until they
        are committed)."""
        if conn is self._lazy_writer:
            self._commit_lazily(conn)
            return
        try:
            self._writer.execute("RELEASE unit")
        except BaseException:
            self._discard_unit(conn)
            raise
        done = asyncio.get_running_loop().create_future()
        self._waiting.append(done)
        self._write_lock.release()
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_group())
        await asyncio.shield(done)  # a cancelled request still has its writes committed

    def _commit_lazily(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("COMMIT")
        except BaseException:
            self._discard_unit(conn)
            raise
        self._write_lock.release()
        if self._wal_sync is None:
            loop = asyncio.get_running_loop()
            self._wal_sync = loop.call_later(LAZY_SYNC_SECONDS, self._sync_wal)
        self._checkpoint_now_and_then()

    def _sync_wal(self) -> None:
        self._wal_sync = None
        if not self._closed:
            self._fsync.submit(_fsync_file, Path(f"{self.path}-wal"))

    def _discard_unit(self, conn: sqlite3.Connection) -> asyncio.Future[None] | None:
        """Undo the unit's writes and let the next unit in.

        A unit may have read writes of released units that are not committed yet (a
        version it lost to, say). The future returned, if any, settles once those are
        committed: until then the caller's next read, on the reader, would not see what
        the discarded unit saw, and would take a lost race for something that never was.
        """
        if conn is self._lazy_writer:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            finally:
                self._write_lock.release()
            return None
        behind: asyncio.Future[None] | None = None
        try:
            if self._writer.in_transaction:
                self._writer.execute("ROLLBACK TO unit")
                self._writer.execute("RELEASE unit")
                if not self._waiting:  # nothing else to keep: end the write transaction
                    self._writer.execute("ROLLBACK")
                else:
                    behind = asyncio.get_running_loop().create_future()
                    self._waiting.append(behind)
            else:
                # SQLite rolled the whole transaction back (a full disk, an I/O error):
                # the released units waiting for their COMMIT lost their writes too.
                self._settle(sqlite3.OperationalError("the transaction was rolled back"))
        finally:
            self._write_lock.release()
        if behind is not None and (self._committer is None or self._committer.done()):
            self._committer = asyncio.create_task(self._commit_group())
        return behind

    async def _commit_group(self) -> None:
        async with self._write_lock:
            if not self._waiting:
                return
            try:
                if self._synchronous == "FULL":  # the COMMIT waits for an fsync
                    loop = asyncio.get_running_loop()
                    await loop.run_in_executor(self._fsync, self._writer.execute, "COMMIT")
                else:
                    self._writer.execute("COMMIT")
            except Exception as exc:
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK")
                self._settle(exc)
            else:
                self._settle(None)
        self._checkpoint_now_and_then()

    def _checkpoint_now_and_then(self) -> None:
        """Copy committed pages from the WAL into the database file, in the background."""
        if self._checkpoint is not None and not self._checkpoint.done():
            return
        if time.monotonic() - self._checkpointed_at < CHECKPOINT_EVERY_SECONDS:
            return
        self._checkpointed_at = time.monotonic()
        self._checkpoint = asyncio.create_task(self._checkpoint_whole_wal())

    async def _checkpoint_whole_wal(self) -> None:
        """Checkpoint while units go on writing; once the WAL has grown past
        `WAL_SIZE_LIMIT_BYTES`, checkpoint again, holding them off, the few pages they added
        meanwhile. The WAL is then wholly in the database file, and the next write starts
        it over. Under steady writes a checkpoint never catches up by itself: the WAL would
        only grow, and every read search a longer index of it.
        """
        loop = asyncio.get_running_loop()
        try:
            frames = await loop.run_in_executor(self._checkpoints, self._checkpoint_passive)
            if frames * self._page_size < WAL_SIZE_LIMIT_BYTES:
                return
            async with self._write_lock:
                if self._writer.in_transaction:  # a group awaits its COMMIT: next time
                    return
                await loop.run_in_executor(self._checkpoints, self._checkpoint_passive)
        except sqlite3.Error as exc:  # another process may hold the database: next time
            log.warning("wal_checkpoint_failed", error=str(exc))

    def _checkpoint_passive(self) -> int:
        """Copy what it can of the WAL into the database file; the frames the WAL holds."""
        row = self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(row[1])  # (busy, frames in the WAL, frames copied)

    def _settle(self, error: Exception | None) -> None:
        waiting, self._waiting = self._waiting, []
        for done in waiting:
            if done.done():
                continue
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)


class SqliteSession:
    __slots__ = ("_db", "_durable", "_writer")

    def __init__(self, db: SqliteDatabase, durable: bool = True) -> None:
        self._db = db
        self._durable = durable
        self._writer: sqlite3.Connection | None = None  # the open unit's connection

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def begin(self) -> None:
        await self._begin()

    @property
    def in_transaction(self) -> bool:
        return self._writer is not None

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        writer = await self._begin()
        writer.execute("SAVEPOINT nested")
        try:
            yield
        except BaseException:
            if writer.in_transaction:  # else SQLite already rolled everything back
                writer.execute("ROLLBACK TO nested")
                writer.execute("RELEASE nested")
            raise
        writer.execute("RELEASE nested")

    def _conn(self) -> sqlite3.Connection:
        return self._db._reader if self._writer is None else self._writer

    async def fetch_one(
        self, stmt: Statement, params: Mapping[str, Any] | None = None
    ) -> Row | None:
        compiled = stmt.compiled(_SQLITE_DIALECT)
        row = self._conn().execute(compiled.sql, compiled.bind(params)).fetchone()
        return row  # type: ignore[no-any-return]

    async def fetch_all(
        self, stmt: Statement, params: Mapping[str, Any] | None = None
    ) -> list[Row]:
        compiled = stmt.compiled(_SQLITE_DIALECT)
        return self._conn().execute(compiled.sql, compiled.bind(params)).fetchall()

    async def execute(self, stmt: Statement, params: Mapping[str, Any] | None = None) -> int:
        writer = await self._begin()
        compiled = stmt.compiled(_SQLITE_DIALECT)
        try:
            cursor = writer.execute(compiled.sql, compiled.bind(params))
        except sqlite3.IntegrityError as exc:
            raise _sqlite_violation(exc) from exc
        return cursor.rowcount

    async def execute_returning(self, stmt: Statement, params: Mapping[str, Any]) -> Row:
        writer = await self._begin()
        compiled = stmt.compiled(_SQLITE_DIALECT)
        try:
            row = writer.execute(compiled.sql, compiled.bind(params)).fetchone()
        except sqlite3.IntegrityError as exc:
            raise _sqlite_violation(exc) from exc
        return row  # type: ignore[no-any-return]

    async def execute_many(self, stmt: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        writer = await self._begin()
        compiled = stmt.compiled(_SQLITE_DIALECT)
        try:
            writer.executemany(compiled.sql, [compiled.bind(r) for r in rows])
        except sqlite3.IntegrityError as exc:
            raise _sqlite_violation(exc) from exc

    async def commit(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            await self._db._commit_unit(writer)

    async def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        behind = self._db._discard_unit(writer)
        if behind is not None:
            with contextlib.suppress(Exception):  # their writers are told if it failed
                await asyncio.shield(behind)

    async def _begin(self) -> sqlite3.Connection:
        if self._writer is None:
            self._writer = await self._db._open_unit(durable=self._durable)
        return self._writer


def _fsync_file(path: Path) -> None:
    """Flush a file's written pages to disk (any descriptor of the file will do)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return  # no WAL: everything is in the database file already
    try:
        os.fsync(fd)
    except OSError as exc:
        log.error("wal_sync_failed", error=exc.strerror)
    finally:
        os.close(fd)


def _sqlite_violation(exc: sqlite3.IntegrityError) -> Exception:
    party = _SQLITE_OVERLAPS.get(str(exc))
    if party is not None:
        return OverlapViolation(party)
    match = _SQLITE_UNIQUE.search(str(exc))
    if match is None:
        return exc
    qualified = [c.strip() for c in match.group(1).split(",")]
    table = qualified[0].split(".")[0]
    return UniqueViolation(table, tuple(c.split(".")[-1] for c in qualified))
