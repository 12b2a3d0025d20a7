"""SQLite units of work share COMMITs, and each keeps only its own writes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from carehub.adapters.sql import sqlite as sqlite_adapter
from carehub.adapters.sql.database import Statement, UniqueViolation
from carehub.adapters.sql.sqlite import SqliteDatabase

INSERT = Statement(sa.text("INSERT INTO notes (k) VALUES (:k)"))
COUNT = Statement(sa.text("SELECT count(*) AS n FROM notes"))


class CountingExecutor(ThreadPoolExecutor):
    """The database's COMMIT thread, counting the COMMITs it runs."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.commits = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.commits += 1
        return super().submit(fn, *args, **kwargs)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    path = tmp_path / "group.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (k TEXT PRIMARY KEY)")
    database = SqliteDatabase(path)
    try:
        yield database
    finally:
        await database.close()


def committed_keys(db: SqliteDatabase) -> set[str]:
    """What another connection sees: only committed rows."""
    with sqlite3.connect(db.path) as conn:
        return {k for (k,) in conn.execute("SELECT k FROM notes")}


async def write(db: SqliteDatabase, *keys: str, fail: bool = False) -> None:
    session = db.session()
    try:
        for key in keys:
            await session.execute(INSERT, {"k": key})
            await asyncio.sleep(0)  # let the other units run in between
        if fail:
            await session.execute(INSERT, {"k": keys[0]})  # a duplicate: refused
        await session.commit()
    finally:
        await session.close()


async def test_concurrent_units_are_all_durable_and_share_commits(db: SqliteDatabase) -> None:
    db._fsync = executor = CountingExecutor()  # counts the COMMITs
    await asyncio.gather(*(write(db, f"k{i}", f"k{i}-b") for i in range(40)))
    assert len(committed_keys(db)) == 80
    assert 1 <= executor.commits < 40


async def test_a_failing_unit_loses_only_its_own_writes(db: SqliteDatabase) -> None:
    outcomes = await asyncio.gather(
        write(db, "a1", "a2"),
        write(db, "b1", "b2", fail=True),
        write(db, "c1"),
        return_exceptions=True,
    )
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], UniqueViolation)
    assert committed_keys(db) == {"a1", "a2", "c1"}


async def test_a_lone_failed_unit_leaves_the_database_writable(db: SqliteDatabase) -> None:
    with pytest.raises(UniqueViolation):
        await write(db, "x", fail=True)
    with sqlite3.connect(db.path, timeout=0) as other:  # no waiting: a lock would fail now
        other.execute("INSERT INTO notes (k) VALUES ('from-elsewhere')")
    assert committed_keys(db) == {"from-elsewhere"}


async def test_others_see_a_unit_s_writes_only_after_its_commit(db: SqliteDatabase) -> None:
    writer, reader = db.session(), db.session()
    try:
        await writer.execute(INSERT, {"k": "pending"})
        assert (await writer.fetch_one(COUNT) or {})["n"] == 1  # its own writes
        assert (await reader.fetch_one(COUNT) or {})["n"] == 0
        await writer.commit()
        assert (await reader.fetch_one(COUNT) or {})["n"] == 1
    finally:
        await writer.close()
        await reader.close()


async def test_a_unit_that_lost_to_a_released_unit_then_reads_what_it_lost_to(
    db: SqliteDatabase,
) -> None:
    """A unit sees the writes of units released before it, committed or not; once it
    gives up, a read must not see an older state than the one it gave up on."""
    first, second = db.session(), db.session()
    await first.execute(INSERT, {"k": "won"})
    seen = asyncio.Event()

    async def lose() -> None:
        await second.begin()  # queued for the write lock behind the first unit
        assert (await second.fetch_one(COUNT) or {})["n"] == 1  # released, not committed
        seen.set()
        await second.close()  # gives up, as a unit that lost a version check does

    losing = asyncio.create_task(lose())
    await asyncio.sleep(0)
    committing = asyncio.create_task(first.commit())
    await losing
    assert seen.is_set()
    async with db.session() as after:
        assert (await after.fetch_one(COUNT) or {})["n"] == 1
    await committing
    assert committed_keys(db) == {"won"}


async def test_a_cancelled_request_still_gets_its_writes_committed(db: SqliteDatabase) -> None:
    task = asyncio.create_task(write(db, "kept"))
    for _ in range(100):  # until the unit waits for its COMMIT
        if db._waiting:
            break
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await db.close()  # waits for the COMMIT in flight
    assert committed_keys(db) == {"kept"}


async def test_the_wal_is_checkpointed_in_the_background(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_adapter, "CHECKPOINT_EVERY_SECONDS", 0.0)
    before = db.path.stat().st_size
    await asyncio.gather(*(write(db, f"{i:04d}" + "x" * 2000) for i in range(200)))
    assert db._checkpoint is not None
    await db._checkpoint  # it may have started before the last COMMIT
    await write(db, "last")  # this COMMIT starts a checkpoint of every row
    await db._checkpoint
    assert db.path.stat().st_size > before + 200 * 2000  # the rows reached the main file


async def write_lazily(db: SqliteDatabase, key: str, *, fail: bool = False) -> None:
    async with db.session(durable=False) as session:
        await session.execute(INSERT, {"k": key})
        if fail:
            await session.execute(INSERT, {"k": key})
        await session.commit()


async def test_a_lazy_unit_commits_at_once_and_the_wal_is_synced_soon_after(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(sqlite_adapter, "_fsync_file", synced.append)
    db._fsync = executor = CountingExecutor()
    await write_lazily(db, "read-1")
    await write_lazily(db, "read-2")
    assert committed_keys(db) == {"read-1", "read-2"}  # committed before any sync
    assert synced == []
    await asyncio.sleep(sqlite_adapter.LAZY_SYNC_SECONDS * 4)
    assert synced == [Path(f"{db.path}-wal")]  # one sync for both
    assert executor.commits == 1


async def test_a_lazy_unit_joins_a_durable_group_that_is_forming(db: SqliteDatabase) -> None:
    db._fsync = executor = CountingExecutor()
    durable = db.session()
    await durable.execute(INSERT, {"k": "change"})
    committing = asyncio.create_task(durable.commit())  # released, waiting for its COMMIT
    await asyncio.sleep(0)
    await write_lazily(db, "read")  # shares the change's durable COMMIT
    await committing
    assert committed_keys(db) == {"change", "read"}
    assert executor.commits == 1


async def test_a_failed_lazy_unit_leaves_nothing_and_the_database_writable(
    db: SqliteDatabase,
) -> None:
    with pytest.raises(UniqueViolation):
        await write_lazily(db, "dup", fail=True)
    await write_lazily(db, "after")
    await write(db, "durable")
    assert committed_keys(db) == {"after", "durable"}


async def keep_writing(
    db: SqliteDatabase, writers: int = 4, commits: int = 150, *, name: str = "w"
) -> None:
    """Lazy commits that never pause, as the audit entries of reads under load."""

    async def one_writer(writer: int) -> None:
        for n in range(commits):
            await write_lazily(db, f"{name}{writer}-{n:03d}" + "x" * 2000)
            await asyncio.sleep(0)

    await asyncio.gather(*(one_writer(w) for w in range(writers)))


def wal_restarts(db: SqliteDatabase) -> int:
    """The WAL header's checkpoint sequence number, which goes up each time it starts over."""
    return int.from_bytes(Path(f"{db.path}-wal").read_bytes()[12:16], "big")


async def test_the_wal_starts_over_once_past_its_limit_though_writes_never_pause(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_adapter, "CHECKPOINT_EVERY_SECONDS", 3600.0)  # by hand below
    monkeypatch.setattr(sqlite_adapter, "WAL_SIZE_LIMIT_BYTES", 64 * 4096)
    await keep_writing(db, writers=1, commits=100, name="before")  # more than 64 pages
    restarts = wal_restarts(db)

    # Without the pass that holds writers off, this checkpoint would never catch up.
    await asyncio.gather(keep_writing(db), db._checkpoint_whole_wal())
    await write_lazily(db, "next")

    assert wal_restarts(db) == restarts + 1


async def test_a_checkpoint_of_a_wal_under_its_limit_never_holds_writers_off(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_adapter, "CHECKPOINT_EVERY_SECONDS", 3600.0)
    await keep_writing(db, writers=1, commits=100, name="before")  # far less than 64 MB

    async with db._write_lock:  # as a unit that is writing holds it
        await asyncio.wait_for(db._checkpoint_whole_wal(), timeout=10)

    assert len(committed_keys(db)) == 100
