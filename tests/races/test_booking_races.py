"""No double booking through the use case: 200 `AppointmentService.book` calls, each in a
unit of work of its own, start at once; the store lets one booking per time in and every
other caller gets SlotTaken, never another error.

On PostgreSQL the pool allows 50 transactions at once; on SQLite the units interleave on
one event loop and take turns at the single writer; on DynamoDB (the moto server) every
booking is one conditional transaction on its claim items.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from carehub.bootstrap import open_store, secret_box
from carehub.countries.rules import weekly_hours
from carehub.countries.service import CountryService, CountrySettings
from carehub.kernel.actor import Actor
from carehub.patients.model import HumanName, PatientDetails
from carehub.patients.service import PatientDraft, PatientService
from carehub.practitioners.service import DoctorDraft, DoctorService
from carehub.scheduling.errors import SlotTaken
from carehub.scheduling.model import RELEASED, Appointment
from carehub.scheduling.ports import AppointmentFilter
from carehub.scheduling.service import AppointmentService, BookingRequest
from tests.races.stores import STORES, race_settings
from tests.support.clock import AdjustableClock

SYSTEM = Actor.system("race-test")
NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)  # a Monday
NINE = datetime(2031, 3, 12, 14, 0, tzinfo=UTC)  # Wednesday 09:00 in Bogota
WINDOW = timedelta(hours=3)
MINUTE = timedelta(minutes=1)
POOL_SIZE = 50
RACERS = 200

Outcome = Appointment | Exception


@dataclass
class Clinic:
    """A synchronous country (CO) with one doctor and 200 patients, and the booking use case."""

    appointments: AppointmentService
    doctor_id: str
    patient_ids: list[str]

    async def live_appointments(self) -> list[Appointment]:
        """The doctor's appointments that still hold their time, by start."""
        found: list[Appointment] = []
        cursor: str | None = None
        while True:
            page = await self.appointments.search(
                actor=SYSTEM,
                criteria=AppointmentFilter(doctor_id=self.doctor_id),
                cursor=cursor,
                limit=200,
            )
            found += page.items
            cursor = page.next_cursor
            if cursor is None:
                break
        return sorted((a for a in found if a.status not in RELEASED), key=lambda a: a.start)


@pytest.fixture(params=STORES)
async def clinic(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[Clinic]:
    settings = race_settings(request, request.param, sqlite_template, tmp_path, pool_size=POOL_SIZE)
    clock = AdjustableClock()
    clock.offset = NOW - clock.now()
    store = await open_store(settings, clock, lambda: None, secrets=secret_box(settings))
    try:
        uow = store.units_of_work
        await CountryService(uow, clock).create(
            actor=SYSTEM, country_id="CO", code="CO", settings=CountrySettings()
        )
        doctor = await DoctorService(uow, clock).create(
            actor=SYSTEM,
            draft=DoctorDraft(
                doctor_id=None,
                country_id="CO",
                name="Dra. Rosa Vega",
                specialty="General practice",
                weekly=weekly_hours(range(5), "08:00-18:00"),
            ),
        )
        patient_ids = [f"racer-{n}" for n in range(RACERS)]
        drafts = [
            PatientDraft(
                country_id="CO",
                details=PatientDetails(name=HumanName.from_text("Ana Ruiz")),
                patient_id=patient_id,
            )
            for patient_id in patient_ids
        ]
        patients = PatientService(uow, clock)
        for start in range(0, len(drafts), 2):  # a DynamoDB transaction holds two at most
            pair = drafts[start : start + 2]
            assert await patients.register_many(actor=SYSTEM, drafts=pair) == len(pair)
        yield Clinic(AppointmentService(uow, clock), doctor.id, patient_ids)
    finally:
        await store.close()


async def race(
    appointments: AppointmentService, requests: Sequence[BookingRequest]
) -> list[Outcome]:
    """Starts every booking at once; each returns its appointment or the error it raised."""
    start = asyncio.Event()

    async def book(request: BookingRequest) -> Outcome:
        await start.wait()
        try:
            return await appointments.book(actor=SYSTEM, request=request)
        except Exception as exc:  # every kind of error is counted, not only SlotTaken
            return exc

    tasks = [asyncio.create_task(book(r)) for r in requests]
    await asyncio.sleep(0)  # every task now waits at the barrier
    start.set()
    return list(await asyncio.gather(*tasks))


def overlap(a: BookingRequest, b: BookingRequest) -> bool:
    assert a.end is not None and b.end is not None
    return a.start < b.end and b.start < a.end


async def test_one_of_200_bookings_of_one_slot_wins(clinic: Clinic) -> None:
    requests = [
        BookingRequest(patient_id=p, doctor_id=clinic.doctor_id, start=NINE)
        for p in clinic.patient_ids
    ]
    outcomes = await race(clinic.appointments, requests)

    won = [o for o in outcomes if isinstance(o, Appointment)]
    lost = [o for o in outcomes if not isinstance(o, Appointment)]
    assert len(won) == 1, lost[:3]
    assert len(lost) == RACERS - 1
    assert all(isinstance(e, SlotTaken) and e.party == "doctor" for e in lost), {
        type(e).__name__ for e in lost
    }
    [winner] = won
    assert winner.status.value == "confirmed"  # a synchronous country
    assert [a.id for a in await clinic.live_appointments()] == [winner.id]


async def test_200_bookings_of_mixed_lengths_leave_no_overlap(clinic: Clinic) -> None:
    rng = random.Random(20310312)
    requests = []
    for patient_id in clinic.patient_ids:
        minutes = rng.choice((15, 30, 45, 60))
        start = NINE + 5 * MINUTE * rng.randrange((180 - minutes) // 5 + 1)
        end = start + minutes * MINUTE
        requests.append(
            BookingRequest(patient_id=patient_id, doctor_id=clinic.doctor_id, start=start, end=end)
        )
    outcomes = await race(clinic.appointments, requests)

    won = {o.patient_id: o for o in outcomes if isinstance(o, Appointment)}
    errors = [o for o in outcomes if not isinstance(o, Appointment)]
    assert all(isinstance(e, SlotTaken) and e.party == "doctor" for e in errors), {
        f"{type(e).__name__}: {e}" for e in errors
    }
    winners = [r for r in requests if r.patient_id in won]
    losers = [r for r in requests if r.patient_id not in won]
    assert len(winners) + len(errors) == RACERS
    assert len(winners) >= 3  # three hours hold at least three of the longest bookings

    live = await clinic.live_appointments()
    assert {a.id for a in live} == {a.id for a in won.values()}
    assert all(a.end <= b.start for a, b in pairwise(live))
    assert all(a.start >= NINE and a.end <= NINE + WINDOW for a in live)
    # Nobody lost for nothing: each refused booking overlaps one that won.
    assert all(any(overlap(lost, w) for w in winners) for lost in losers)
