"""The DoctorRepository port on every backend (memory, SQLite, PostgreSQL, DynamoDB), and the
read-only DoctorDirectory scheduling sees it through: ids are unique, writes are
conditional on the version, a country's active doctors are listed by id in pages, and a
doctor is found by license."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from carehub.countries.rules import weekly_hours
from carehub.kernel.calendar import DateOverride, TimeWindow
from carehub.practitioners.errors import DoctorIdTaken
from carehub.practitioners.model import Doctor
from carehub.practitioners.ports import PractitionersUnitOfWork
from carehub.scheduling.ports import SchedulingUnitOfWork
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)

NewUnit = Callable[[], PractitionersUnitOfWork]

NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)


def doctor(
    doctor_id: str, *, country: str = "PE", specialty: str = "Cardiology", active: bool = True
) -> Doctor:
    return Doctor(
        id=doctor_id,
        country_id=country,
        name=f"Dr {doctor_id}",
        specialty=specialty,
        time_zone="America/Lima",
        weekly=weekly_hours(range(5), "08:00-18:00"),
        active=active,
        created_at=NOW,
        updated_at=NOW,
    )


async def add(new_uow: NewUnit, *doctors: Doctor) -> None:
    async with new_uow() as uow:
        for d in doctors:
            await uow.doctors.add(d)
        await uow.commit()


async def get(new_uow: NewUnit, doctor_id: str) -> Doctor | None:
    async with new_uow() as uow:
        return await uow.doctors.get(doctor_id)


async def listed(
    new_uow: NewUnit, country: str, specialty_key: str | None = None, limit: int = 50
) -> list[str]:
    """The ids of every doctor listed, read page by page."""
    ids: list[str] = []
    cursor: str | None = None
    async with new_uow() as uow:
        while True:
            page = await uow.doctors.list_by_country(
                country, specialty_key=specialty_key, cursor=cursor, limit=limit
            )
            assert len(page.items) <= limit
            ids += [d.id for d in page.items]
            if page.next_cursor is None:
                return ids
            cursor = page.next_cursor


async def test_every_field_comes_back(new_uow: NewUnit) -> None:
    full = replace(
        doctor("dr.ana-1", specialty="Cardiología Pediátrica"),
        weekly=(*weekly_hours(range(3), "07:30-12:00"), *weekly_hours([5], "14:00-19:45")),
        overrides=(
            DateOverride(date(2031, 3, 12)),
            DateOverride(date(2031, 3, 13), (TimeWindow(600, 720), TimeWindow(900, 960))),
        ),
        slot_minutes=20,
        license="CMP-12345",
        email="ana@example.org",
        phone="+51 1 555 0100",
        version=4,
        created_at=NOW.astimezone(ZoneInfo("America/Lima")),
        updated_at=NOW + timedelta(days=1, microseconds=7),
    )
    bare = doctor("dr-2", active=False)
    await add(new_uow, full, bare)
    assert await get(new_uow, full.id) == full
    assert await get(new_uow, bare.id) == bare
    assert await get(new_uow, "nobody") is None


async def test_a_taken_id_raises_doctor_id_taken(new_uow: NewUnit) -> None:
    await add(new_uow, doctor("dr-1"))
    with pytest.raises(DoctorIdTaken):
        await add(new_uow, doctor("dr-1", country="CO"))
    assert await get(new_uow, "dr-1") == doctor("dr-1")


async def test_replace_with_the_expected_version_stores_it(new_uow: NewUnit) -> None:
    await add(new_uow, doctor("dr-1"))
    retired = replace(doctor("dr-1"), active=False, specialty="Neurology", version=2)
    async with new_uow() as uow:
        assert await uow.doctors.replace(retired, expected_version=1)
        await uow.commit()
    assert await get(new_uow, "dr-1") == retired
    assert await listed(new_uow, "PE") == []


async def test_replace_with_a_stale_version_returns_false_and_writes_nothing(
    new_uow: NewUnit,
) -> None:
    await add(new_uow, doctor("dr-1"))
    late = replace(doctor("dr-1"), name="Dr Late", version=3)
    async with new_uow() as uow:
        assert not await uow.doctors.replace(late, expected_version=2)
        assert not await uow.doctors.replace(doctor("ghost"), expected_version=1)
        await uow.commit()
    assert await get(new_uow, "dr-1") == doctor("dr-1")
    assert await get(new_uow, "ghost") is None


async def test_leaving_without_commit_writes_nothing(new_uow: NewUnit) -> None:
    await add(new_uow, doctor("dr-1"))
    async with new_uow() as uow:
        await uow.doctors.add(doctor("dr-2"))
        assert await uow.doctors.replace(replace(doctor("dr-1"), version=2), expected_version=1)
        assert await uow.doctors.get("dr-2") == doctor("dr-2")  # its own writes
    assert await get(new_uow, "dr-2") is None
    assert await get(new_uow, "dr-1") == doctor("dr-1")


def licensed(doctor_id: str, license: str, *, active: bool = True) -> Doctor:
    return replace(doctor(doctor_id, active=active), license=license)


async def test_a_doctor_is_found_by_license_active_or_not(new_uow: NewUnit) -> None:
    """Imports find a practitioner again by its license (an NPI): the first holder by id
    when several hold it (the store does not make licenses unique), retired ones too."""
    await add(
        new_uow,
        licensed("dr-b", "9999984591"),
        licensed("dr-a", "9999984591", active=False),
        licensed("dr-c", "CMP-1"),
        doctor("dr-d"),
    )
    async with new_uow() as uow:
        first = await uow.doctors.find_by_license("9999984591")
        other = await uow.doctors.find_by_license("CMP-1")
        assert await uow.doctors.find_by_license("CMP-2") is None
        assert await uow.doctors.find_by_license("") is None
    assert first == licensed("dr-a", "9999984591", active=False)
    assert other is not None
    assert other.id == "dr-c"


async def test_a_unit_finds_by_license_the_doctors_it_wrote(new_uow: NewUnit) -> None:
    await add(new_uow, licensed("dr-1", "CMP-1"))
    async with new_uow() as uow:
        await uow.doctors.add(licensed("dr-0", "CMP-1"))
        assert await uow.doctors.replace(replace(doctor("dr-1"), version=2), expected_version=1)
        found = await uow.doctors.find_by_license("CMP-1")
        assert found is not None
        assert found.id == "dr-0"
        await uow.doctors.add(licensed("dr-2", "CMP-2"))
        assert await uow.doctors.find_by_license("CMP-2") == licensed("dr-2", "CMP-2")
    async with new_uow() as uow:  # nothing of that unit was committed
        assert await uow.doctors.find_by_license("CMP-2") is None
        assert await uow.doctors.find_by_license("CMP-1") == licensed("dr-1", "CMP-1")


@pytest.fixture
async def staff(new_uow: NewUnit) -> None:
    """Doctors whose ids say country, specialty and whether they still practise."""
    await add(
        new_uow,
        doctor("pe-cardio-b"),
        doctor("pe-cardio-a", specialty="CARDIOLOGY"),
        doctor("pe-neuro", specialty="Neurología"),
        doctor("pe-cardio-retired", active=False),
        doctor("co-cardio", country="CO"),
        *(doctor(f"pe-derma-{n:02d}", specialty="Dermatology") for n in range(7)),
    )


@pytest.mark.usefixtures("staff")
@pytest.mark.parametrize("limit", [1, 3, 50])
async def test_a_countrys_active_doctors_are_listed_by_id_in_pages(
    new_uow: NewUnit, limit: int
) -> None:
    derma = [f"pe-derma-{n:02d}" for n in range(7)]
    assert await listed(new_uow, "PE", limit=limit) == [
        "pe-cardio-a",
        "pe-cardio-b",
        *derma,
        "pe-neuro",
    ]
    assert await listed(new_uow, "PE", "dermatology", limit) == derma
    assert await listed(new_uow, "CO", limit=limit) == ["co-cardio"]
    assert await listed(new_uow, "CL", limit=limit) == []


@pytest.mark.usefixtures("staff")
async def test_a_specialty_matches_by_its_key(new_uow: NewUnit) -> None:
    """Case and accents do not split a specialty (the key folds them)."""
    assert await listed(new_uow, "PE", "cardiology") == ["pe-cardio-a", "pe-cardio-b"]
    assert await listed(new_uow, "PE", "neurologia") == ["pe-neuro"]
    assert await listed(new_uow, "PE", "surgery") == []


async def test_scheduling_reads_the_same_doctors(
    new_uow: Callable[[], SchedulingUnitOfWork],
) -> None:
    """The DoctorDirectory port: scheduling's read-only view of these records."""
    stored = doctor("dr-1")
    await add(new_uow, stored, doctor("dr-2", active=False))  # one store serves both ports
    async with new_uow() as uow:
        assert await uow.doctors.get("dr-1") == stored
        assert await uow.doctors.get("nobody") is None
        page = await uow.doctors.list_by_country(
            "PE", specialty_key="cardiology", cursor=None, limit=10
        )
    assert (page.items, page.next_cursor) == ([stored], None)
