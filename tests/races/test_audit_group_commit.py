"""Reads audited by group commit must not starve the connection pool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import asyncpg
import pytest

from carehub.bootstrap import Carehub, build, connect, secret_box, units_of_work
from carehub.config import Settings
from carehub.kernel.actor import Actor
from carehub.kernel.clock import SystemClock
from carehub.patients.model import HumanName, PatientDetails
from carehub.patients.service import PatientDraft
from tests.support.countries import add_shipped_countries
from tests.support.services import empty_postgres

ACTOR = Actor.system("test")
ANA = PatientDraft(country_id="PE", details=PatientDetails(name=HumanName.from_text("Ana Ruiz")))


StartCarehub = Callable[[int], Awaitable[Carehub]]


@pytest.fixture
async def start_carehub(postgres_url: str, tmp_path: Path) -> AsyncIterator[StartCarehub]:
    """Starts carehub on one emptied PostgreSQL database with a pool of the given size,
    as often as a test needs separate API processes; all are closed after it."""
    empty_postgres(postgres_url)
    # The patients live in the shipped countries (added without audit entries, which the
    # tests count).
    seeding = Settings(database_url=postgres_url, data_dir=tmp_path)
    db = await connect(postgres_url, seeding)
    try:
        clock = SystemClock()
        await add_shipped_countries(units_of_work(db, clock, secrets=secret_box(seeding)), clock)
    finally:
        await db.close()
    async with AsyncExitStack() as stack:

        async def start(pool_size: int) -> Carehub:
            settings = Settings(
                database_url=postgres_url, data_dir=tmp_path, database_pool_size=pool_size
            )
            carehub = await build(settings)
            stack.push_async_callback(carehub.close)
            return carehub

        yield start


@pytest.mark.postgres
async def test_more_concurrent_reads_than_connections_all_finish(
    start_carehub: StartCarehub,
) -> None:
    carehub = await start_carehub(2)
    patient = await carehub.patients.register(actor=ACTOR, draft=ANA)

    reads = [carehub.patients.get(actor=ACTOR, patient_id=patient.id) for _ in range(16)]
    found = await asyncio.wait_for(asyncio.gather(*reads), timeout=20)

    assert {p.id for p in found} == {patient.id}
    trail = await carehub.audit.verify()
    assert trail.intact
    assert trail.checked == 17


@pytest.mark.postgres
async def test_two_processes_reading_at_once_keep_one_unbroken_chain(
    start_carehub: StartCarehub,
) -> None:
    first, second = [await start_carehub(4) for _ in range(2)]
    patient = await first.patients.register(actor=ACTOR, draft=ANA)

    for _ in range(5):  # each round, both see a head the other has moved since
        reads = [
            carehub.patients.get(actor=ACTOR, patient_id=patient.id)
            for carehub in (first, second)
            for _ in range(8)
        ]
        await asyncio.wait_for(asyncio.gather(*reads), timeout=20)

    trail = await second.audit.verify()
    assert trail.intact
    assert trail.checked == 1 + 5 * 16
    # They append to shards of their own (a writer that lost a race to the other moved on),
    # rather than queueing on one head row.
    assert len([shard for shard in trail.shards if shard.checked]) >= 2


@pytest.mark.postgres
async def test_a_lone_read_writes_its_entry_on_its_own_connection(
    start_carehub: StartCarehub, monkeypatch: pytest.MonkeyPatch
) -> None:
    carehub = await start_carehub(2)
    patient = await carehub.patients.register(actor=ACTOR, draft=ANA)
    taken = 0
    acquire = asyncpg.pool.Pool.acquire
    here = asyncio.get_running_loop()

    def counting_acquire(pool: asyncpg.pool.Pool, *args: object, **kwargs: object) -> object:
        nonlocal taken
        # Servers of other tests may run on their own loops in this process meanwhile.
        if asyncio.get_running_loop() is here:
            taken += 1
        return acquire(pool, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncpg.pool.Pool, "acquire", counting_acquire)
    for _ in range(3):
        await carehub.patients.get(actor=ACTOR, patient_id=patient.id)

    assert taken == 3  # not one for the read and another for its audit entry
    assert (await carehub.audit.verify()).checked == 4
