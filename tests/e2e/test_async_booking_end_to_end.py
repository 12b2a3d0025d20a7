"""Booking in asynchronous countries, with every broker: the booking is stored `pending`,
its event travels through the outbox and the broker to the country's queue, and the queue
confirms it (or rejects it and frees its slot) exactly once.

Chile exists before carehub starts, so it has a queue of its own (`bookings-CL`); Peru is
added while it runs, so the catch-all `bookings` queue serves it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from carehub.bootstrap import Carehub, build, connect, secret_box, units_of_work
from carehub.config import Settings
from carehub.countries.rules import weekly_hours
from carehub.countries.service import CountryService, CountrySettings
from carehub.entrypoints.background import Background
from carehub.events.model import Consumer
from carehub.events.runner import ConsumerOf
from carehub.kernel.actor import Actor
from carehub.kernel.calendar import DateOverride
from carehub.kernel.events import EventMessage
from carehub.patients.model import HumanName, PatientDetails
from carehub.patients.service import PatientDraft
from carehub.practitioners.model import Doctor
from carehub.practitioners.service import DoctorChanges, DoctorDraft
from carehub.scheduling.errors import SlotTaken
from carehub.scheduling.events import STATUS_CHANGED
from carehub.scheduling.model import Appointment, Status
from carehub.scheduling.service import BookingRequest
from tests.support.clock import AdjustableClock
from tests.support.redis_space import REDIS_URL, redis_prefix
from tests.support.services import empty_postgres, fresh_sqlite
from tests.support.waiting import until

SYSTEM = Actor.system("test")
NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)  # a Monday
WEDNESDAY = date(2031, 3, 12)
# 12:00 in Santiago (summer time) and 10:00 in Lima, both Wednesday 12 March 2031.
CL_START = datetime(2031, 3, 12, 15, 0, tzinfo=UTC)
PE_START = datetime(2031, 3, 12, 15, 0, tzinfo=UTC)
SETTLING = ("confirm", "reject")
BOOKING_CONSUMERS = ("bookings", "bookings-CL", "bookings-PE")


@pytest.fixture(
    params=[
        "memory-sqlite",
        pytest.param("redis-sqlite", marks=pytest.mark.redis),
        pytest.param("sqs-sqlite", marks=pytest.mark.aws),
        pytest.param("memory-postgres", marks=pytest.mark.postgres),
    ]
)
async def settings(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_template: Path,
    tmp_path: Path,
) -> AsyncIterator[Settings]:
    """Settings for a fresh database and the broker under test, in a namespace of its own."""
    broker, database = request.param.split("-")
    if database == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        empty_postgres(url)
    else:
        url = fresh_sqlite(sqlite_template, tmp_path)
    base: dict[str, object] = {"database_url": url, "data_dir": tmp_path}
    if broker == "memory":
        yield Settings(**base)  # type: ignore[arg-type]
    elif broker == "redis":
        async with redis_prefix() as prefix:
            yield Settings(**base, broker_url=REDIS_URL, broker_prefix=prefix)  # type: ignore[arg-type]
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        for name, value in (
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
        ):
            monkeypatch.setenv(name, value)
        yield Settings(
            **base,  # type: ignore[arg-type]
            broker_url="sqs://?region=us-east-1",
            aws_endpoint_url=endpoint,
            broker_prefix=f"carehub-test-{uuid.uuid4().hex[:12]}",
        )


@dataclass
class Seen:
    """The status-change events each booking consumer was handed, by appointment id."""

    by_consumer: dict[str, list[str]] = field(default_factory=dict)

    def consumers_of(self, appointment_id: str) -> set[str]:
        return {c for c, ids in self.by_consumer.items() if appointment_id in ids}


def watch_bookings(carehub: Carehub) -> Seen:
    """Note what the booking consumers receive (their handlers still run as built)."""
    seen = Seen()
    for runner in carehub.events.runners:
        if runner.name in BOOKING_CONSUMERS:
            received = seen.by_consumer.setdefault(runner.name, [])
            runner.consumer = Consumer(runner.consumer.spec, noting(runner.consumer, received))
    return seen


def noting(
    consumer: ConsumerOf, received: list[str]
) -> Callable[[EventMessage, Any], Awaitable[None]]:
    async def apply(message: EventMessage, uow: Any) -> None:
        if message.event_type == STATUS_CHANGED:
            received.append(message.aggregate_id)
        await consumer.apply(message, uow)

    return apply


def no_consumer_failed(caplog: pytest.LogCaptureFixture) -> None:
    """Every consumer (the waitlist's and the notices' too) handled every event it got."""
    failures = [r.getMessage() for r in caplog.records if r.name == "carehub.events.consumers"]
    assert failures == []


@dataclass
class Running:
    carehub: Carehub
    clock: AdjustableClock
    seen: Seen
    background: Background

    def restart(self) -> None:
        self.background = Background(self.carehub, consumers=True)
        self.background.start()

    async def doctor(self, country_id: str, zone: str) -> Doctor:
        return await self.carehub.doctors.create(
            actor=SYSTEM,
            draft=DoctorDraft(
                doctor_id=None,
                country_id=country_id,
                name="Dr. Tomás Prado",
                specialty="General practice",
                weekly=weekly_hours(range(5), "08:00-18:00"),
                time_zone=zone,
            ),
        )

    async def patient(self, country_id: str) -> str:
        draft = PatientDraft(
            country_id=country_id, details=PatientDetails(name=HumanName.from_text("Ana Ruiz"))
        )
        return (await self.carehub.patients.register(actor=SYSTEM, draft=draft)).id

    async def book(self, doctor: Doctor, patient_id: str, start: datetime) -> Appointment:
        request = BookingRequest(patient_id=patient_id, doctor_id=doctor.id, start=start)
        booked = await self.carehub.appointments.book(actor=SYSTEM, request=request)
        assert booked.status is Status.PENDING
        return booked

    async def settled(self, appointment_id: str, within: float = 30) -> Appointment:
        """The appointment once its queue has settled it (a minute's grace for repeats)."""

        async def read() -> Appointment:
            return await self.carehub.appointments.get(actor=SYSTEM, appointment_id=appointment_id)

        async def done() -> bool:
            return (await read()).status is not Status.PENDING

        await until(done, within=within)
        await asyncio.sleep(1.0)  # a second delivery, if any, has time to arrive
        return await read()


@pytest.fixture
async def running(settings: Settings) -> AsyncIterator[Running]:
    """carehub built on `settings` with Chile already known, its background loops running."""
    clock = AdjustableClock()
    clock.offset = NOW - clock.now()
    db = await connect(settings.resolved_database_url, settings)
    try:
        await CountryService(units_of_work(db, clock, secrets=secret_box(settings)), clock).create(
            actor=SYSTEM, country_id="CL", code="CL", settings=CountrySettings()
        )
    finally:
        await db.close()
    carehub = await build(settings, clock=clock)
    seen = watch_bookings(carehub)
    background = Background(carehub, consumers=True)
    background.start()
    world = Running(carehub, clock, seen, background)
    try:
        yield world
    finally:
        await world.background.stop(grace_seconds=5)
        await carehub.close()


def settling_steps(appointment: Appointment) -> list[tuple[str, str]]:
    return [(t.action, t.actor_id) for t in appointment.history if t.action in SETTLING]


async def test_queues_confirm_valid_bookings_once(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    names = [r.name for r in running.carehub.events.runners]
    assert "bookings-CL" in names and "bookings" in names and "bookings-PE" not in names
    await running.carehub.countries.create(
        actor=SYSTEM, country_id="PE", code="PE", settings=CountrySettings()
    )
    chilean = await running.doctor("CL", "America/Santiago")
    peruvian = await running.doctor("PE", "America/Lima")
    in_chile = await running.book(chilean, await running.patient("CL"), CL_START)
    in_peru = await running.book(peruvian, await running.patient("PE"), PE_START)

    confirmed_cl = await running.settled(in_chile.id)
    confirmed_pe = await running.settled(in_peru.id)

    assert confirmed_cl.status is Status.CONFIRMED
    assert settling_steps(confirmed_cl) == [("confirm", "system:bookings-CL")]
    assert confirmed_pe.status is Status.CONFIRMED
    assert settling_steps(confirmed_pe) == [("confirm", "system:bookings-PE")]
    # Each went through its own queue only: Chile's own, and the catch-all for Peru.
    assert running.seen.consumers_of(in_chile.id) == {"bookings-CL"}
    assert running.seen.consumers_of(in_peru.id) == {"bookings"}
    no_consumer_failed(caplog)


async def test_a_booking_the_doctor_can_no_longer_take_is_rejected_and_frees_its_slot(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    await running.carehub.countries.create(
        actor=SYSTEM, country_id="PE", code="PE", settings=CountrySettings()
    )
    peruvian = await running.doctor("PE", "America/Lima")
    chilean = await running.doctor("CL", "America/Santiago")
    first_pe, second_pe = await running.patient("PE"), await running.patient("PE")
    first_cl, second_cl = await running.patient("CL"), await running.patient("CL")

    # The queues stop; meanwhile both doctors take the Wednesday off.
    await running.background.stop(grace_seconds=5)
    in_peru = await running.book(peruvian, first_pe, PE_START)
    in_chile = await running.book(chilean, first_cl, CL_START)
    day_off = DoctorChanges(overrides=(DateOverride(on=WEDNESDAY),))
    for doctor in (peruvian, chilean):
        await running.carehub.doctors.revise(
            actor=SYSTEM, doctor_id=doctor.id, changes=day_off, if_version=doctor.version
        )
    running.restart()

    rejected_pe = await running.settled(in_peru.id)
    rejected_cl = await running.settled(in_chile.id)
    for rejected, queue in ((rejected_pe, "bookings-PE"), (rejected_cl, "bookings-CL")):
        assert rejected.status is Status.REJECTED
        assert settling_steps(rejected) == [("reject", f"system:{queue}")]
        assert rejected.status_reason is not None
        assert "outside_doctor_hours" in rejected.status_reason
    assert running.seen.consumers_of(in_peru.id) == {"bookings"}
    no_consumer_failed(caplog)
    assert running.seen.consumers_of(in_chile.id) == {"bookings-CL"}

    # Back at work: the rejected bookings' slots are free for someone else.
    for doctor in (peruvian, chilean):
        current = await running.carehub.doctors.get(doctor_id=doctor.id)
        await running.carehub.doctors.revise(
            actor=SYSTEM,
            doctor_id=doctor.id,
            changes=DoctorChanges(overrides=()),
            if_version=current.version,
        )
    again_pe = await running.book(peruvian, second_pe, PE_START)
    again_cl = await running.book(chilean, second_cl, CL_START)
    assert (await running.settled(again_pe.id)).status is Status.CONFIRMED
    assert (await running.settled(again_cl.id)).status is Status.CONFIRMED
    # And now the slots are taken again.
    with pytest.raises(SlotTaken):
        await running.book(peruvian, first_pe, PE_START)
    no_consumer_failed(caplog)
