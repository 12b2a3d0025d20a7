"""Patients on DynamoDB beyond their contract suite: a unique value lost in a race at
commit raises what it means (MRN numbers a racing unit took first: a lost race, which the
registration runs again), a search's read budget gives short pages rather than one
unbounded read, a page reads about one page of the index, and no adapter code calls
Scan."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from carehub.adapters.dynamodb import patient_search
from carehub.adapters.dynamodb.capacity_meter import metered_request
from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from carehub.kernel.actor import Actor, Role
from carehub.kernel.races import LostRace
from carehub.patients.errors import IdentifierTaken, MrnTaken
from carehub.patients.model import Address, HumanName, Identifier, PatientDetails
from carehub.patients.mrn import format_mrn
from carehub.patients.ports import PatientFilter
from carehub.patients.service import PatientDraft, PatientService
from tests.contract.patient_records import person
from tests.contract.test_country_repository import country
from tests.support.clock import AdjustableClock

NewUnit = Callable[[], DynamoUnitOfWork]
DNI = "urn:pe:dni"
ADAPTER_SOURCE = Path(__file__).parents[3] / "src" / "carehub" / "adapters" / "dynamodb"


@pytest.mark.aws
async def test_an_identifier_or_mrn_taken_by_a_racing_unit_fails_the_commit(
    new_uow: NewUnit,
) -> None:
    ana = person("Ana Torres", identifiers=(Identifier(DNI, "1"),))
    same_identifier = person("Luis Vega", identifiers=(Identifier(DNI, "1"),))
    same_mrn = replace(person("Eva Ruiz"), mrn=ana.mrn)
    winner, by_identifier, by_mrn = new_uow(), new_uow(), new_uow()
    async with winner, by_identifier, by_mrn:
        await winner.patients.add(ana)
        await by_identifier.patients.add(same_identifier)  # both pass the early read
        await by_mrn.patients.add(same_mrn)
        await winner.commit()
        with pytest.raises(IdentifierTaken):
            await by_identifier.commit()
        with pytest.raises(MrnTaken):
            await by_mrn.commit()


@pytest.mark.aws
async def test_two_units_reserving_mrn_numbers_at_once_cannot_both_commit(
    new_uow: NewUnit,
) -> None:
    first, second = new_uow(), new_uow()
    async with first, second:
        assert await first.patients.reserve_mrn_numbers("PE", 2) == 1
        assert await second.patients.reserve_mrn_numbers("PE", 1) == 1
        await first.commit()
        with pytest.raises(LostRace):  # the use case runs again
            await second.commit()
    async with new_uow() as uow:
        assert await uow.patients.reserve_mrn_numbers("PE", 1) == 3


@pytest.mark.aws
async def test_an_mrn_reserved_at_once_by_a_unit_that_committed_first_is_a_lost_race(
    new_uow: NewUnit,
) -> None:
    first, second = new_uow(), new_uow()
    async with first, second:
        mrn = format_mrn(await first.patients.reserve_mrn_numbers("PE", 1))
        assert format_mrn(await second.patients.reserve_mrn_numbers("PE", 1)) == mrn
        await first.patients.add(replace(person("Ana Torres"), mrn=mrn))
        await first.commit()
        with pytest.raises(LostRace):  # not MrnTaken: the counter moved since it was read
            await second.patients.add(replace(person("Luis Vega"), mrn=mrn))


@pytest.mark.aws
async def test_registrations_of_two_processes_in_one_country_all_commit(
    new_uow: NewUnit,
) -> None:
    """Two services stand for two processes on one table: each queues its own
    registrations, and a registration that lost the counter to the other runs again."""
    clock = AdjustableClock()
    async with new_uow() as uow:
        await uow.countries.add(country("PE"))
        await uow.commit()
    processes = [PatientService(new_uow, clock), PatientService(new_uow, clock)]
    admin = Actor(id="user-1", role=Role.ADMIN, country_id="PE")

    async def register(n: int) -> str:
        details = PatientDetails(name=HumanName.from_text(f"Person {n}"))
        draft = PatientDraft(country_id="PE", details=details)
        return (await processes[n % 2].register(actor=admin, draft=draft)).mrn

    mrns = await asyncio.gather(*(register(n) for n in range(12)))
    assert sorted(mrns) == [format_mrn(number) for number in range(1, 13)]


@pytest.mark.aws
async def test_a_search_past_its_read_budget_returns_a_short_page_and_a_cursor(
    new_uow: NewUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(patient_search, "READ_BUDGET", 3)
    people = [person(f"Person {n}", patient_id=f"p{n}") for n in range(5)]
    people[4] = person("Rosa Diaz", patient_id="p4", address=Address(text="Jr. Cusco 9"))
    async with new_uow() as uow:
        await uow.patients.add_many(people)
        await uow.commit()
    criteria = PatientFilter(address_contains="cusco")
    async with new_uow() as uow:
        first = await uow.patients.search(criteria, cursor=None, limit=10)
        assert (first.items, first.next_cursor is not None) == ([], True)
        rest = await uow.patients.search(criteria, cursor=first.next_cursor, limit=10)
    assert ([p.id for p in rest.items], rest.next_cursor) == (["p4"], None)


@pytest.mark.aws
async def test_a_page_queries_one_page_of_the_index_and_one_more(new_uow: NewUnit) -> None:
    for batch in range(4):  # 40 patients of one country, a few a transaction
        async with new_uow() as uow:
            await uow.patients.add_many([person(f"Person {batch} {n}") for n in range(10)])
            await uow.commit()
    with metered_request() as reading:
        async with new_uow() as uow:
            page = await uow.patients.search(PatientFilter(country_id="PE"), cursor=None, limit=2)
    assert len(page.items) == 2 and page.next_cursor is not None
    # 3 patient items of well under 4 KB together: the smallest eventually consistent read.
    assert reading()["items"]["Query GSI2 COUNTRY"] == [1, 0.5, 0.0]


def test_no_adapter_code_scans_the_table() -> None:
    """Scan reads the whole table: only maintenance commands may, from the one module that
    holds them (`carehub timeline rebuild` of everyone), never called on a request's path."""
    calls = re.compile(r"\.scan\(|[\"']Scan[\"']")
    scanning = [path.name for path in ADAPTER_SOURCE.glob("*.py") if calls.search(path.read_text())]
    assert scanning == ["maintenance.py"]
