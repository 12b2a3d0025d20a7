"""Country records tests create before they register patients (a patient's countryId
names an existing country): through the API, or straight into a store."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from carehub.countries.ports import CountriesUnitOfWork
from carehub.countries.rulesets import SHIPPED
from carehub.kernel.clock import Clock
from tests.support.memory_world import country_record

# The walkthrough's first country: seed 001's patients name country "001".
SEED_001_COUNTRY = {"countryId": "001", "name": "PERU", "code": "PE"}


def create_countries(client: httpx.Client, *bodies: Mapping[str, str]) -> None:
    """POST each country body; each must be created."""
    for body in bodies:
        response = client.post("/countries", json=dict(body))
        assert response.status_code == 201, response.text


def ensure_country(client: httpx.Client, code: str) -> None:
    """The country record with id = `code`, created unless a test made it already."""
    response = client.post("/countries", json={"code": code})
    assert response.status_code in (201, 409), response.text


def create_shipped_countries(client: httpx.Client) -> None:
    """What `carehub countries load` adds: one record per shipped rule set, id = code."""
    create_countries(client, *({"code": rules.code} for rules in SHIPPED))


async def add_shipped_countries(new_uow: Callable[[], CountriesUnitOfWork], clock: Clock) -> None:
    """The records `carehub db upgrade` adds, written straight to the store through the
    repository, so the outbox and the audit trail hold only what a test makes."""
    async with new_uow() as uow:
        for rules in SHIPPED:
            await uow.countries.add(country_record(rules.code, clock.now()))
        await uow.commit()
