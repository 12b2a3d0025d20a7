"""Revisions of one patient record racing from the same version, on SQLite, PostgreSQL and
DynamoDB: one commits, every other fails as stale and rolls back, and only the winner's
version is kept. A version is kept if and only if its change commits.

On PostgreSQL every revision has its own connection and transaction; on SQLite they
interleave on one event loop and take turns at the single writer; on DynamoDB each is one
conditional transaction, the record on its version, the kept version beside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from carehub.bootstrap import open_store, secret_box
from carehub.countries.service import CountryService, CountrySettings
from carehub.kernel.actor import Actor
from carehub.kernel.errors import PreconditionFailed
from carehub.patients.model import HumanName, Patient, PatientChanges, PatientDetails
from carehub.patients.service import PatientDraft, PatientService
from tests.races.stores import STORES, race_settings
from tests.support.clock import AdjustableClock

SYSTEM = Actor.system("race-test")
NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
POOL_SIZE = 20
RACERS = 20
ROUNDS = 3

Outcome = Patient | Exception


@pytest.fixture(params=STORES)
async def patients(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[PatientService]:
    settings = race_settings(request, request.param, sqlite_template, tmp_path, pool_size=POOL_SIZE)
    clock = AdjustableClock()
    clock.offset = NOW - clock.now()
    store = await open_store(settings, clock, lambda: None, secrets=secret_box(settings))
    try:
        uow = store.units_of_work
        await CountryService(uow, clock).create(
            actor=SYSTEM, country_id="PE", code="PE", settings=CountrySettings()
        )
        yield PatientService(uow, clock)
    finally:
        await store.close()


async def race(patients: PatientService, patient_id: str, version: int) -> list[Outcome]:
    """Every racer revises the record from `version` at once, each to a phone no racer of
    another round sets (one that changes nothing would not be a revision)."""
    start = asyncio.Event()

    async def revise(n: int) -> Outcome:
        await start.wait()
        changes = PatientChanges(phone=f"+51 900 {version:03d} {n:03d}")
        try:
            return await patients.revise(
                actor=SYSTEM, patient_id=patient_id, changes=changes, if_version=version
            )
        except Exception as exc:  # every kind of error is counted, not only the stale one
            return exc

    tasks = [asyncio.create_task(revise(n)) for n in range(RACERS)]
    await asyncio.sleep(0)  # every task now waits at the barrier
    start.set()
    return list(await asyncio.gather(*tasks))


async def every_version(patients: PatientService, patient_id: str) -> list[Patient]:
    page = await patients.history(actor=SYSTEM, patient_id=patient_id, cursor=None, limit=50)
    assert page.next_cursor is None
    return page.items


async def test_only_the_revision_that_commits_keeps_its_version(
    patients: PatientService,
) -> None:
    draft = PatientDraft(
        country_id="PE", details=PatientDetails(name=HumanName.from_text("Ana Ruiz"))
    )
    first = await patients.register(actor=SYSTEM, draft=draft)
    kept = [first]
    for round_ in range(ROUNDS):
        outcomes = await race(patients, first.id, version=round_ + 1)

        won = [o for o in outcomes if isinstance(o, Patient)]
        lost = [o for o in outcomes if not isinstance(o, Patient)]
        assert len(won) == 1, lost[:3]
        assert all(isinstance(e, PreconditionFailed) for e in lost), {
            f"{type(e).__name__}: {e}" for e in lost
        }
        kept.append(won[0])
        assert await every_version(patients, first.id) == kept[::-1]
    current = await patients.get(actor=SYSTEM, patient_id=first.id)
    assert current == kept[-1]
    assert current.version == ROUNDS + 1
