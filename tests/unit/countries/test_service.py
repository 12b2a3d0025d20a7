"""Country use cases over the in-memory adapter: codes are assigned ISO 3166-1 alpha-2
codes, each country names the rule set it books under, and the shipped countries load
once without touching what an operator changed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.countries.events import CountryChanged
from carehub.countries.model import Country
from carehub.countries.service import CountryService, CountrySettings
from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Forbidden, Invalid
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN

SHIPPED = ["CL", "CO", "MX", "PE", "US"]
LOADER = Actor.system("countries-load")


@pytest.fixture
def countries(store: MemoryStore, clock: StillClock) -> CountryService:
    return CountryService(lambda: MemoryUnitOfWork(store, clock), clock)


async def create(countries: CountryService, code: str, country_id: str | None = None) -> Country:
    return await countries.create(
        actor=ADMIN, country_id=country_id, code=code, settings=CountrySettings()
    )


@pytest.mark.parametrize("code", ["-5", "1e", "00", "ZZ", "XA", "QM", "EU", "é1", "C L"])
async def test_a_code_that_is_no_assigned_iso_code_is_refused_naming_code(
    countries: CountryService, store: MemoryStore, code: str
) -> None:
    with pytest.raises(Invalid) as caught:
        await create(countries, code, "x")
    assert [e.field for e in caught.value.errors] == ["code"]
    assert store.countries == {}


async def test_a_lower_case_code_is_stored_upper_case(countries: CountryService) -> None:
    chile = await countries.create(
        actor=ADMIN, country_id="002", code="cl", settings=CountrySettings()
    )
    assert (chile.code, chile.rule_set, chile.name) == ("CL", "CL", "Chile")


async def test_a_code_without_a_shipped_rule_set_books_under_the_default_one(
    countries: CountryService,
) -> None:
    argentina = await countries.create(
        actor=ADMIN, country_id=None, code="AR", settings=CountrySettings(name="Argentina")
    )
    assert (argentina.id, argentina.code, argentina.rule_set) == ("AR", "AR", "default")
    assert argentina.time_zones == ("UTC",)


async def test_loading_adds_each_shipped_country_once_with_an_event_and_an_audit_entry(
    countries: CountryService, store: MemoryStore
) -> None:
    added = await countries.load_shipped(actor=LOADER)
    assert [c.id for c in added] == SHIPPED
    assert sorted(store.countries) == SHIPPED
    peru = store.countries["PE"]
    assert (peru.code, peru.name, peru.rule_set, peru.version) == ("PE", "Peru", "PE", 1)
    assert sorted(e.aggregate_id for e in store.outbox if isinstance(e, CountryChanged)) == SHIPPED
    assert sorted(e.resource_id or "" for e in store.audit if e.action == "country.create") == (
        SHIPPED
    )
    assert await countries.load_shipped(actor=LOADER) == []
    assert len(store.outbox) == len(SHIPPED)


async def test_loading_keeps_an_operators_changes_and_fills_in_the_rest(
    countries: CountryService, store: MemoryStore
) -> None:
    await countries.load_shipped(actor=LOADER)
    edited = replace(store.countries["CL"], name="República de Chile", version=4)
    store.countries["CL"] = edited
    del store.countries["MX"]
    assert [c.id for c in await countries.load_shipped(actor=LOADER)] == ["MX"]
    assert store.countries["CL"] == edited


async def test_a_second_record_may_share_a_shipped_code_and_its_rule_set(
    countries: CountryService, store: MemoryStore
) -> None:
    """Seed 001 posts {"countryId": "002", "name": "CHILE", "code": "CL"} on a fresh install."""
    await countries.load_shipped(actor=LOADER)
    seeded = await countries.create(
        actor=ADMIN, country_id="002", code="CL", settings=CountrySettings(name="CHILE")
    )
    assert (seeded.rule_set, seeded.rules) == ("CL", store.countries["CL"].rules)
    assert (await countries.get(country_id="CL")).id == "CL"


async def test_only_admins_and_operators_load_countries(countries: CountryService) -> None:
    with pytest.raises(Forbidden):
        await countries.load_shipped(actor=Actor(id="staff-pe", role=Role.STAFF, country_id="PE"))
