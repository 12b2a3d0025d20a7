"""The TimelineRepository port on every adapter (memory, SQLite, PostgreSQL, DynamoDB): a
patient's entries newest first across pages without gaps or repeats, the type and time
filters, entries and journaled events kept once, clearing, and the journal oldest first."""

from __future__ import annotations

from collections.abc import Callable, Set
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pytest

from carehub.adapters.dynamodb import timeline as dynamodb_timeline
from carehub.kernel.errors import Invalid
from carehub.kernel.events import EventMessage
from carehub.kernel.pagination import Page, encode_cursor
from carehub.timeline.model import EntryType, Position, TimelineEntry
from carehub.timeline.ports import TimelineRepository
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)

T0 = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)
LIMA = ZoneInfo("America/Lima")
TYPES = list(EntryType)


class Unit(Protocol):
    @property
    def timeline(self) -> TimelineRepository: ...

    async def __aenter__(self) -> Unit: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


NewUnit = Callable[[], Unit]


def entry(
    n: int, patient: str = "p-1", *, seconds: float | None = None, **fields: Any
) -> TimelineEntry:
    """Entry n of a patient, n seconds after T0 (some share a time: ids break the tie)."""
    at = T0 + timedelta(seconds=n // 2 if seconds is None else seconds)
    values: dict[str, Any] = {
        "patient_id": patient,
        "event_id": f"ev-{patient}-{n:04d}",
        "occurred_at": at,
        "entry_type": TYPES[n % len(TYPES)],
        "action": "changed",
        "item_id": f"item-{n}",
        "actor_id": "user-1",
        "summary": "Appointment confirmed",
        "status": "confirmed" if n % 2 else None,
        "version": n if n % 3 else None,
        **fields,
    }
    return TimelineEntry(**values)


def message(n: int, patient: str = "p-1", *, at: datetime | None = None) -> EventMessage:
    return EventMessage(
        event_id=f"msg-{patient}-{n:04d}",
        event_type="patients.patient_updated.v1",
        aggregate_id=patient,
        occurred_at=at or T0 + timedelta(minutes=n),
        actor_id="user-1",
        payload={"patientId": patient, "countryId": "PE", "version": n, "changedFields": []},
    )


def newest_first(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    return sorted(entries, key=Position.of, reverse=True)


async def add(new_uow: NewUnit, *entries: TimelineEntry) -> None:
    # A DynamoDB transaction takes 100 items.
    for start in range(0, len(entries), 90):
        async with new_uow() as uow:
            for e in entries[start : start + 90]:
                await uow.timeline.add(e)
            await uow.commit()


async def page(new_uow: NewUnit, patient: str = "p-1", **asked: Any) -> Page[TimelineEntry]:
    criteria: dict[str, Any] = {"types": None, "start": None, "end": None, "cursor": None}
    criteria.update(asked)
    criteria.setdefault("limit", 50)
    async with new_uow() as uow:
        return await uow.timeline.page(patient, **criteria)


async def every_page(
    new_uow: NewUnit, patient: str = "p-1", **asked: Any
) -> tuple[list[TimelineEntry], int]:
    """Every entry by following the cursors; and how many pages that took."""
    found: list[TimelineEntry] = []
    cursor, pages = None, 0
    while True:
        got = await page(new_uow, patient, cursor=cursor, **asked)
        assert len(got.items) <= asked.get("limit", 50)
        found += got.items
        pages += 1
        if got.next_cursor is None:
            return found, pages
        cursor = got.next_cursor


async def journaled_all(new_uow: NewUnit, patient: str | None, limit: int) -> list[EventMessage]:
    found: list[EventMessage] = []
    cursor = None
    while True:
        async with new_uow() as uow:
            got = await uow.timeline.journaled(patient, cursor=cursor, limit=limit)
        assert len(got.items) <= limit
        found += got.items
        if got.next_cursor is None:
            return found
        cursor = got.next_cursor


async def test_pages_run_newest_first_without_gaps_or_repeats(new_uow: NewUnit) -> None:
    entries = [entry(n) for n in range(23)] + [entry(n, "p-2") for n in range(4)]
    await add(new_uow, *entries)
    first = await page(new_uow, limit=5)
    assert first.items == newest_first(entries[:23])[:5]
    assert first.next_cursor is not None
    found, pages = await every_page(new_uow, limit=5)
    assert found == newest_first(entries[:23])
    assert pages == 5
    whole = await page(new_uow, limit=23)
    assert whole.items == found and whole.next_cursor is None
    assert (await page(new_uow, "p-3")).items == []


async def test_entries_keep_their_fields_and_their_instant(new_uow: NewUnit) -> None:
    # An event time in another zone and with microseconds is the same instant read back.
    at = datetime(2031, 3, 10, 4, 0, 0, 123456, tzinfo=LIMA)
    full = entry(1, occurred_at=at, status="in_progress", version=7)
    bare = entry(2, seconds=-5, status=None, version=None)
    await add(new_uow, full, bare)
    assert (await page(new_uow)).items == [full, bare]


async def test_types_filter_pages_and_combines_with_times(new_uow: NewUnit) -> None:
    entries = [entry(n) for n in range(40)]
    await add(new_uow, *entries)
    wanted: Set[EntryType] = {EntryType.NOTE, EntryType.TASK}
    found, _ = await every_page(new_uow, types=wanted, limit=3)
    assert found == newest_first([e for e in entries if e.entry_type in wanted])
    start, end = T0 + timedelta(seconds=4), T0 + timedelta(seconds=15)
    found, _ = await every_page(new_uow, types=wanted, start=start, end=end, limit=2)
    assert found == newest_first(
        [e for e in entries if e.entry_type in wanted and start <= e.occurred_at <= end]
    )
    assert (await page(new_uow, types=set())).items == []


async def test_from_and_to_include_their_own_instants(new_uow: NewUnit) -> None:
    entries = [entry(n) for n in range(12)]  # two entries a second
    await add(new_uow, *entries)
    start, end = T0 + timedelta(seconds=2), T0 + timedelta(seconds=4)
    found, _ = await every_page(new_uow, start=start, end=end, limit=4)
    assert found == newest_first(entries[4:10])
    in_lima = (await page(new_uow, start=start.astimezone(LIMA), end=end.astimezone(LIMA))).items
    assert in_lima == found
    assert (await page(new_uow, start=end, end=end)).items == newest_first(entries[8:10])
    assert (await page(new_uow, start=T0 + timedelta(hours=1))).items == []
    found, _ = await every_page(new_uow, end=start, limit=1)
    assert found == newest_first(entries[:6])


async def test_a_cursor_from_outside_the_range_keeps_to_the_range(new_uow: NewUnit) -> None:
    entries = [entry(n) for n in range(12)]
    await add(new_uow, *entries)
    first = await page(new_uow, limit=2)
    assert first.next_cursor is not None
    # Asked again with a range that ends before the cursor's entry: the range decides.
    end = T0 + timedelta(seconds=2)
    later = await page(new_uow, cursor=first.next_cursor, end=end)
    assert later.items == newest_first(entries[:6])
    start = T0 + timedelta(seconds=5, milliseconds=500)
    assert (await page(new_uow, cursor=first.next_cursor, start=start)).items == []


async def test_a_type_filter_over_a_long_timeline_reads_a_bounded_stretch_per_page(
    new_uow: NewUnit, adapter: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On DynamoDB a filter pays for what it turns down: a request reads at most the budget
    # and answers what it found, with a cursor past it. Every store finds the same entries.
    monkeypatch.setattr(dynamodb_timeline, "READ_BUDGET", 30)
    monkeypatch.setattr(dynamodb_timeline, "_BATCH", 10)
    rare = [entry(0, entry_type=EntryType.NOTE), entry(1, entry_type=EntryType.NOTE)]
    common = [entry(n, entry_type=EntryType.APPOINTMENT) for n in range(2, 80)]
    await add(new_uow, *rare, *common)
    found, pages = await every_page(new_uow, types={EntryType.NOTE}, limit=5)
    assert found == newest_first(rare)
    if adapter == "dynamodb":  # 78 entries read 30 at a time: short pages came first
        assert pages == 3


async def test_an_entry_or_event_is_kept_once(new_uow: NewUnit) -> None:
    first = entry(1)
    async with new_uow() as uow:
        await uow.timeline.add(first)
        await uow.timeline.add(first)
        await uow.timeline.journal(message(1), "p-1")
        await uow.timeline.journal(message(1), "p-1")
        await uow.commit()
    async with new_uow() as uow:
        await uow.timeline.add(first)
        await uow.timeline.journal(message(1), "p-1")
        await uow.commit()
    assert (await page(new_uow)).items == [first]
    assert await journaled_all(new_uow, "p-1", 10) == [message(1)]


async def test_an_uncommitted_unit_adds_and_journals_nothing(new_uow: NewUnit) -> None:
    async with new_uow() as uow:
        await uow.timeline.add(entry(1))
        await uow.timeline.journal(message(1), "p-1")
    assert (await page(new_uow)).items == []
    assert await journaled_all(new_uow, None, 10) == []


async def test_clear_empties_one_patient_or_everyone_and_keeps_the_journal(
    new_uow: NewUnit,
) -> None:
    await add(new_uow, *(entry(n) for n in range(5)), *(entry(n, "p-2") for n in range(3)))
    async with new_uow() as uow:
        await uow.timeline.journal(message(1), "p-1")
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.timeline.clear("p-1") == 5
        await uow.commit()
    assert (await page(new_uow)).items == []
    assert len((await page(new_uow, "p-2")).items) == 3
    async with new_uow() as uow:
        assert await uow.timeline.clear("p-1") == 0
        assert await uow.timeline.clear(None) == 3
        await uow.commit()
    assert (await page(new_uow, "p-2")).items == []
    assert await journaled_all(new_uow, "p-1", 10) == [message(1)]


async def test_the_journal_is_read_oldest_first_one_patient_or_everyone(
    new_uow: NewUnit,
) -> None:
    ones = [message(n) for n in (5, 1, 3, 2, 4, 0, 6)]
    tie = message(7, at=T0 + timedelta(minutes=3))  # same time as message 3: ids decide
    others = [message(n, "p-2") for n in range(4)]
    async with new_uow() as uow:
        for m in [*ones, tie, *others]:
            await uow.timeline.journal(m, m.aggregate_id)
        await uow.commit()
    order = sorted([*ones, tie], key=lambda m: (m.occurred_at, m.event_id))
    assert await journaled_all(new_uow, "p-1", 3) == order
    assert await journaled_all(new_uow, "p-2", 10) == others
    everyone = await journaled_all(new_uow, None, 3)
    # Across patients a store may list in its own order (DynamoDB scans); each event once.
    assert sorted(m.event_id for m in everyone) == sorted(m.event_id for m in [*ones, tie, *others])


async def test_a_cursor_not_issued_is_invalid_input(new_uow: NewUnit) -> None:
    with pytest.raises(Invalid):
        await page(new_uow, cursor="not-a-cursor")
    bad_time = encode_cursor({"at": "yesterday", "id": "ev-1"})
    with pytest.raises(Invalid):
        await page(new_uow, cursor=bad_time)
