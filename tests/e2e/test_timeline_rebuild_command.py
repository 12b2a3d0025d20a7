"""`carehub timeline rebuild` as a real process: the projection emptied and replayed from
the journal, for one patient or everyone, with a count of what it rebuilt."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from carehub.adapters.sql.sqlite import SqliteDatabase, sqlite_path
from carehub.bootstrap import units_of_work
from carehub.kernel.clock import SystemClock
from carehub.kernel.events import EventMessage
from carehub.timeline.model import TimelineEntry, project
from tests.support.services import fixed_secret_box, fresh_sqlite

CAREHUB = str(Path(sys.executable).with_name("carehub"))
T0 = datetime(2031, 3, 10, 9, tzinfo=UTC)


def registered(patient: str, n: int) -> EventMessage:
    return EventMessage(
        event_id=f"ev-{patient}-{n}",
        event_type="patients.patient_updated.v1" if n else "patients.patient_registered.v1",
        aggregate_id=patient,
        occurred_at=T0 + timedelta(minutes=n),
        actor_id="user-1",
        payload={"patientId": patient, "countryId": "PE", "version": n + 1, "changedFields": []},
    )


JOURNAL = [registered("p-1", n) for n in range(3)] + [registered("p-2", n) for n in range(2)]


def entries_of(message: EventMessage) -> TimelineEntry:
    entry = project(message)
    assert entry is not None
    return entry


async def journal_and_stale_entries(url: str) -> None:
    """The journal of five events, and a projection that lost one entry and holds one
    whose event it never journaled."""
    db = SqliteDatabase(sqlite_path(url))
    try:
        new_uow = units_of_work(db, SystemClock(), secrets=fixed_secret_box())
        async with new_uow() as uow:
            for message in JOURNAL:
                await uow.timeline.journal(message, message.aggregate_id)
            for message in JOURNAL[1:]:
                await uow.timeline.add(entries_of(message))
            stray = registered("p-1", 9)
            await uow.timeline.add(entries_of(stray))
            await uow.commit()
    finally:
        await db.close()


async def timeline_of(url: str, patient: str) -> list[TimelineEntry]:
    db = SqliteDatabase(sqlite_path(url))
    try:
        async with units_of_work(db, SystemClock(), secrets=fixed_secret_box())() as uow:
            page = await uow.timeline.page(
                patient, types=None, start=None, end=None, cursor=None, limit=50
            )
    finally:
        await db.close()
    return page.items


def carehub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CAREHUB, *args], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def newest_first(patient: str) -> list[TimelineEntry]:
    found = [entries_of(m) for m in JOURNAL if m.aggregate_id == patient]
    return sorted(found, key=lambda e: (e.occurred_at, e.event_id), reverse=True)


def test_the_timeline_is_rebuilt_from_its_journal(sqlite_template: Path, tmp_path: Path) -> None:
    url = fresh_sqlite(sqlite_template, tmp_path)
    env = {"CAREHUB_DATABASE_URL": url, "CAREHUB_DATA_DIR": str(tmp_path)}
    asyncio.run(journal_and_stale_entries(url))

    one = carehub(env, "timeline", "rebuild", "--patient", "p-1")
    assert one.returncode == 0, one.stderr
    assert "rebuilt 3 timeline entries of patient p-1" in one.stderr
    assert asyncio.run(timeline_of(url, "p-1")) == newest_first("p-1")
    # The other patient's projection was left as it was (still missing nothing here).
    assert asyncio.run(timeline_of(url, "p-2")) == newest_first("p-2")

    everyone = carehub(env, "timeline", "rebuild")
    assert everyone.returncode == 0, everyone.stderr
    assert "rebuilt 5 timeline entries of every patient" in everyone.stderr
    assert "events" in everyone.stderr  # the progress bar's label
    assert asyncio.run(timeline_of(url, "p-1")) == newest_first("p-1")
