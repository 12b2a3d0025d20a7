"""Reads audited by group commit must not starve the connection pool."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from carehub.bootstrap import build
from carehub.config import Settings
from carehub.kernel.actor import Actor
from carehub.patients.model import HumanName, PatientDetails
from carehub.patients.service import PatientDraft
from tests.support.services import empty_postgres


@pytest.mark.postgres
async def test_more_concurrent_reads_than_connections_all_finish(
    postgres_url: str, tmp_path: Path
) -> None:
    empty_postgres(postgres_url)
    settings = Settings(database_url=postgres_url, data_dir=tmp_path, database_pool_size=2)
    carehub = await build(settings)
    actor = Actor.system("test")
    try:
        draft = PatientDraft(
            country_id="PE", details=PatientDetails(name=HumanName.from_text("Ana Ruiz"))
        )
        patient = await carehub.patients.register(actor=actor, draft=draft)
        reads = [carehub.patients.get(actor=actor, patient_id=patient.id) for _ in range(16)]
        found = await asyncio.wait_for(asyncio.gather(*reads), timeout=20)
        assert {p.id for p in found} == {patient.id}
        trail = await carehub.audit.verify()
        assert trail.intact
        assert trail.checked == 17
    finally:
        await carehub.close()


@pytest.mark.postgres
async def test_two_processes_reading_at_once_keep_one_unbroken_chain(
    postgres_url: str, tmp_path: Path
) -> None:
    empty_postgres(postgres_url)
    settings = Settings(database_url=postgres_url, data_dir=tmp_path, database_pool_size=4)
    first, second = await build(settings), await build(settings)  # as two API processes
    actor = Actor.system("test")
    try:
        draft = PatientDraft(
            country_id="PE", details=PatientDetails(name=HumanName.from_text("Ana Ruiz"))
        )
        patient = await first.patients.register(actor=actor, draft=draft)
        for _ in range(5):  # each round, both see a head the other has moved since
            reads = [
                carehub.patients.get(actor=actor, patient_id=patient.id)
                for carehub in (first, second)
                for _ in range(8)
            ]
            await asyncio.wait_for(asyncio.gather(*reads), timeout=20)
        trail = await second.audit.verify()
        assert trail.intact
        assert trail.checked == 1 + 5 * 16
    finally:
        await first.close()
        await second.close()


@pytest.mark.postgres
async def test_a_lone_read_writes_its_entry_on_its_own_connection(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_postgres(postgres_url)
    settings = Settings(database_url=postgres_url, data_dir=tmp_path, database_pool_size=2)
    carehub = await build(settings)
    actor = Actor.system("test")
    try:
        draft = PatientDraft(
            country_id="PE", details=PatientDetails(name=HumanName.from_text("Ana Ruiz"))
        )
        patient = await carehub.patients.register(actor=actor, draft=draft)
        taken = 0
        acquire = asyncpg.pool.Pool.acquire

        def counting_acquire(pool: asyncpg.pool.Pool, *args: object, **kwargs: object) -> object:
            nonlocal taken
            taken += 1
            return acquire(pool, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(asyncpg.pool.Pool, "acquire", counting_acquire)
        for _ in range(3):
            await carehub.patients.get(actor=actor, patient_id=patient.id)

        assert taken == 3  # not one for the read and another for its audit entry
        assert (await carehub.audit.verify()).checked == 4
    finally:
        await carehub.close()
