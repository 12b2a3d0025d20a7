"""A database, the event backbone and the patients use cases, wired as bootstrap does but
with the consumers a test chooses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from carehub.adapters.sql.database import Database
from carehub.adapters.sql.dead_letters import SqlDeadLetters
from carehub.adapters.sql.unit_of_work import SqlUnitOfWork
from carehub.bootstrap import (
    EventBackbone,
    connect,
    connect_broker,
    event_backbone,
    units_of_work,
)
from carehub.config import Settings
from carehub.events.runner import ConsumerOf
from carehub.kernel.actor import Actor
from carehub.patients.model import HumanName, Patient, PatientDetails
from carehub.patients.service import PatientDraft, PatientService
from tests.support.clock import AdjustableClock

ACTOR = Actor.system("test")


@dataclass
class EventWorld:
    db: Database
    clock: AdjustableClock
    events: EventBackbone
    new_uow: Callable[[], SqlUnitOfWork]
    patients: PatientService
    dead_letters: SqlDeadLetters
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
    db = await connect(database_url, config)
    committed = asyncio.Event()
    new_uow = units_of_work(db, clock, committed.set)
    events = await event_backbone(
        config,
        db,
        clock,
        broker=connect_broker(config),
        units_of_work=new_uow,
        every_consumer=consumers,
        committed=committed,
    )
    world = EventWorld(
        db, clock, events, new_uow, PatientService(new_uow, clock), events.dead_letters, config
    )
    try:
        yield world
    finally:
        await events.broker.close()
        await db.close()
