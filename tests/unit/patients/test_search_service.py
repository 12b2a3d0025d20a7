"""The search use case over the in-memory adapters: the scope of each role (a patient is
scored on their own record without the index), the index kept by the consumer's handler,
records read again (a lagging index shows nothing stale), the audit entry, and a reindex."""

from __future__ import annotations

from dataclasses import replace

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Forbidden, Invalid
from carehub.patients.model import HumanName, PatientDetails
from carehub.patients.search_service import CONTACT_SHAPED, PatientSearchService, index_patient
from carehub.patients.service import PatientDraft, PatientService
from tests.support.clock import AdjustableClock

ADMIN = Actor(id="admin-1", role=Role.ADMIN)
STAFF_PE = Actor(id="staff-1", role=Role.STAFF, country_id="PE")
DOCTOR = Actor(id="doc-user", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-1")


@pytest.fixture
def searching(store: MemoryStore, clock: AdjustableClock) -> PatientSearchService:
    return PatientSearchService(lambda: MemoryUnitOfWork(store, clock), clock)


async def registered(
    service: PatientService, store: MemoryStore, clock: AdjustableClock, name: str, country: str
) -> str:
    details = PatientDetails(name=HumanName.from_text(name), phone="+51 987 654 321")
    patient = await service.register(
        actor=ADMIN, draft=PatientDraft(country_id=country, details=details)
    )
    async with MemoryUnitOfWork(store, clock) as uow:  # what the consumer does
        await index_patient(uow, patient.id)
        await uow.commit()
    return patient.id


async def ids(searching: PatientSearchService, actor: Actor, q: str, **asked: object) -> list[str]:
    page = await searching.find(
        actor=actor, q=q, country_id=asked.get("country_id"), limit=20, cursor=None
    )
    return [p.id for p in page.items]


async def test_each_role_finds_its_scope(
    service: PatientService,
    searching: PatientSearchService,
    store: MemoryStore,
    clock: AdjustableClock,
) -> None:
    pe = await registered(service, store, clock, "Rosa Quispe", "PE")
    cl = await registered(service, store, clock, "Rosa Quispe", "CL")
    store.care.add(("dr-1", cl))
    assert sorted(await ids(searching, ADMIN, "rosa quispe")) == sorted([pe, cl])
    assert await ids(searching, ADMIN, "rosa quispe", country_id="CL") == [cl]
    assert await ids(searching, STAFF_PE, "rosa quispe") == [pe]
    assert await ids(searching, DOCTOR, "rosa quispe") == [cl]
    own = Actor(id="u-p", role=Role.PATIENT, patient_id=pe)
    assert await ids(searching, own, "rosa qispe") == [pe]  # scored in memory, typo and all
    assert await ids(searching, own, "garcia") == []
    assert await ids(searching, Actor(id="u-x", role=Role.STAFF), "rosa") == []
    with pytest.raises(Forbidden):
        await ids(searching, STAFF_PE, "rosa", country_id="CL")
    with pytest.raises(Invalid):
        await ids(searching, ADMIN, "r")


async def test_records_are_read_again_and_the_search_is_audited(
    service: PatientService,
    searching: PatientSearchService,
    store: MemoryStore,
    clock: AdjustableClock,
) -> None:
    found = await registered(service, store, clock, "Kusi Condori", "PE")
    assert await ids(searching, STAFF_PE, "kusi condori") == [found]
    entry = store.audit[-1]
    assert (entry.action, entry.patient_ids, entry.resource_id) == (
        "patient.search",
        (found,),
        "q:kusi condori",
    )
    assert await ids(searching, STAFF_PE, "(51) 987-654-321") == [found]
    assert store.audit[-1].resource_id == CONTACT_SHAPED
    # Renamed, not indexed again yet: the old name no longer finds the record.
    patient = store.patients[found]
    renamed = replace(patient.details, name=HumanName.from_text("Kusi Apaza"))
    store.patients[found] = replace(patient, details=renamed)
    assert await ids(searching, STAFF_PE, "kusi condori") == []
    assert await searching.reindex(actor=Actor.system("test")) == 1
    assert await ids(searching, STAFF_PE, "kusi apaza") == [found]


async def test_only_operators_reindex(searching: PatientSearchService) -> None:
    with pytest.raises(Forbidden):
        await searching.reindex(actor=STAFF_PE)
