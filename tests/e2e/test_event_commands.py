"""`carehub events dead-letters` and `carehub events catalogue` as real processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from carehub.adapters.sql.dead_letters import SqlDeadLetters
from carehub.adapters.sql.sqlite import SqliteDatabase, sqlite_path
from carehub.events.model import DeadLetter
from carehub.kernel.events import EventMessage
from carehub.kernel.ids import new_id
from tests.support.services import fresh_sqlite

CAREHUB = str(Path(sys.executable).with_name("carehub"))
REGISTERED = "patients.patient_registered.v1"


def carehub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CAREHUB, *args], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def park_one(url: str) -> DeadLetter:
    """A registration the analytics consumer gave up on."""
    letter = DeadLetter(
        letter_id=new_id(),
        consumer="analytics",
        message=EventMessage(
            event_id=new_id(),
            event_type=REGISTERED,
            aggregate_id="p-1",
            occurred_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
            actor_id="user-1",
            payload={"patientId": "p-1", "countryId": "PE"},
        ),
        attempts=5,
        last_error="OperationalError: database is locked",
        parked_at=datetime(2026, 11, 20, 9, 1, tzinfo=UTC),
    )

    async def park() -> None:
        db = SqliteDatabase(sqlite_path(url))
        try:
            await SqlDeadLetters(db).park(letter)
        finally:
            await db.close()

    asyncio.run(park())
    return letter


def test_dead_letters_are_listed_and_replayed_from_the_command_line(
    sqlite_template: Path, tmp_path: Path
) -> None:
    url = fresh_sqlite(sqlite_template, tmp_path)
    env = {"CAREHUB_DATABASE_URL": url, "CAREHUB_DATA_DIR": str(tmp_path)}
    letter = park_one(url)

    listed = carehub(env, "events", "dead-letters")
    assert listed.returncode == 0, listed.stderr
    assert letter.letter_id in listed.stdout
    assert "database is locked" in listed.stdout

    replayed = carehub(env, "events", "dead-letters", "--replay", letter.letter_id)
    assert replayed.returncode == 0, replayed.stderr
    assert f"replayed {letter.letter_id}" in replayed.stderr
    assert letter.letter_id not in carehub(env, "events", "dead-letters").stdout
    again = carehub(env, "events", "dead-letters", "--include-replayed")
    assert letter.letter_id in again.stdout

    missing = carehub(env, "events", "dead-letters", "--replay", "nope")
    assert missing.returncode == 1
    assert "not found" in missing.stderr


def test_the_catalogue_command_prints_the_docs_catalogue() -> None:
    printed = carehub({}, "events", "catalogue")
    assert printed.returncode == 0, printed.stderr
    docs = Path(__file__).parents[2] / "docs" / "events.md"
    assert printed.stdout == docs.read_text()
