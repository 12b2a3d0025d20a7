"""PatientService over the in-memory adapter, with a clock tests can move."""

from __future__ import annotations

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.kernel.actor import Actor, Role
from carehub.patients.service import PatientService
from tests.support.clock import AdjustableClock


@pytest.fixture
def clock() -> AdjustableClock:
    return AdjustableClock()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def service(store: MemoryStore, clock: AdjustableClock) -> PatientService:
    return PatientService(lambda: MemoryUnitOfWork(store, clock), clock)


@pytest.fixture
def actor() -> Actor:
    return Actor(id="user-1", role=Role.ADMIN, country_id="PE")
