"""The clinical record's use cases over the memory adapters: patients of PE and CO, a
doctor with Ana in their care, staff of each country, and the accounts tasks go to."""

from __future__ import annotations

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.clinical.service.checklists import ChecklistService
from carehub.clinical.service.medications import MedicationService
from carehub.clinical.service.notes import NoteService
from carehub.clinical.service.tasks import TaskService
from carehub.identity.model import User, UserStatus
from carehub.kernel.actor import Actor, Role
from tests.support.clock import StillClock
from tests.support.memory_world import NOW, add_patient

DOCTOR = Actor(id="user-dr", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-1")
OTHER_DOCTOR = Actor(id="user-dr2", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-2")
STAFF_PE = Actor(id="staff-pe", role=Role.STAFF, country_id="PE")
STAFF_CO = Actor(id="staff-co", role=Role.STAFF, country_id="CO")


def account(
    store: MemoryStore,
    actor: Actor,
    *,
    status: UserStatus = UserStatus.ACTIVE,
) -> User:
    """The account behind `actor`, as the user directory reads it."""
    user = User(
        id=actor.id,
        email=f"{actor.id}@clinic.test",
        role=actor.role,
        status=status,
        country_id=actor.country_id,
        patient_id=actor.patient_id,
        practitioner_id=actor.practitioner_id,
        password_hash=None,
        failed_logins=0,
        locked_until=None,
        created_at=NOW,
        updated_at=NOW,
    )
    store.users[user.id] = user
    return user


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    add_patient(store, "ana", "PE", NOW)
    add_patient(store, "luis", "PE", NOW)
    add_patient(store, "cruz", "CO", NOW)
    add_patient(store, "gone", "PE", NOW, active=False)
    store.care.add(("dr-1", "ana"))
    for actor in (DOCTOR, OTHER_DOCTOR, STAFF_PE, STAFF_CO):
        account(store, actor)
    return store


@pytest.fixture
def notes(store: MemoryStore, clock: StillClock) -> NoteService:
    return NoteService(lambda: MemoryUnitOfWork(store, clock), clock)


@pytest.fixture
def medications(store: MemoryStore, clock: StillClock) -> MedicationService:
    return MedicationService(lambda: MemoryUnitOfWork(store, clock), clock)


@pytest.fixture
def tasks(store: MemoryStore, clock: StillClock) -> TaskService:
    return TaskService(lambda: MemoryUnitOfWork(store, clock), clock)


@pytest.fixture
def checklists(store: MemoryStore, clock: StillClock) -> ChecklistService:
    return ChecklistService(lambda: MemoryUnitOfWork(store, clock), clock)
