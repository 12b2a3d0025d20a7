"""The scheduling use cases over the in-memory adapters: a queued country (PE), a
synchronous one (CO), a doctor and two patients in each, and a clock that stands still."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.kernel.actor import Actor, Role
from carehub.scheduling.holds import HoldService
from carehub.scheduling.ports import SchedulingUnitOfWork
from carehub.scheduling.service import AppointmentService
from carehub.scheduling.waitlist import WaitlistService
from tests.support.clock import StillClock
from tests.support.memory_world import NOW, add_country, add_doctor, add_patient

# Tuesday 10:00 in Lima and Bogotá (both UTC-5): inside every doctor's hours.
TUESDAY_10 = datetime(2031, 3, 11, 15, 0, tzinfo=UTC)
HOLD_MINUTES = 10
OFFER_MINUTES = 15

DR_PE = Actor(id="user-dr-pe", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-pe")
STAFF_PE = Actor(id="staff-pe", role=Role.STAFF, country_id="PE")
STAFF_CO = Actor(id="staff-co", role=Role.STAFF, country_id="CO")


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    pe, co = add_country(store, "PE", NOW), add_country(store, "CO", NOW)
    add_doctor(store, "dr-pe", pe, NOW)
    add_doctor(store, "dr-pe-2", pe, NOW)
    add_doctor(store, "dr-co", co, NOW)
    for patient_id in ("ana", "luis"):
        add_patient(store, patient_id, "PE", NOW)
    add_patient(store, "carla", "CO", NOW)
    return store


@pytest.fixture
def units(store: MemoryStore, clock: StillClock) -> Callable[[], SchedulingUnitOfWork]:
    return lambda: MemoryUnitOfWork(store, clock)


@pytest.fixture
def appointments(
    units: Callable[[], SchedulingUnitOfWork], clock: StillClock
) -> AppointmentService:
    return AppointmentService(units, clock)


@pytest.fixture
def holds(units: Callable[[], SchedulingUnitOfWork], clock: StillClock) -> HoldService:
    return HoldService(units, clock, hold_minutes=HOLD_MINUTES)


@pytest.fixture
def waitlist(units: Callable[[], SchedulingUnitOfWork], clock: StillClock) -> WaitlistService:
    return WaitlistService(units, clock, offer_minutes=OFFER_MINUTES)
