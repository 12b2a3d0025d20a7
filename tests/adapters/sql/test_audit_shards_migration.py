"""Migration 0011 on a trail written as one chain: its entries become shard 0 and still
verify, new entries go on from them, the append-only triggers still refuse changes, and
the way back works while every entry is in shard 0 (and is refused once one is not)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from carehub.adapters.sql import migrate
from carehub.adapters.sql.audit import append
from carehub.adapters.sql.database import Database
from carehub.audit.model import AuditEntry, chain, empty_chain
from carehub.audit.ports import AuditFilter
from carehub.audit.service import AuditService
from carehub.bootstrap import connect, units_of_work
from carehub.config import Settings
from carehub.kernel.actor import Actor, Role
from carehub.kernel.audit import AccessRecord
from tests.conftest import BACKENDS
from tests.support.clock import AdjustableClock
from tests.support.services import fixed_secret_box, fresh_postgres_database

T0 = datetime(2031, 3, 10, 8, 0, 0, 123456, tzinfo=UTC)
ACTOR = Actor("doc-1", Role.DOCTOR, request_id="req-1", client_address="203.0.113.7")


@pytest.fixture(params=BACKENDS)
def at_0010(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database migrated to 0010, the last revision with one chain."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'trail.db'}"
        migrate.upgrade(url, "0010")
        yield url
        return
    with fresh_postgres_database(migrated=False) as url:
        migrate.upgrade(url, "0010")
        yield url


@contextmanager
def raw(url: str) -> Iterator[Any]:
    """Plain SQL on the database, around carehub."""
    if url.startswith("sqlite"):
        conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    else:
        conn = psycopg.connect(migrate.sync_url(url).replace("+psycopg", ""), autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def single_chain(count: int) -> list[AuditEntry]:
    """Entries as the one chain carehub kept before 0011 hashed them."""
    records = [
        AccessRecord(
            actor=ACTOR,
            action="patient.read",
            resource_type="patient",
            resource_id=f"p-{n}",
            patient_ids=(f"p-{n}", "p-shared"),
            at=T0 + timedelta(minutes=n),
        )
        for n in range(count)
    ]
    return chain(records, empty_chain(0))


def store_the_old_way(url: str, entries: list[AuditEntry]) -> None:
    params = "?" if url.startswith("sqlite") else "%s"
    columns = (
        "seq, at, actor_id, actor_role, action, resource_type, resource_id, patient_ids, "
        "outcome, request_id, client_address, prev_hash, hash"
    )
    marks = ", ".join([params] * 13)
    with raw(url) as conn:
        for e in entries:
            at: Any = e.at.isoformat() if url.startswith("sqlite") else e.at
            conn.execute(
                f"INSERT INTO audit_entries ({columns}) VALUES ({marks})",
                (
                    e.seq,
                    at,
                    e.actor_id,
                    e.actor_role,
                    e.action,
                    e.resource_type,
                    e.resource_id,
                    orjson.dumps(list(e.patient_ids)).decode(),
                    e.outcome,
                    e.request_id,
                    e.client_address,
                    e.prev_hash,
                    e.hash,
                ),
            )
            for patient in e.patient_ids:
                conn.execute(
                    f"INSERT INTO audit_patients (patient_id, seq) VALUES ({params}, {params})",
                    (patient, e.seq),
                )
        last = entries[-1]
        conn.execute(
            f"UPDATE audit_chain_head SET seq = {params}, hash = {params} WHERE id = 1",
            (last.seq, last.hash),
        )


def new_read(resource_id: str) -> AccessRecord:
    return AccessRecord(
        actor=ACTOR,
        action="patient.read",
        resource_type="patient",
        resource_id=resource_id,
        at=T0 + timedelta(hours=1),
    )


@contextmanager
def append_only_guards(url: str) -> Iterator[None]:
    """Checks after the block that the triggers still refuse changing or removing entries."""
    yield
    error = sqlite3.DatabaseError if url.startswith("sqlite") else psycopg.Error
    with raw(url) as conn:
        for statement in (
            "UPDATE audit_entries SET actor_id = 'someone' WHERE seq = 1",
            "DELETE FROM audit_entries WHERE seq = 1",
        ):
            with pytest.raises(error, match="append-only"):
                conn.execute(statement)


@asynccontextmanager
async def opened(url: str, tmp_path: Path) -> AsyncIterator[Database]:
    db = await connect(url, Settings(database_url=url, data_dir=tmp_path))
    try:
        yield db
    finally:
        await db.close()


async def test_a_single_chain_becomes_shard_0_and_goes_on_verifying(
    at_0010: str, tmp_path: Path
) -> None:
    old = single_chain(5)
    store_the_old_way(at_0010, old)
    with append_only_guards(at_0010):
        migrate.upgrade(at_0010)
    async with opened(at_0010, tmp_path) as db:
        units = units_of_work(db, AdjustableClock(), secrets=fixed_secret_box(), audit_shards=1)
        audit = AuditService(units, AdjustableClock())
        verification = await audit.verify()
        assert (verification.intact, verification.checked) == (True, 5)
        async with units() as uow:
            uow.audit(new_read("p-new"))
            await uow.commit()
        async with units() as uow:
            found = await uow.audit_log.scan(shard=0, after_seq=0, limit=10)
            page = await uow.audit_log.search(
                AuditFilter(patient_id="p-shared"), cursor=None, limit=10
            )
        assert [e.hash for e in found[:5]] == [e.hash for e in old]
        assert (found[-1].seq, found[-1].prev_hash) == (6, old[-1].hash)
        assert (await audit.verify()).checked == 6
        # The patient index kept every entry, now in the trail's order.
        assert [e.seq for e in page.items] == [5, 4, 3, 2, 1]


async def test_the_way_back_keeps_a_single_chain_and_refuses_a_sharded_one(
    at_0010: str, tmp_path: Path
) -> None:
    store_the_old_way(at_0010, single_chain(3))
    migrate.upgrade(at_0010)
    with append_only_guards(at_0010):
        migrate.downgrade(at_0010, "0010")
    with raw(at_0010) as conn:
        assert conn.execute("SELECT id, seq FROM audit_chain_head").fetchall() == [(1, 3)]
        assert conn.execute("SELECT count(*) FROM audit_patients").fetchone()[0] == 6
    migrate.upgrade(at_0010)
    async with opened(at_0010, tmp_path) as db, db.session() as session:
        await append(session, [new_read("p-elsewhere")], 1)
        await session.commit()
    with pytest.raises(RuntimeError, match="1 audit entries are in shards other than 0"):
        migrate.downgrade(at_0010, "0010")
