"""A database, the event backbone and the patients use cases, wired as bootstrap does but
with the consumers a test chooses; the analytics consumer, and a way to run them all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from carehub.adapters.dynamodb.table_client import DynamoTable
from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from carehub.adapters.sql.database import Database
from carehub.adapters.sql.unit_of_work import SqlUnitOfWork
from carehub.analytics.handlers import count_event
from carehub.analytics.model import COUNTED_EVENTS, Metric
from carehub.bootstrap import (
    EventBackbone,
    connect,
    connect_broker,
    connect_dynamodb,
    dynamodb_event_stores,
    dynamodb_units_of_work,
    event_backbone,
    secret_box,
    sql_event_stores,
    units_of_work,
)
from carehub.config import Settings
from carehub.events.model import Consumer, ConsumerSpec
from carehub.events.ports import DeadLetters, OutboxStore
from carehub.events.runner import ConsumerOf
from carehub.kernel.actor import Actor
from carehub.patients.model import HumanName, Patient, PatientDetails
from carehub.patients.service import PatientDraft, PatientService
from tests.support.clock import AdjustableClock
from tests.support.countries import add_shipped_countries
from tests.support.waiting import Check, until

ACTOR = Actor.system("test")
ANALYTICS = Consumer(ConsumerSpec("analytics", frozenset(COUNTED_EVENTS)), count_event)


NewUnitOfWork = Callable[[], SqlUnitOfWork] | Callable[[], DynamoUnitOfWork]


@dataclass
class EventWorld:
    db: Database | DynamoTable
    clock: AdjustableClock
    events: EventBackbone
    new_uow: NewUnitOfWork
    patients: PatientService
    dead_letters: DeadLetters
    settings: Settings

    async def register(self, country: str = "PE", patient_id: str | None = None) -> Patient:
        draft = PatientDraft(
            country_id=country,
            details=PatientDetails(name=HumanName.from_text("Ana Ruiz")),
            patient_id=patient_id,
        )
        return await self.patients.register(actor=ACTOR, draft=draft)


@asynccontextmanager
async def event_world(
    database_url: str, folder: Path, consumers: Sequence[ConsumerOf], **settings: object
) -> AsyncIterator[EventWorld]:
    config = Settings(database_url=database_url, data_dir=folder, **settings)  # type: ignore[arg-type]
    clock = AdjustableClock()
    committed = asyncio.Event()
    db: Database | DynamoTable
    new_uow: NewUnitOfWork
    stores: tuple[OutboxStore, DeadLetters]
    if database_url.startswith("dynamodb://"):
        db = connect_dynamodb(config)
        new_uow = dynamodb_units_of_work(db, clock, committed.set, secrets=secret_box(config))
        stores = dynamodb_event_stores(db, clock, config)
    else:
        db = await connect(database_url, config)
        new_uow = units_of_work(db, clock, committed.set, secrets=secret_box(config))
        stores = sql_event_stores(db, clock)
    events = await event_backbone(
        config,
        stores,
        clock,
        broker=connect_broker(config),
        units_of_work=new_uow,
        every_consumer=consumers,
        committed=committed,
    )
    world = EventWorld(
        db, clock, events, new_uow, PatientService(new_uow, clock), events.dead_letters, config
    )
    await add_shipped_countries(new_uow, clock)
    try:
        yield world
    finally:
        await events.broker.close()
        await db.close()


async def consume_until(world: EventWorld, done: Check, within: float = 15.0) -> None:
    """Run the relay and every runner until `done()` is true."""
    stopping = asyncio.Event()
    loops = [asyncio.create_task(world.events.relay.run(stopping))] + [
        asyncio.create_task(runner.run(stopping)) for runner in world.events.runners
    ]
    try:
        await until(done, within)
    finally:
        stopping.set()
        await asyncio.gather(*loops)


async def registered_today(world: EventWorld, country: str = "PE") -> int:
    today = world.clock.now().date()
    async with world.new_uow() as uow:
        rows = await uow.analytics.daily(Metric.PATIENTS_REGISTERED, today, today)
    return sum(count for _, dimension, count in rows if dimension == f"countryId={country}")
