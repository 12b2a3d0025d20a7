"""Who may see and change which patients, and the audit entry every attempt leaves."""

from __future__ import annotations

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Forbidden
from carehub.patients.errors import PatientIdTaken, PatientNotFound
from carehub.patients.model import HumanName, PatientChanges, PatientDetails
from carehub.patients.ports import PatientFilter
from carehub.patients.service import PatientDraft, PatientService

STAFF_PE = Actor(id="staff-pe", role=Role.STAFF, country_id="PE")
DOCTOR = Actor(id="user-dr1", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-1")
OTHER_DOCTOR = Actor(id="user-dr2", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-2")


def draft(name: str, country: str = "PE", patient_id: str | None = None) -> PatientDraft:
    details = PatientDetails(name=HumanName.from_text(name))
    return PatientDraft(country_id=country, details=details, patient_id=patient_id)


async def names_listed(service: PatientService, actor: Actor, criteria: PatientFilter) -> set[str]:
    page = await service.search(actor=actor, criteria=criteria, cursor=None, limit=50)
    return {p.details.name.text for p in page.items}


def last_audit(store: MemoryStore) -> tuple[str, str, str, tuple[str, ...]]:
    entry = store.audit[-1]
    return entry.actor_id, entry.action, entry.outcome, entry.patient_ids


async def test_reading_a_patient_leaves_an_audit_entry_naming_them(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    patient = await service.register(actor=actor, draft=draft("Ana Torres"))
    await service.get(actor=actor, patient_id=patient.id)
    assert last_audit(store) == ("user-1", "patient.read", "allowed", (patient.id,))


async def test_a_refused_registration_is_audited_without_the_claimed_id(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    await service.register(actor=actor, draft=draft("Ana Torres", patient_id="0315"))
    with pytest.raises(PatientIdTaken):
        await service.register(actor=actor, draft=draft("Luis Vega", patient_id="0315"))
    assert last_audit(store) == ("user-1", "patient.create", "failed", ())


async def test_staff_register_only_in_their_own_country(
    service: PatientService, store: MemoryStore
) -> None:
    with pytest.raises(Forbidden):
        await service.register(actor=STAFF_PE, draft=draft("Ana Torres", country="CL"))
    assert store.patients == {}
    assert last_audit(store)[1:3] == ("patient.create", "denied")
    await service.register(actor=STAFF_PE, draft=draft("Luis Vega", country="PE"))


async def test_staff_list_only_patients_of_their_country(
    service: PatientService, actor: Actor
) -> None:
    await service.register(actor=actor, draft=draft("Ana Torres", country="PE"))
    await service.register(actor=actor, draft=draft("Luis Vega", country="CL"))
    assert await names_listed(service, STAFF_PE, PatientFilter()) == {"Ana Torres"}
    assert await names_listed(service, STAFF_PE, PatientFilter(country_id="CL")) == set()


async def test_a_doctor_sees_only_patients_in_their_care(
    service: PatientService, store: MemoryStore
) -> None:
    mine = await service.register(actor=DOCTOR, draft=draft("Ana Torres"))
    assert await service.get(actor=DOCTOR, patient_id=mine.id) == mine
    assert await names_listed(service, DOCTOR, PatientFilter()) == {"Ana Torres"}
    assert await names_listed(service, OTHER_DOCTOR, PatientFilter()) == set()
    with pytest.raises(PatientNotFound):
        await service.get(actor=OTHER_DOCTOR, patient_id=mine.id)
    assert last_audit(store) == ("user-dr2", "patient.read", "denied", (mine.id,))


async def test_assigning_care_lets_another_doctor_see_the_patient(
    service: PatientService, actor: Actor
) -> None:
    patient = await service.register(actor=DOCTOR, draft=draft("Ana Torres"))
    assert await service.assign_care(actor=actor, patient_id=patient.id, practitioner_id="dr-2")
    assert await service.get(actor=OTHER_DOCTOR, patient_id=patient.id) == patient
    assert not await service.assign_care(actor=actor, patient_id=patient.id, practitioner_id="dr-2")


async def test_a_patient_changes_only_their_own_contact_details(
    service: PatientService, actor: Actor
) -> None:
    ana = await service.register(actor=actor, draft=draft("Ana Torres"))
    luis = await service.register(actor=actor, draft=draft("Luis Vega"))
    herself = Actor(id="user-ana", role=Role.PATIENT, patient_id=ana.id)
    email = PatientChanges(email="a@example.org")
    revised = await service.revise(actor=herself, patient_id=ana.id, changes=email, if_version=1)
    assert revised.details.email == "a@example.org"
    with pytest.raises(Forbidden):
        await service.revise(
            actor=herself,
            patient_id=ana.id,
            changes=PatientChanges(name=HumanName.from_text("Ana Vega")),
            if_version=2,
        )
    with pytest.raises(PatientNotFound):
        await service.get(actor=herself, patient_id=luis.id)


async def test_only_unrestricted_actors_import_in_bulk(
    service: PatientService, store: MemoryStore
) -> None:
    with pytest.raises(Forbidden):
        await service.register_many(actor=STAFF_PE, drafts=[draft("Ana Torres")])
    assert store.patients == {}
