"""PatientService over the in-memory adapter, with a clock tests can move."""

from __future__ import annotations

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.kernel.actor import Actor, Role
from carehub.patients.service import PatientService
from tests.support.clock import AdjustableClock
from tests.support.memory_world import NOW, add_shipped_countries


@pytest.fixture
def clock() -> AdjustableClock:
    return AdjustableClock()


@pytest.fixture
def store() -> MemoryStore:
    """A store with the shipped countries, which patients name by id."""
    store = MemoryStore()
    add_shipped_countries(store, NOW)
    return store


@pytest.fixture
def service(store: MemoryStore, clock: AdjustableClock) -> PatientService:
    return PatientService(lambda: MemoryUnitOfWork(store, clock), clock)


@pytest.fixture
def actor() -> Actor:
    return Actor(id="user-1", role=Role.ADMIN, country_id="PE")
