"""What the patient-file tests share (contract, races, query plans): units of work on a SQL
backend, files to store, and a start line for concurrent units."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from carehub.adapters.sql.unit_of_work import SqlUnitOfWork
from carehub.bootstrap import connect, secret_box, units_of_work
from carehub.config import Settings
from carehub.documents.model import Category, FileStatus, Kind, PatientFile
from carehub.documents.ports import DocumentsUnitOfWork
from tests.support.clock import AdjustableClock

T = TypeVar("T")
NewUnit = Callable[[], SqlUnitOfWork]
# What the contract suites open: any adapter's unit of work, seen through the port.
NewDocumentsUnit = Callable[[], DocumentsUnitOfWork]

NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
STORAGE_KEY = "0123456789abcdef0123456789abcdef"
# Enough connections that every racing unit of these tests has its own.
POOL_SIZE = 25


@asynccontextmanager
async def open_units(database_url: str, folder: Path) -> AsyncIterator[NewUnit]:
    """Opens units of work on an empty, migrated SQLite or PostgreSQL database."""
    settings = Settings(database_url=database_url, data_dir=folder, database_pool_size=POOL_SIZE)
    db = await connect(database_url, settings)
    clock = AdjustableClock()
    clock.offset = NOW - clock.now()
    try:
        yield units_of_work(db, clock, secrets=secret_box(settings))
    finally:
        await db.close()


def file_id(n: int) -> str:
    """Ids in the order of `n` (generated ids are time-ordered UUIDv7s)."""
    return f"01890000-0000-7000-8000-{n:012d}"


def a_file(n: int, *, patient: str = "p-1", **fields: Any) -> PatientFile:
    """File `n`: a ready, attached lab report of `patient` (its own document, version 1)."""
    base = PatientFile(
        id=file_id(n),
        patient_id=patient,
        storage_key=STORAGE_KEY,
        document_id=f"doc-{n}",
        version=1,
        kind=Kind.DOC,
        category=Category.LAB,
        filename=f"report-{n}.pdf",
        mime_type="application/pdf",
        extension="pdf",
        status=FileStatus.READY,
        created_at=NOW,
        created_by="user-1",
        upload_expires_at=NOW + 15 * MINUTE,
        completed_at=NOW + MINUTE,
    )
    return replace(base, **fields)


def a_preop_image(n: int, *, slot: int | None, patient: str = "p-1", **fields: Any) -> PatientFile:
    """A ready, attached preop image, completed `n` minutes after NOW, holding `slot`."""
    image: dict[str, Any] = {
        "category": Category.PREOP,
        "mime_type": "image/jpeg",
        "extension": "jpg",
        "completed_at": NOW + n * MINUTE,
    }
    return a_file(n, patient=patient, preop_slot=slot, **{**image, **fields})


async def store(new_uow: NewDocumentsUnit, *files: PatientFile) -> None:
    """Adds the files in one committed unit."""
    async with new_uow() as uow:
        for f in files:
            await uow.files.add(f)
        await uow.commit()


async def get(new_uow: NewDocumentsUnit, the_id: str) -> PatientFile:
    async with new_uow() as uow:
        found = await uow.files.get(the_id)
    assert found is not None
    return found


async def race(work: Sequence[Callable[[], Awaitable[T]]]) -> list[T | Exception]:
    """Starts every piece of work at once; each gives its result or the error it raised."""
    start = asyncio.Event()

    async def run(one: Callable[[], Awaitable[T]]) -> T | Exception:
        await start.wait()
        try:
            return await one()
        except Exception as exc:  # every kind of error is counted
            return exc

    tasks = [asyncio.create_task(run(w)) for w in work]
    await asyncio.sleep(0)  # every task now waits at the start line
    start.set()
    return list(await asyncio.gather(*tasks))
