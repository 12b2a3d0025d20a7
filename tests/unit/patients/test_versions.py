"""Every version of a patient record, read one at a time (FHIR's vread) or newest first
(its history), over the in-memory adapter: each change keeps its version only when it
commits, the gate decides on the record as it stands now, and every read is audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Invalid, NotFound, PreconditionFailed
from carehub.patients.errors import IdentifierTaken, PatientNotFound, PatientVersionNotFound
from carehub.patients.model import (
    MAX_VERSION,
    Address,
    HumanName,
    Identifier,
    Patient,
    PatientChanges,
    PatientDetails,
)
from carehub.patients.service import PatientDraft, PatientService
from tests.support.clock import AdjustableClock
from tests.support.memory_world import NOW, add_patient, audited

STAFF_PE = Actor(id="staff-pe", role=Role.STAFF, country_id="PE")
STAFF_CL = Actor(id="staff-cl", role=Role.STAFF, country_id="CL")
DOCTOR = Actor(id="user-dr1", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-1")
DNI = "urn:pe:dni"


def draft(
    name: str = "Ana Torres", *, patient_id: str | None = None, **fields: Any
) -> PatientDraft:
    details = PatientDetails(name=HumanName.from_text(name), **fields)
    return PatientDraft(country_id="PE", details=details, patient_id=patient_id)


async def three_versions(
    service: PatientService, actor: Actor, clock: AdjustableClock
) -> list[Patient]:
    """A registration, a move to Cusco, and a deactivation, an hour apart."""
    first = await service.register(actor=actor, draft=draft(address=Address(city="Lima")))
    clock.advance(timedelta(hours=1))
    moved = await service.revise(
        actor=actor,
        patient_id=first.id,
        changes=PatientChanges(address=Address(city="Cusco")),
        if_version=1,
    )
    clock.advance(timedelta(hours=1))
    inactive = await service.deactivate(actor=actor, patient_id=first.id)
    return [first, moved, inactive]


async def history(
    service: PatientService, actor: Actor, patient_id: str, limit: int = 50
) -> list[Patient]:
    """Every version the history lists, paging through with `limit`."""
    found: list[Patient] = []
    cursor: str | None = None
    while True:
        page = await service.history(actor=actor, patient_id=patient_id, cursor=cursor, limit=limit)
        found += page.items
        cursor = page.next_cursor
        if cursor is None:
            return found


# --- each change keeps its version ---------------------------------------------------------


async def test_each_version_reads_as_it_stood(
    service: PatientService, actor: Actor, clock: AdjustableClock
) -> None:
    versions = await three_versions(service, actor, clock)
    patient_id = versions[0].id
    for n, expected in enumerate(versions, start=1):
        assert await service.version(actor=actor, patient_id=patient_id, version=n) == expected
    cities = [v.details.address.city for v in versions if v.details.address]
    assert cities == ["Lima", "Cusco", "Cusco"]
    assert [v.active for v in versions] == [True, True, False]


async def test_history_lists_every_version_newest_first(
    service: PatientService, actor: Actor, clock: AdjustableClock
) -> None:
    versions = await three_versions(service, actor, clock)
    assert await history(service, actor, versions[0].id) == versions[::-1]
    assert await history(service, actor, versions[0].id, limit=2) == versions[::-1]


async def test_a_bulk_registration_keeps_each_first_version(
    service: PatientService, actor: Actor
) -> None:
    drafts = [draft(f"Person {n}", patient_id=f"bulk-{n}") for n in range(3)]
    await service.register_many(actor=actor, drafts=drafts)
    for n in range(3):
        kept = await service.version(actor=actor, patient_id=f"bulk-{n}", version=1)
        assert kept.details.name.text == f"Person {n}"
        assert await history(service, actor, f"bulk-{n}") == [kept]


async def test_a_change_that_changes_nothing_keeps_no_version(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    patient = await service.register(actor=actor, draft=draft())
    same = PatientChanges(name=HumanName.from_text("Ana Torres"))
    await service.revise(actor=actor, patient_id=patient.id, changes=same, if_version=1)
    await service.deactivate(actor=actor, patient_id=patient.id)
    await service.deactivate(actor=actor, patient_id=patient.id)  # already inactive
    assert sorted(store.patient_versions) == [(patient.id, 1), (patient.id, 2)]


async def test_a_stale_revise_keeps_no_version(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    patient = await service.register(actor=actor, draft=draft())
    changes = PatientChanges(phone="+51 987 654 321")
    await service.revise(actor=actor, patient_id=patient.id, changes=changes, if_version=1)
    with pytest.raises(PreconditionFailed):
        await service.revise(actor=actor, patient_id=patient.id, changes=changes, if_version=1)
    assert sorted(store.patient_versions) == [(patient.id, 1), (patient.id, 2)]


async def test_a_revise_refused_by_the_store_keeps_no_version(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    await service.register(
        actor=actor, draft=draft("Luis Vega", identifiers=(Identifier(DNI, "1"),))
    )
    ana = await service.register(actor=actor, draft=draft())
    taken = PatientChanges(identifiers=(Identifier(DNI, "1"),))
    with pytest.raises(IdentifierTaken):
        await service.revise(actor=actor, patient_id=ana.id, changes=taken, if_version=1)
    assert [v for (p, v) in store.patient_versions if p == ana.id] == [1]
    assert await history(service, actor, ana.id) == [ana]


# --- records kept from before versions were ------------------------------------------------


def stored_before_versions(store: MemoryStore, *, version: int) -> Patient:
    """A record written straight to the store at `version`, as one stored before versions
    were kept: none of its versions is."""
    patient = replace(add_patient(store, "legacy-1", "PE", NOW), version=version)
    store.patients[patient.id] = patient
    return patient


async def test_a_record_stored_before_versions_were_kept_reads_its_current_version(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    legacy = stored_before_versions(store, version=4)
    assert await service.version(actor=actor, patient_id=legacy.id, version=4) == legacy
    assert await history(service, actor, legacy.id) == [legacy]
    with pytest.raises(PatientVersionNotFound):
        await service.version(actor=actor, patient_id=legacy.id, version=3)


async def test_a_record_changed_since_lists_the_versions_kept_since(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    legacy = stored_before_versions(store, version=4)
    changes = PatientChanges(phone="+51 987 654 321")
    revised = await service.revise(actor=actor, patient_id=legacy.id, changes=changes, if_version=4)
    assert await history(service, actor, legacy.id) == [revised]
    with pytest.raises(PatientVersionNotFound):
        await service.version(actor=actor, patient_id=legacy.id, version=4)


# --- not found, invalid --------------------------------------------------------------------


async def test_a_version_never_made_is_not_found(service: PatientService, actor: Actor) -> None:
    patient = await service.register(actor=actor, draft=draft())
    with pytest.raises(PatientVersionNotFound) as raised:
        await service.version(actor=actor, patient_id=patient.id, version=2)
    assert isinstance(raised.value, NotFound)
    assert "Ana" not in str(raised.value)


async def test_an_unknown_patient_has_no_versions(service: PatientService, actor: Actor) -> None:
    with pytest.raises(PatientNotFound):
        await service.version(actor=actor, patient_id="nobody", version=1)
    with pytest.raises(PatientNotFound):
        await service.history(actor=actor, patient_id="nobody", cursor=None, limit=10)


@pytest.mark.parametrize("version", [0, -1, MAX_VERSION + 1, True])
async def test_a_version_no_record_can_have_is_invalid(
    service: PatientService, actor: Actor, version: int
) -> None:
    patient = await service.register(actor=actor, draft=draft())
    with pytest.raises(Invalid) as raised:
        await service.version(actor=actor, patient_id=patient.id, version=version)
    assert [e.field for e in raised.value.errors] == ["version"]


@pytest.mark.parametrize("limit", [0, 201])
async def test_a_history_page_size_out_of_range_is_invalid(
    service: PatientService, actor: Actor, limit: int
) -> None:
    patient = await service.register(actor=actor, draft=draft())
    with pytest.raises(Invalid):
        await service.history(actor=actor, patient_id=patient.id, cursor=None, limit=limit)


# --- the gate, and the audit trail ---------------------------------------------------------


async def test_an_actor_who_may_not_see_the_record_finds_no_version(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    patient = await service.register(actor=actor, draft=draft())
    with pytest.raises(PatientNotFound):
        await service.version(actor=STAFF_CL, patient_id=patient.id, version=1)
    assert audited(store)[-1] == ("staff-cl", "patient.vread", "denied", (patient.id,))
    with pytest.raises(PatientNotFound):
        await service.history(actor=STAFF_CL, patient_id=patient.id, cursor=None, limit=10)
    assert audited(store)[-1] == ("staff-cl", "patient.history", "denied", (patient.id,))


async def test_the_gate_decides_on_the_record_as_it_stands_now(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    """A doctor who takes a patient into their care sees every version, also those made
    before; one who never had them sees none."""
    patient = await service.register(actor=actor, draft=draft())
    await service.assign_care(actor=actor, patient_id=patient.id, practitioner_id="dr-1")
    assert await service.version(actor=DOCTOR, patient_id=patient.id, version=1) == patient
    stranger = Actor(id="user-dr2", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-2")
    with pytest.raises(PatientNotFound):
        await service.version(actor=stranger, patient_id=patient.id, version=1)


async def test_each_read_of_a_version_is_audited_naming_the_patient(
    service: PatientService, actor: Actor, clock: AdjustableClock, store: MemoryStore
) -> None:
    versions = await three_versions(service, actor, clock)
    patient_id = versions[0].id
    await service.version(actor=STAFF_PE, patient_id=patient_id, version=1)
    assert audited(store)[-1] == ("staff-pe", "patient.vread", "allowed", (patient_id,))
    await service.history(actor=STAFF_PE, patient_id=patient_id, cursor=None, limit=1)
    assert audited(store)[-1] == ("staff-pe", "patient.history", "allowed", (patient_id,))
    assert store.audit[-1].resource_id == patient_id


async def test_a_missing_version_is_audited_as_not_found_without_the_patient(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    patient = await service.register(actor=actor, draft=draft())
    with pytest.raises(PatientVersionNotFound):
        await service.version(actor=actor, patient_id=patient.id, version=9)
    assert audited(store)[-1] == ("user-1", "patient.vread", "not_found", ())
