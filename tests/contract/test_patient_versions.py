"""The PatientVersions contract: every adapter (memory, SQLite, PostgreSQL, DynamoDB)
passes it. Each version reads back as it stood, a record's versions page newest first
without gaps or repeats, and a version is kept only when its unit commits."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta

import pytest

from carehub.kernel.errors import Invalid
from carehub.kernel.pagination import encode_cursor
from carehub.patients.errors import PatientIdTaken
from carehub.patients.model import MAX_VERSION, Address, HumanName, Patient
from carehub.patients.ports import PatientFilter
from tests.contract.conftest import UnitOfWorkFactory
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.contract.patient_records import CREATED, complete_patient, person, search


def versions_of(patient: Patient, count: int) -> list[Patient]:
    """The patient's first `count` versions, each a change of the one before."""
    found = [patient]
    for n in range(2, count + 1):
        last = found[-1]
        details = replace(last.details, name=HumanName.from_text(f"Ana Torres {n}"))
        found.append(last.revised(details, CREATED + timedelta(hours=n)))
    return found


async def keep(new_uow: UnitOfWorkFactory, *versions: Patient) -> None:
    """Store each version as the use cases do: the record's write and its version together."""
    async with new_uow() as uow:
        for version in versions:
            if version.version == 1:
                await uow.patients.add(version)
            else:
                assert await uow.patients.replace(version, expected_version=version.version - 1)
            await uow.patient_versions.add(version)
        await uow.commit()


async def kept(new_uow: UnitOfWorkFactory, patient_id: str, version: int) -> Patient | None:
    async with new_uow() as uow:
        return await uow.patient_versions.get(patient_id, version)


async def history(
    new_uow: UnitOfWorkFactory, patient_id: str, limit: int, cursor: str | None = None
) -> tuple[list[int], str | None]:
    async with new_uow() as uow:
        page = await uow.patient_versions.history(patient_id, cursor=cursor, limit=limit)
    return [p.version for p in page.items], page.next_cursor


async def every_version(new_uow: UnitOfWorkFactory, patient_id: str, limit: int) -> list[int]:
    """Every version a client sees paging through with `limit`, asserting the page sizes."""
    found: list[int] = []
    cursor: str | None = None
    while True:
        page, cursor = await history(new_uow, patient_id, limit, cursor)
        assert page, "a cursor was issued for an empty page"
        found += page
        if cursor is None:
            return found
        assert len(page) == limit


# --- add and get ---------------------------------------------------------------------------


async def test_a_version_reads_back_with_every_field(new_uow: UnitOfWorkFactory) -> None:
    patient = replace(complete_patient(), version=1)
    await keep(new_uow, patient)
    assert await kept(new_uow, patient.id, 1) == patient


async def test_each_version_reads_back_as_it_stood(new_uow: UnitOfWorkFactory) -> None:
    first = person("Ana Torres", address=Address(city="Lima"))
    moved = first.revised(replace(first.details, address=None), CREATED + timedelta(days=1))
    inactive = moved.deactivated(CREATED + timedelta(days=2))
    await keep(new_uow, first, moved, inactive)
    assert [await kept(new_uow, first.id, n) for n in (1, 2, 3)] == [first, moved, inactive]


async def test_a_version_not_kept_reads_as_none(new_uow: UnitOfWorkFactory) -> None:
    patient = person("Ana Torres")
    await keep(new_uow, patient)
    assert await kept(new_uow, patient.id, 2) is None
    assert await kept(new_uow, patient.id, MAX_VERSION) is None
    assert await kept(new_uow, "nobody", 1) is None


async def test_add_many_keeps_every_version(new_uow: UnitOfWorkFactory) -> None:
    patients = [person(f"Person {n}") for n in range(3)]
    async with new_uow() as uow:
        await uow.patients.add_many(patients)
        await uow.patient_versions.add_many(patients)
        await uow.commit()
    assert [await kept(new_uow, p.id, 1) for p in patients] == patients


async def test_the_highest_version_is_kept(new_uow: UnitOfWorkFactory) -> None:
    patient = replace(person("Ana Torres"), version=MAX_VERSION)
    async with new_uow() as uow:
        await uow.patient_versions.add(patient)
        await uow.commit()
    assert await kept(new_uow, patient.id, MAX_VERSION) == patient
    assert await history(new_uow, patient.id, 10) == ([MAX_VERSION], None)


# --- what commits --------------------------------------------------------------------------


async def test_a_unit_left_without_commit_keeps_no_version(new_uow: UnitOfWorkFactory) -> None:
    first, second = versions_of(person("Ana Torres"), 2)
    await keep(new_uow, first)
    async with new_uow() as uow:
        assert await uow.patients.replace(second, expected_version=1)
        await uow.patient_versions.add(second)
    assert await kept(new_uow, first.id, 2) is None
    assert await history(new_uow, first.id, 10) == ([1], None)


async def test_a_unit_reads_its_own_versions(new_uow: UnitOfWorkFactory) -> None:
    versions = versions_of(person("Ana Torres"), 3)
    await keep(new_uow, *versions[:2])
    async with new_uow() as uow:
        assert await uow.patients.replace(versions[2], expected_version=2)
        await uow.patient_versions.add(versions[2])
        assert await uow.patient_versions.get(versions[2].id, 3) == versions[2]
        first = await uow.patient_versions.history(versions[0].id, cursor=None, limit=2)
        assert [p.version for p in first.items] == [3, 2]
        rest = await uow.patient_versions.history(versions[0].id, cursor=first.next_cursor, limit=2)
        assert ([p.version for p in rest.items], rest.next_cursor) == ([1], None)
        await uow.commit()


async def test_a_taken_id_is_refused_before_its_version_is_kept(
    new_uow: UnitOfWorkFactory,
) -> None:
    ana = person("Ana Torres", patient_id="0315")
    await keep(new_uow, ana)
    luis = person("Luis Vega", patient_id="0315")
    with pytest.raises(PatientIdTaken):
        await keep(new_uow, luis)
    assert await kept(new_uow, "0315", 1) == ana


# --- history -------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 3, 4, 12, 50])
async def test_history_pages_newest_first_without_gaps(
    new_uow: UnitOfWorkFactory, limit: int
) -> None:
    # Past version 9, so that 10 must sort above 9 on every store.
    versions = versions_of(person("Ana Torres"), 12)
    await keep(new_uow, *versions)
    assert await every_version(new_uow, versions[0].id, limit) == list(range(12, 0, -1))


async def test_history_pages_carry_each_version_whole(new_uow: UnitOfWorkFactory) -> None:
    versions = versions_of(person("Ana Torres"), 5)
    await keep(new_uow, *versions)
    async with new_uow() as uow:
        first = await uow.patient_versions.history(versions[0].id, cursor=None, limit=3)
        rest = await uow.patient_versions.history(versions[0].id, cursor=first.next_cursor, limit=3)
    assert [*first.items, *rest.items] == versions[::-1]


async def test_history_holds_only_the_records_own_versions(new_uow: UnitOfWorkFactory) -> None:
    ana = versions_of(person("Ana Torres", patient_id="p-1"), 2)
    other = versions_of(person("Luis Vega", patient_id="p-10"), 3)
    await keep(new_uow, *ana, *other)
    assert await history(new_uow, "p-1", 10) == ([2, 1], None)
    assert await history(new_uow, "p-10", 10) == ([3, 2, 1], None)


async def test_an_unknown_record_has_an_empty_history(new_uow: UnitOfWorkFactory) -> None:
    assert await history(new_uow, "nobody", 10) == ([], None)


async def test_kept_versions_are_not_records(new_uow: UnitOfWorkFactory) -> None:
    versions = versions_of(person("Ana Torres", address=Address(city="Lima")), 3)
    await keep(new_uow, *versions)
    assert (await search(new_uow, PatientFilter())).items == [versions[-1]]
    assert (await search(new_uow, PatientFilter(city="lima"))).items == [versions[-1]]


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !",
        base64.urlsafe_b64encode(b"[1]").decode(),
        encode_cursor({"after": "0315"}),
        encode_cursor({"below": "3"}),
        encode_cursor({"below": True}),
        encode_cursor({"below": 0}),
        encode_cursor({"below": MAX_VERSION + 1}),
        encode_cursor({"below": 10**30}),
    ],
)
async def test_a_cursor_not_ours_is_invalid(new_uow: UnitOfWorkFactory, cursor: str) -> None:
    await keep(new_uow, *versions_of(person("Ana Torres", patient_id="p-1"), 2))
    with pytest.raises(Invalid):
        await history(new_uow, "p-1", 10, cursor)
