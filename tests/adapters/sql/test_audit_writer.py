"""The audit writer of reads: reads ready together share a commit; a failed commit fails
only the reads that were in it; the chain stays whole either way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from carehub.adapters.sql.audit import AuditWriter
from carehub.adapters.sql.audit_log import SqlAuditLog
from carehub.adapters.sql.database import Database, Session
from carehub.audit.verification import ShardVerifier
from carehub.kernel.actor import Actor
from carehub.kernel.audit import AccessRecord
from tests.conftest import BACKENDS
from tests.support.services import empty_database


@pytest.fixture(params=BACKENDS)
async def db(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[Database]:
    async with empty_database(request.param, request, sqlite_template, tmp_path) as database:
        yield database


class Commits:
    """Stands in for the writer's commit: counts the records of each, and can hold one
    back or make it fail."""

    def __init__(self, writer: AuditWriter) -> None:
        self._commit = writer._append
        self.sizes: list[int] = []
        self.tasks: list[asyncio.Task[object] | None] = []  # where each commit ran
        self.gate: asyncio.Event | None = None
        self.fail_next = False
        self.started = asyncio.Event()

    async def __call__(self, records: Sequence[AccessRecord], spare: Session | None) -> None:
        self.sizes.append(len(records))
        self.tasks.append(asyncio.current_task())
        self.started.set()
        if self.gate is not None:
            gate, self.gate = self.gate, None
            await gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the disk is full")
        await self._commit(records, spare)


@pytest.fixture
def writer(db: Database, monkeypatch: pytest.MonkeyPatch) -> AuditWriter:
    """A writer whose commits go through `Commits` (as `writer._append`)."""
    audit_writer = AuditWriter(db)
    monkeypatch.setattr(audit_writer, "_append", Commits(audit_writer))
    return audit_writer


def commits_of(writer: AuditWriter) -> Commits:
    commits = writer._append
    assert isinstance(commits, Commits)
    return commits


def a_read(patient_id: str) -> AccessRecord:
    return AccessRecord(
        actor=Actor.system("test"),
        action="patient.read",
        resource_type="patient",
        resource_id=patient_id,
        patient_ids=(patient_id,),
        at=datetime.now(UTC),
    )


async def stored_reads(db: Database) -> list[str | None]:
    """The resource ids of the stored entries (the writer's one shard), after checking its
    whole chain against its head."""
    async with db.session() as session:
        log = SqlAuditLog(session)
        entries = await log.scan(shard=0, after_seq=0, limit=1000)
        head = (await log.stored_heads())[0]
    verifier = ShardVerifier(0)
    assert all(verifier.feed(entry) for entry in entries)
    verifier.finish(head)
    assert verifier.bad is None
    return [entry.resource_id for entry in entries]


async def test_reads_ready_at_once_share_one_commit(db: Database, writer: AuditWriter) -> None:
    commits = commits_of(writer)

    await asyncio.gather(*(writer.write([a_read(f"p{n}")]) for n in range(20)))

    assert commits.sizes == [20]
    assert sorted(await stored_reads(db), key=str) == sorted(f"p{n}" for n in range(20))


async def test_a_lone_read_commits_its_own_entry(db: Database, writer: AuditWriter) -> None:
    commits = commits_of(writer)

    for n in range(3):
        await writer.write([a_read(f"p{n}")])

    assert commits.sizes == [1, 1, 1]
    assert commits.tasks == [asyncio.current_task()] * 3  # no hand-over to another task
    assert await stored_reads(db) == ["p0", "p1", "p2"]


async def test_a_failed_commit_fails_only_its_own_reads(db: Database, writer: AuditWriter) -> None:
    commits = commits_of(writer)
    commits.gate, commits.fail_next = asyncio.Event(), True
    gate = commits.gate

    first = asyncio.create_task(writer.write([a_read("lost")]))
    await commits.started.wait()  # the first read's commit is under way
    later = [asyncio.create_task(writer.write([a_read(f"kept{n}")])) for n in range(3)]
    await asyncio.sleep(0)  # they queue behind it
    gate.set()
    outcomes = await asyncio.gather(first, *later, return_exceptions=True)

    assert isinstance(outcomes[0], RuntimeError)
    assert outcomes[1:] == [None, None, None]
    assert commits.sizes == [1, 3]
    assert await stored_reads(db) == ["kept0", "kept1", "kept2"]
    await writer.write([a_read("after")])  # the writer is not left busy
    assert (await stored_reads(db))[-1] == "after"


class ClosesAfter:
    """A session whose close lets the commit under way end, and returns after it has."""

    def __init__(self, gate: asyncio.Event, commit: asyncio.Task[None]) -> None:
        self._gate = gate
        self._commit = commit
        self.closed = False

    async def close(self) -> None:
        self._gate.set()
        await self._commit
        self.closed = True


async def test_a_read_queued_behind_a_commit_is_stored_though_the_commit_ends_as_it_closes(
    db: Database, writer: AuditWriter
) -> None:
    commits = commits_of(writer)
    commits.gate = gate = asyncio.Event()
    first = asyncio.create_task(writer.write([a_read("first")]))
    await commits.started.wait()  # the first read's commit is under way
    spare = ClosesAfter(gate, first)

    second = writer.write([a_read("second")], spare=spare)  # type: ignore[arg-type]
    await asyncio.wait_for(second, timeout=5)

    assert spare.closed
    assert commits.sizes == [1, 1]
    assert await stored_reads(db) == ["first", "second"]


class Spare:
    """A reader's session handed to the writer; records whether it was given back."""

    closed = False

    async def close(self) -> None:
        self.closed = True


async def test_a_read_cancelled_before_its_commit_still_gives_its_session_back(
    db: Database, writer: AuditWriter
) -> None:
    spare = Spare()
    read = asyncio.create_task(writer.write([a_read("gone")], spare=spare))  # type: ignore[arg-type]
    await asyncio.sleep(0)  # it waits a turn for other reads to join its commit
    read.cancel()

    with pytest.raises(asyncio.CancelledError):
        await read

    assert spare.closed  # or its pool connection would be lost for good
