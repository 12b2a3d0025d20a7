"""No double booking under real concurrency: many units of work, each with its own
connection, race for the same time, and the store lets only non-overlapping claims in.

On PostgreSQL the pool allows 50 transactions at once; on DynamoDB each claim is one
conditional transaction on its claim items. SQLite has one writer per
database; it is raced both through one database (units interleaved on one event loop, as
in one process) and through several, each with its own connections, thread and event
loop (as several processes would), where losers wait on SQLite's busy timeout.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from carehub.bootstrap import Store, connect, open_store, secret_box, units_of_work
from carehub.config import Settings
from carehub.scheduling.claims import BusyInterval, ClaimKind, SlotClaim
from carehub.scheduling.errors import SlotTaken
from carehub.scheduling.ports import SchedulingUnitOfWork
from tests.races.stores import STORES, race_settings
from tests.support.clock import AdjustableClock

NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
NINE = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
POOL_SIZE = 50
SQLITE_DATABASES = 4

Outcome = str | None  # the party a claim was refused for; None when it committed
Race = Callable[[Sequence[SlotClaim]], Awaitable[list[Outcome]]]


async def attempt(
    new_uow: Callable[[], SchedulingUnitOfWork], claim: SlotClaim, start: asyncio.Event
) -> Outcome:
    await start.wait()
    async with new_uow() as uow:
        try:
            await uow.slot_claims.claim(claim, now=NOW)
            # SQL refuses the claim at once; DynamoDB when the unit's transaction commits.
            await uow.commit()
        except SlotTaken as exc:
            return exc.party
    return None


async def race_on(
    new_uow: Callable[[], SchedulingUnitOfWork], claims: Sequence[SlotClaim]
) -> list[Outcome]:
    """Starts every attempt at once, each in a unit of work of its own."""
    start = asyncio.Event()
    tasks = [asyncio.create_task(attempt(new_uow, c, start)) for c in claims]
    await asyncio.sleep(0)  # every task now waits at the barrier
    start.set()
    return list(await asyncio.gather(*tasks))


class Racer:
    """Runs races on one database URL, through one or several `Database`s."""

    def __init__(self, url: str, settings: Settings, databases: int) -> None:
        self.url = url
        self.settings = settings
        self.databases = databases

    async def race(self, claims: Sequence[SlotClaim]) -> list[Outcome]:
        if self.databases == 1:
            store = await self._open()
            try:
                return await race_on(store.units_of_work, claims)
            finally:
                await store.close()
        return await asyncio.to_thread(self._race_in_threads, claims)

    async def _open(self) -> Store:
        secrets = secret_box(self.settings)
        return await open_store(self.settings, AdjustableClock(), lambda: None, secrets=secrets)

    def _race_in_threads(self, claims: Sequence[SlotClaim]) -> list[Outcome]:
        barrier = threading.Barrier(self.databases)
        shares = [list(claims[i :: self.databases]) for i in range(self.databases)]

        async def one_database(share: list[SlotClaim]) -> list[Outcome]:
            db = await connect(self.url, self.settings)
            try:
                new_uow = units_of_work(db, AdjustableClock(), secrets=secret_box(self.settings))
                barrier.wait(timeout=30)  # nothing else runs on this thread's loop yet
                return await race_on(new_uow, share)
            finally:
                await db.close()

        with ThreadPoolExecutor(self.databases) as threads:
            results = list(threads.map(lambda s: asyncio.run(one_database(s)), shares))
        return [results[i % self.databases][i // self.databases] for i in range(len(claims))]

    async def doctor_busy(self, doctor_id: str) -> list[BusyInterval]:
        store = await self._open()
        try:
            async with store.units_of_work() as uow:
                return await uow.slot_claims.busy(
                    doctor_id=doctor_id,
                    start=NINE - timedelta(days=1),
                    end=NINE + timedelta(days=1),
                    now=NOW,
                )
        finally:
            await store.close()


@pytest.fixture(params=[*STORES, f"sqlite-{SQLITE_DATABASES}-databases"])
async def racer(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> Racer:
    store = request.param.split("-")[0]
    settings = race_settings(request, store, sqlite_template, tmp_path, pool_size=POOL_SIZE)
    databases = SQLITE_DATABASES if request.param.endswith("-databases") else 1
    return Racer(settings.resolved_database_url, settings, databases)


def appointment(n: int, *, doctor: str, patient: str, start: datetime, minutes: int) -> SlotClaim:
    return SlotClaim(
        id=f"claim-{n}",
        kind=ClaimKind.APPOINTMENT,
        owner_id=f"appt-{n}",
        doctor_id=doctor,
        patient_id=patient,
        start=start,
        end=start + minutes * MINUTE,
    )


def overlap(a: SlotClaim, b: SlotClaim) -> bool:
    return a.start < b.end and b.start < a.end


async def test_one_of_200_claims_on_the_same_slot_wins(racer: Racer) -> None:
    claims = [
        appointment(n, doctor="doc-1", patient=f"patient-{n}", start=NINE, minutes=30)
        for n in range(200)
    ]
    outcomes = await racer.race(claims)
    assert outcomes.count(None) == 1
    assert outcomes.count("doctor") == 199
    winner = claims[outcomes.index(None)]
    assert await racer.doctor_busy("doc-1") == [BusyInterval(NINE, winner.end, winner.owner_id)]


async def test_200_random_claims_leave_no_overlap(racer: Racer) -> None:
    rng = random.Random(20310310)
    claims = []
    for n in range(200):
        minutes = rng.choice((15, 30, 45, 60, 90))
        start = NINE + 5 * MINUTE * rng.randrange((180 - minutes) // 5 + 1)
        claims.append(
            appointment(n, doctor="doc-1", patient=f"patient-{n}", start=start, minutes=minutes)
        )
    outcomes = await racer.race(claims)
    winners = [c for c, o in zip(claims, outcomes, strict=True) if o is None]
    losers = [c for c, o in zip(claims, outcomes, strict=True) if o is not None]
    assert set(outcomes) <= {None, "doctor"}

    final = await racer.doctor_busy("doc-1")
    assert all(a.end <= b.start for a, b in pairwise(final))
    assert len(final) == len(winners)
    assert {b.owner_id for b in final} == {c.owner_id for c in winners}
    assert all(b.start >= NINE and b.end <= NINE + 180 * MINUTE for b in final)
    # Nobody lost for nothing: each refused claim overlaps a claim that won.
    assert all(any(overlap(lost, won) for won in winners) for lost in losers)


async def test_one_patient_racing_50_doctors_gets_one(racer: Racer) -> None:
    claims = [
        appointment(n, doctor=f"doc-{n}", patient="patient-1", start=NINE + n * MINUTE, minutes=60)
        for n in range(50)
    ]
    assert all(overlap(a, b) for a in claims for b in claims)
    outcomes = await racer.race(claims)
    assert outcomes.count(None) == 1
    assert outcomes.count("patient") == 49
    winner = claims[outcomes.index(None)]
    for c in claims:
        expected = [BusyInterval(c.start, c.end, c.owner_id)] if c is winner else []
        assert await racer.doctor_busy(c.doctor_id) == expected
