"""Patient use cases over the in-memory adapter: each commits all of its changes or none."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.kernel.actor import Actor
from carehub.kernel.errors import Conflict, Invalid, NotFound, PreconditionFailed
from carehub.patients.errors import IdentifierTaken, PatientIdTaken, PatientNotFound
from carehub.patients.events import PatientDeactivated, PatientRegistered, PatientUpdated
from carehub.patients.model import (
    Address,
    CodedEntry,
    HumanName,
    Identifier,
    Patient,
    PatientChanges,
    PatientDetails,
)
from carehub.patients.mrn import format_mrn
from carehub.patients.ports import PatientFilter
from carehub.patients.service import PatientDraft, PatientService
from tests.support.clock import AdjustableClock


def draft(
    name: str = "Ana Torres",
    *,
    country: str = "PE",
    patient_id: str | None = None,
    age: int | None = None,
    **fields: Any,
) -> PatientDraft:
    details = PatientDetails(name=HumanName.from_text(name), **fields)
    return PatientDraft(country_id=country, details=details, patient_id=patient_id, age=age)


async def register(
    service: PatientService, actor: Actor, name: str = "Ana Torres", **fields: Any
) -> Patient:
    return await service.register(actor=actor, draft=draft(name, **fields))


def everyone(store: MemoryStore) -> set[str]:
    return {p.details.name.text for p in store.patients.values()}


# --- register ------------------------------------------------------------------------------


async def test_registering_assigns_a_uuid7_id_the_first_mrn_and_version_one(
    service: PatientService, actor: Actor, clock: AdjustableClock
) -> None:
    before = clock.now()
    patient = await register(service, actor)
    assert uuid.UUID(patient.id).version == 7
    assert patient.mrn == format_mrn(1)
    assert (patient.version, patient.active, patient.country_id) == (1, True, "PE")
    assert before <= patient.created_at == patient.updated_at <= clock.now()
    assert await service.get(actor=actor, patient_id=patient.id) == patient


async def test_mrns_count_up_per_country(service: PatientService, actor: Actor) -> None:
    pe1 = await register(service, actor, country="PE")
    cl1 = await register(service, actor, country="CL")
    pe2 = await register(service, actor, country="PE")
    assert (pe1.mrn, pe2.mrn, cl1.mrn) == (format_mrn(1), format_mrn(2), format_mrn(1))


async def test_registering_keeps_the_callers_id(service: PatientService, actor: Actor) -> None:
    patient = await register(service, actor, patient_id="0315")
    assert patient.id == "0315"
    assert (await service.get(actor=actor, patient_id="0315")).mrn == patient.mrn


async def test_a_taken_caller_id_is_a_conflict_and_uses_up_no_mrn(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    await register(service, actor, "Ana Torres", patient_id="0315")
    with pytest.raises(PatientIdTaken) as caught:
        await register(service, actor, "Luis Vega", patient_id="0315")
    assert isinstance(caught.value, Conflict)
    assert everyone(store) == {"Ana Torres"}
    assert len(store.outbox) == 1
    assert (await register(service, actor)).mrn == format_mrn(2)


async def test_a_malformed_caller_id_is_invalid(service: PatientService, actor: Actor) -> None:
    with pytest.raises(Invalid) as caught:
        await register(service, actor, patient_id="../etc")
    assert [e.field for e in caught.value.errors] == ["patientId"]


async def test_a_taken_identifier_is_a_conflict(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    dni = (Identifier("urn:pe:dni", "40123456"),)
    await register(service, actor, "Ana Torres", identifiers=dni)
    with pytest.raises(IdentifierTaken):
        await register(service, actor, "Luis Vega", identifiers=dni)
    assert everyone(store) == {"Ana Torres"}


async def test_registering_with_an_age_stores_an_estimated_birth_date(
    service: PatientService, actor: Actor, clock: AdjustableClock
) -> None:
    patient = await register(service, actor, age=85)
    assert patient.details.birth_date_estimated
    assert patient.age(clock.now().date()) == 85


async def test_age_and_birth_date_together_are_invalid(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    with pytest.raises(Invalid) as caught:
        await register(service, actor, age=40, birth_date=date(1980, 1, 1))
    assert [e.field for e in caught.value.errors] == ["age"]
    assert store.patients == {}


async def test_invalid_details_register_nothing(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    with pytest.raises(Invalid):
        await register(service, actor, email="not-an-email")
    assert store.patients == {}
    assert store.mrn_counters == {}
    assert store.outbox == []


async def test_registering_records_one_event_with_ids_only(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    patient = await register(service, actor, email="ana@example.org")
    [event] = store.outbox
    assert isinstance(event, PatientRegistered)
    assert (event.aggregate_id, event.actor_id, event.occurred_at) == (
        patient.id,
        "user-1",
        patient.created_at,
    )
    assert event.payload() == {"patientId": patient.id, "countryId": "PE"}


async def test_register_many_numbers_each_country_consecutively(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    await register(service, actor, "First Peruvian", country="PE")
    countries = ["PE", "CL", "PE", "CL", "PE"]
    drafts = [draft(f"Person {i}", country=c) for i, c in enumerate(countries)]
    assert await service.register_many(actor=actor, drafts=drafts) == 5
    mrns = {p.details.name.text: p.mrn for p in store.patients.values()}
    assert [mrns[f"Person {i}"] for i in (0, 2, 4)] == [format_mrn(n) for n in (2, 3, 4)]
    assert [mrns[f"Person {i}"] for i in (1, 3)] == [format_mrn(n) for n in (1, 2)]
    assert len(store.outbox) == 6


async def test_register_many_is_all_or_nothing(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    dni = (Identifier("urn:pe:dni", "1"),)
    drafts = [draft("Ana Torres", identifiers=dni), draft("Luis Vega", identifiers=dni)]
    with pytest.raises(IdentifierTaken):
        await service.register_many(actor=actor, drafts=drafts)
    assert store.patients == {}
    assert store.mrn_counters == {}
    assert store.outbox == []


# --- get -----------------------------------------------------------------------------------


async def test_getting_an_unknown_patient_is_not_found(
    service: PatientService, actor: Actor
) -> None:
    with pytest.raises(PatientNotFound) as caught:
        await service.get(actor=actor, patient_id="nobody")
    assert isinstance(caught.value, NotFound)
    assert caught.value.patient_id == "nobody"


# --- revise --------------------------------------------------------------------------------


async def test_revising_the_current_version_stores_the_next_one(
    service: PatientService, actor: Actor, clock: AdjustableClock, store: MemoryStore
) -> None:
    patient = await register(service, actor, email="ana@example.org")
    clock.advance(timedelta(hours=1))
    revised = await service.revise(
        actor=actor,
        patient_id=patient.id,
        changes=PatientChanges(email="new@example.org", address=Address(city="Cusco")),
        if_version=1,
    )
    assert revised.version == 2
    assert revised.updated_at - patient.updated_at >= timedelta(hours=1)
    assert revised.created_at == patient.created_at
    assert revised.details.email == "new@example.org"
    assert revised.details.name == patient.details.name
    assert await service.get(actor=actor, patient_id=patient.id) == revised
    event = store.outbox[-1]
    assert isinstance(event, PatientUpdated)
    assert (event.version, event.changed_fields) == (2, ("address", "email"))


async def test_revising_a_stale_version_fails_and_changes_nothing(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    patient = await register(service, actor)
    await service.revise(
        actor=actor, patient_id=patient.id, changes=PatientChanges(phone="+51 1 1234"), if_version=1
    )
    with pytest.raises(PreconditionFailed):
        await service.revise(
            actor=actor,
            patient_id=patient.id,
            changes=PatientChanges(email="late@example.org"),
            if_version=1,
        )
    current = await service.get(actor=actor, patient_id=patient.id)
    assert (current.version, current.details.email) == (2, None)
    assert len(store.outbox) == 2


async def test_a_revision_that_changes_nothing_keeps_the_version_and_records_nothing(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    patient = await register(service, actor, email="ana@example.org")
    same = await service.revise(
        actor=actor,
        patient_id=patient.id,
        changes=PatientChanges(email="ana@example.org"),
        if_version=1,
    )
    assert same == patient
    assert len(store.outbox) == 1


async def test_a_revision_that_breaks_a_rule_is_refused(
    service: PatientService, actor: Actor
) -> None:
    patient = await register(service, actor, email="ana@example.org")
    with pytest.raises(Invalid):
        await service.revise(
            actor=actor, patient_id=patient.id, changes=PatientChanges(email="x"), if_version=1
        )
    assert await service.get(actor=actor, patient_id=patient.id) == patient


async def test_revising_onto_someone_elses_identifier_is_a_conflict(
    service: PatientService, actor: Actor
) -> None:
    dni = Identifier("urn:pe:dni", "1")
    await register(service, actor, "Ana Torres", identifiers=(dni,))
    luis = await register(service, actor, "Luis Vega")
    with pytest.raises(IdentifierTaken):
        await service.revise(
            actor=actor,
            patient_id=luis.id,
            changes=PatientChanges(identifiers=(dni,)),
            if_version=1,
        )
    assert await service.get(actor=actor, patient_id=luis.id) == luis


async def test_revising_an_unknown_patient_is_not_found(
    service: PatientService, actor: Actor
) -> None:
    with pytest.raises(PatientNotFound):
        await service.revise(
            actor=actor, patient_id="nobody", changes=PatientChanges(phone=None), if_version=1
        )


# --- deactivate ----------------------------------------------------------------------------


async def test_deactivating_hides_the_patient_from_lists_but_not_from_reads(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    patient = await register(service, actor)
    inactive = await service.deactivate(actor=actor, patient_id=patient.id)
    assert (inactive.active, inactive.version) == (False, 2)
    assert await service.get(actor=actor, patient_id=patient.id) == inactive
    listed = await service.search(actor=actor, criteria=PatientFilter(), cursor=None, limit=10)
    assert listed.items == []
    everyone_listed = await service.search(
        actor=actor, criteria=PatientFilter(include_inactive=True), cursor=None, limit=10
    )
    assert everyone_listed.items == [inactive]
    assert isinstance(store.outbox[-1], PatientDeactivated)


async def test_deactivating_twice_changes_nothing_the_second_time(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    patient = await register(service, actor)
    first = await service.deactivate(actor=actor, patient_id=patient.id)
    again = await service.deactivate(actor=actor, patient_id=patient.id)
    assert again == first
    assert [type(e) for e in store.outbox] == [PatientRegistered, PatientDeactivated]


async def test_deactivating_an_unknown_patient_is_not_found(
    service: PatientService, actor: Actor
) -> None:
    with pytest.raises(PatientNotFound):
        await service.deactivate(actor=actor, patient_id="nobody")


# --- search --------------------------------------------------------------------------------


async def test_search_narrows_by_every_criterion_given(
    service: PatientService, actor: Actor
) -> None:
    diabetes = (CodedEntry(code="44054006", display="Diabetes mellitus type 2"),)
    await register(service, actor, "José Álvarez", conditions=diabetes)
    await register(service, actor, "Josefina Núñez", country="CL", conditions=diabetes)
    await register(service, actor, "Joseph Smith", country="US")

    async def names(criteria: PatientFilter) -> set[str]:
        page = await service.search(actor=actor, criteria=criteria, cursor=None, limit=10)
        return {p.details.name.text for p in page.items}

    assert await names(PatientFilter(name_prefixes=("jose",))) == {
        "José Álvarez",
        "Josefina Núñez",
        "Joseph Smith",
    }
    assert await names(PatientFilter(name_prefixes=("jose",), condition_prefix="diab")) == {
        "José Álvarez",
        "Josefina Núñez",
    }
    assert await names(PatientFilter(condition_prefix="4405", country_id="CL")) == {
        "Josefina Núñez"
    }


async def test_search_pages_through_everyone_in_id_order(
    service: PatientService, actor: Actor
) -> None:
    registered = [await register(service, actor, f"Person {i}") for i in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await service.search(actor=actor, criteria=PatientFilter(), cursor=cursor, limit=2)
        seen.extend(p.id for p in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(p.id for p in registered)


@pytest.mark.parametrize("limit", [0, 201])
async def test_search_refuses_page_sizes_out_of_range(
    service: PatientService, actor: Actor, limit: int
) -> None:
    with pytest.raises(Invalid):
        await service.search(actor=actor, criteria=PatientFilter(), cursor=None, limit=limit)


async def test_search_refuses_a_malformed_country(service: PatientService, actor: Actor) -> None:
    with pytest.raises(Invalid):
        await service.search(
            actor=actor, criteria=PatientFilter(country_id="P E"), cursor=None, limit=10
        )


async def test_search_refuses_a_garbage_cursor(service: PatientService, actor: Actor) -> None:
    with pytest.raises(Invalid):
        await service.search(actor=actor, criteria=PatientFilter(), cursor="garbage!", limit=10)
