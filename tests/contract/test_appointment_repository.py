"""The AppointmentRepository port on every backend (memory, SQLite, PostgreSQL): what is
stored comes back with its history, writes are conditional on the version, and searches
match every criterion in start-then-id order, one page at a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from carehub.kernel.errors import Invalid
from carehub.kernel.pagination import encode_cursor
from carehub.scheduling.errors import AppointmentIdTaken
from carehub.scheduling.model import Action, Appointment, Status, Transition
from carehub.scheduling.ports import AppointmentFilter, SchedulingUnitOfWork
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)

NewUnit = Callable[[], SchedulingUnitOfWork]

NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
NINE = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def appointment(
    appointment_id: str,
    *,
    start: datetime = NINE,
    country: str = "PE",
    doctor: str = "doc-1",
    patient: str = "p-1",
    status: Status = Status.PENDING,
) -> Appointment:
    asked = Transition(NOW, "user-1", "request", None, Status.REQUESTED)
    queued = Transition(NOW, "system", "queue", Status.REQUESTED, status, reason="country rule")
    return Appointment(
        id=appointment_id,
        country_id=country,
        doctor_id=doctor,
        patient_id=patient,
        start=start,
        end=start + 30 * MINUTE,
        time_zone="America/Lima",
        status=status,
        mode="queue",
        claim_id=f"claim-{appointment_id}",
        history=(asked, queued),
        created_at=NOW,
        updated_at=NOW,
    )


async def add(new_uow: NewUnit, *appointments: Appointment) -> None:
    async with new_uow() as uow:
        for a in appointments:
            await uow.appointments.add(a)
        await uow.commit()


async def get(new_uow: NewUnit, appointment_id: str) -> Appointment | None:
    async with new_uow() as uow:
        return await uow.appointments.get(appointment_id)


async def found(new_uow: NewUnit, criteria: AppointmentFilter, limit: int = 50) -> list[str]:
    """The ids of every match, read page by page."""
    ids: list[str] = []
    cursor: str | None = None
    async with new_uow() as uow:
        while True:
            page = await uow.appointments.search(criteria, cursor=cursor, limit=limit)
            assert len(page.items) <= limit
            ids += [a.id for a in page.items]
            if page.next_cursor is None:
                return ids
            cursor = page.next_cursor


async def test_what_is_added_comes_back_with_its_history(new_uow: NewUnit) -> None:
    lima = ZoneInfo("America/Lima")
    stored = replace(appointment("a"), start=NINE.astimezone(lima), claim_id=None)
    await add(new_uow, stored)
    back = await get(new_uow, "a")
    assert back == stored
    assert back is not None and back.start.utcoffset() is not None
    assert await get(new_uow, "nobody") is None


async def test_a_taken_id_raises_appointment_id_taken(new_uow: NewUnit) -> None:
    first = appointment("a")
    await add(new_uow, first)
    with pytest.raises(AppointmentIdTaken):
        await add(new_uow, appointment("a", start=NINE + 60 * MINUTE, patient="p-2"))
    assert await get(new_uow, "a") == first


async def test_replace_with_the_expected_version_stores_it_and_its_new_steps(
    new_uow: NewUnit,
) -> None:
    await add(new_uow, appointment("a"))
    confirmed = appointment("a").moved(Action.CONFIRM, actor_id="dr-1", at=NOW + MINUTE)
    async with new_uow() as uow:
        assert await uow.appointments.replace(confirmed, expected_version=1)
        await uow.commit()
    assert await get(new_uow, "a") == confirmed
    moved = confirmed.rescheduled(
        start=NINE + 60 * MINUTE,
        end=NINE + 90 * MINUTE,
        claim_id="claim-2",
        actor_id="user-1",
        at=NOW + 2 * MINUTE,
        reason="Patient asked",
    )
    done = moved.moved(Action.CANCEL, actor_id="user-1", at=NOW + 3 * MINUTE)
    async with new_uow() as uow:  # two steps in one write
        assert await uow.appointments.replace(done, expected_version=2)
        await uow.commit()
    back = await get(new_uow, "a")
    assert back == done
    assert back is not None and [t.action for t in back.history] == [
        "request",
        "queue",
        "confirm",
        "reschedule",
        "cancel",
    ]


async def test_replace_with_a_stale_version_returns_false_and_writes_nothing(
    new_uow: NewUnit,
) -> None:
    current = appointment("a")
    await add(new_uow, current)
    late = current.moved(Action.REJECT, actor_id="system", at=NOW + MINUTE)
    async with new_uow() as uow:
        assert not await uow.appointments.replace(late, expected_version=2)
        assert not await uow.appointments.replace(appointment("ghost"), expected_version=1)
        await uow.commit()
    assert await get(new_uow, "a") == current
    assert await get(new_uow, "ghost") is None


async def test_leaving_without_commit_writes_nothing(new_uow: NewUnit) -> None:
    await add(new_uow, appointment("a"))
    async with new_uow() as uow:
        await uow.appointments.add(appointment("b"))
        confirmed = appointment("a").moved(Action.CONFIRM, actor_id="dr-1", at=NOW)
        assert await uow.appointments.replace(confirmed, expected_version=1)
        assert await uow.appointments.get("b") == appointment("b")  # its own writes
    assert await get(new_uow, "b") is None
    assert await get(new_uow, "a") == appointment("a")


def booked() -> list[Appointment]:
    """Appointments whose ids say what they are: country, doctor, patient, hour."""
    return [
        appointment("pe-d1-p1-09", start=NINE),
        appointment("pe-d1-p2-10", start=NINE + 60 * MINUTE, patient="p-2"),
        appointment("pe-d2-p1-11", start=NINE + 120 * MINUTE, doctor="doc-2"),
        appointment("co-d3-p3-09", start=NINE, country="CO", doctor="doc-3", patient="p-3"),
        appointment(
            "co-d3-p1-12",
            start=NINE + 180 * MINUTE,
            country="CO",
            doctor="doc-3",
            status=Status.CONFIRMED,
        ),
    ]


SEARCHES = {
    "everything": (
        AppointmentFilter(),
        ["co-d3-p3-09", "pe-d1-p1-09", "pe-d1-p2-10", "pe-d2-p1-11", "co-d3-p1-12"],
    ),
    "country": (AppointmentFilter(country_id="CO"), ["co-d3-p3-09", "co-d3-p1-12"]),
    "doctor": (AppointmentFilter(doctor_id="doc-1"), ["pe-d1-p1-09", "pe-d1-p2-10"]),
    "patient": (AppointmentFilter(patient_id="p-1"), ["pe-d1-p1-09", "pe-d2-p1-11", "co-d3-p1-12"]),
    "status": (AppointmentFilter(status=Status.CONFIRMED), ["co-d3-p1-12"]),
    "from is inclusive": (
        AppointmentFilter(start_from=NINE + 60 * MINUTE),
        ["pe-d1-p2-10", "pe-d2-p1-11", "co-d3-p1-12"],
    ),
    "to is exclusive": (
        AppointmentFilter(start_to=NINE + 60 * MINUTE),
        ["co-d3-p3-09", "pe-d1-p1-09"],
    ),
    "criteria combine with AND": (
        AppointmentFilter(country_id="PE", patient_id="p-1", start_from=NINE + MINUTE),
        ["pe-d2-p1-11"],
    ),
    "no match": (
        AppointmentFilter(doctor_id="doc-3", status=Status.PENDING, start_from=NINE + MINUTE),
        [],
    ),
}


@pytest.mark.parametrize(("criteria", "expected"), list(SEARCHES.values()), ids=list(SEARCHES))
@pytest.mark.parametrize("limit", [1, 2, 50])
async def test_search_finds_the_matches_by_start_then_id_in_pages(
    new_uow: NewUnit, adapter: str, criteria: AppointmentFilter, expected: list[str], limit: int
) -> None:
    await add(new_uow, *booked())
    if adapter == "dynamodb" and not _indexed(criteria):
        # No index lists every appointment there: refused rather than scanned
        # (docs/dynamodb.md).
        with pytest.raises(Invalid):
            await found(new_uow, criteria, limit)
        return
    assert await found(new_uow, criteria, limit) == expected


def _indexed(criteria: AppointmentFilter) -> bool:
    """The search names a country, a doctor or a patient (seed 001's three queries)."""
    return any(
        value is not None
        for value in (criteria.country_id, criteria.doctor_id, criteria.patient_id)
    )


async def test_search_results_are_the_stored_appointments_without_history(
    new_uow: NewUnit,
) -> None:
    await add(new_uow, *booked())
    async with new_uow() as uow:
        page = await uow.appointments.search(
            AppointmentFilter(country_id="PE"), cursor=None, limit=50
        )
    peruvian = [a for a in booked() if a.country_id == "PE"]
    assert page.items == [
        replace(a, history=()) for a in sorted(peruvian, key=lambda a: (a.start, a.id))
    ]
    assert page.next_cursor is None


async def test_a_cursor_is_a_position_not_an_offset(new_uow: NewUnit) -> None:
    await add(new_uow, *(appointment(f"a{i}", start=NINE + i * 10 * MINUTE) for i in (0, 2, 4)))
    async with new_uow() as uow:
        first = await uow.appointments.search(
            AppointmentFilter(country_id="PE"), cursor=None, limit=2
        )
    assert [a.id for a in first.items] == ["a0", "a2"]
    # One lands before the cursor's position, one after it: only the later one is ahead.
    await add(
        new_uow,
        appointment("a1", start=NINE + 10 * MINUTE),
        appointment("a3", start=NINE + 30 * MINUTE),
    )
    async with new_uow() as uow:
        rest = await uow.appointments.search(
            AppointmentFilter(country_id="PE"), cursor=first.next_cursor, limit=50
        )
    assert [a.id for a in rest.items] == ["a3", "a4"]


@pytest.mark.parametrize(
    "cursor", ["garbage!", encode_cursor({"id": "a"}), encode_cursor({"after": ["x"]})]
)
async def test_a_cursor_we_did_not_issue_is_invalid(new_uow: NewUnit, cursor: str) -> None:
    async with new_uow() as uow:
        with pytest.raises(Invalid):
            await uow.appointments.search(
                AppointmentFilter(country_id="PE"), cursor=cursor, limit=10
            )
