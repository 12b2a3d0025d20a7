"""A patient's countryId names an existing country record: an unknown one is refused with
a 422 naming countryId, and nothing (patient, MRN, event) is written."""

from __future__ import annotations

from dataclasses import replace

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.kernel.actor import Actor
from carehub.kernel.errors import Invalid
from carehub.patients.mrn import format_mrn
from carehub.patients.service import PatientService
from tests.support.memory_world import NOW, add_country
from tests.unit.patients.test_service import draft


async def test_an_unknown_country_is_refused_and_uses_up_no_mrn(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    with pytest.raises(Invalid) as caught:
        await service.register(actor=actor, draft=draft(country="ZZZ-nope"))
    assert [e.field for e in caught.value.errors] == ["countryId"]
    assert store.patients == {}
    assert store.mrn_counters == {}
    assert store.outbox == []


async def test_a_country_id_is_matched_exactly_not_by_code(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    # "pe" is neither the id "PE" nor a record of its own.
    with pytest.raises(Invalid):
        await service.register(actor=actor, draft=draft(country="pe"))
    assert store.patients == {}


async def test_a_country_an_operator_added_takes_patients(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    store.countries["001"] = replace(add_country(store, "PE", NOW), id="001")
    patient = await service.register(actor=actor, draft=draft(country="001"))
    assert (patient.country_id, patient.mrn) == ("001", format_mrn(1))


async def test_a_bulk_import_with_one_unknown_country_registers_nobody(
    service: PatientService, actor: Actor, store: MemoryStore
) -> None:
    drafts = [draft("Ana Torres"), draft("Luis Vega", country="nowhere")]
    with pytest.raises(Invalid) as caught:
        await service.register_many(actor=actor, drafts=drafts)
    assert [e.field for e in caught.value.errors] == ["countryId"]
    assert store.patients == {}
    assert store.outbox == []
