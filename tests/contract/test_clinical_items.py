"""The ItemRepository port of each kind of the clinical record (notes, medications, tasks,
checklists) on every store: what is stored comes back, a change lands only on the version
it was made from, every revision stays, and a patient's items page newest first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from carehub.clinical.checklists import Check, ChecklistStatus
from carehub.clinical.medications import Medication, MedicationStatus
from carehub.clinical.model import RecordItem
from carehub.clinical.notes import NoteContent, NoteStatus, Soap
from carehub.clinical.ports import ItemRepository, ItemTaken
from carehub.clinical.tasks import TaskStatus
from carehub.kernel.errors import Invalid
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.support.clinical_records import (
    MINUTE,
    NOW,
    NewClinicalUnit,
    a_checklist,
    a_medication,
    a_note,
    a_task,
    add_all,
    changed,
    item_id,
    written,
)

Change = Callable[[Any, int], Any]  # the item after its n-th change


@dataclass(frozen=True)
class Kind:
    repository: str  # the unit's attribute
    make: Callable[..., RecordItem]  # make(n, patient=...): a new item, version 1
    closed: Callable[..., RecordItem]  # the same in a status that lists usually leave out
    open_status: str
    changes: tuple[tuple[str, Change], ...]  # (action, change): two changes in a row


def _at(n: int) -> Any:
    return NOW + timedelta(hours=n)


KINDS = {
    "notes": Kind(
        "notes",
        a_note,
        lambda n, **kw: a_note(
            n, status=NoteStatus.ENTERED_IN_ERROR, error_reason="Wrong patient", **kw
        ),
        NoteStatus.CURRENT.value,
        (
            ("amended", lambda note, n: note.amended(NoteContent(text=f"Amended {n}"), _at(n))),
            ("entered_in_error", lambda note, n: note.entered_in_error("Wrong patient", _at(n))),
        ),
    ),
    "medications": Kind(
        "medications",
        a_medication,
        lambda n, **kw: a_medication(n, status=MedicationStatus.STOPPED, stop_reason="Rash", **kw),
        MedicationStatus.ACTIVE.value,
        (
            ("stopped", lambda med, n: med.stopped("Rash on the arms", _at(n))),
            # A stopped course is not changed again: the second change is a correction of
            # the stored item as an import would make it.
            ("corrected", lambda med, n: replace(med, frequency="daily", version=med.version + 1)),
        ),
    ),
    "tasks": Kind(
        "tasks",
        a_task,
        lambda n, **kw: a_task(n, status=TaskStatus.DONE, **kw),
        TaskStatus.OPEN.value,
        (
            ("started", lambda task, n: task.changed(_at(n), status=TaskStatus.IN_PROGRESS)),
            ("reassigned", lambda task, n: task.changed(_at(n), assignee_id="nurse-2")),
        ),
    ),
    "checklists": Kind(
        "checklists",
        lambda n, **kw: a_checklist(n, checked=0, **kw),
        lambda n, **kw: a_checklist(n, checked=2, **kw),
        ChecklistStatus.IN_PROGRESS.value,
        (
            ("checked", lambda c, n: c.checked("arrival.fasting", by="nurse-1", at=_at(n))),
            (
                "unchecked",
                lambda c, n: c.unchecked("arrival.fasting", by="nurse-2", at=_at(n), reason="No"),
            ),
        ),
    ),
}


@pytest.fixture(params=list(KINDS))
def kind(request: pytest.FixtureRequest) -> Kind:
    return KINDS[request.param]


def repo(uow: Any, kind: Kind) -> ItemRepository[Any]:
    found: ItemRepository[Any] = getattr(uow, kind.repository)
    return found


# --- what is stored comes back ------------------------------------------------------------


async def test_notes_come_back_with_every_field(new_uow: NewClinicalUnit) -> None:
    text = a_note(1, created_at=NOW.astimezone(timezone(timedelta(hours=-5))))
    soap = a_note(2, soap=True)
    error = a_note(3, status=NoteStatus.ENTERED_IN_ERROR, error_reason="Wrong patient", version=1)
    await add_all(new_uow, "notes", text, soap, error)
    async with new_uow() as uow:
        assert await uow.notes.get(text.id) == text
        found = await uow.notes.get(soap.id)
        assert await uow.notes.get(error.id) == error
        assert await uow.notes.get(item_id(9)) is None
    assert found == soap
    assert found.content.soap == Soap("Cough for 3 days", "T 38.1 °C", "Bronchitis", "Rest, fluids")
    assert found.content.text is None and found.appointment_id == "appt-1"


async def test_medications_come_back_with_code_and_exact_dose(new_uow: NewClinicalUnit) -> None:
    full = a_medication(1, dose=Decimal("0.125"), dose_unit="mg")
    bare = a_medication(
        2, code=None, dose=None, dose_unit=None, route=None, frequency=None, end=None
    )
    await add_all(new_uow, "medications", full, bare)
    async with new_uow() as uow:
        found = await uow.medications.get(full.id)
        assert await uow.medications.get(bare.id) == bare
    assert found == full
    assert isinstance(found, Medication) and str(found.dose) == "0.125"
    assert found.start == date(2031, 3, 10) and found.code == full.code


async def test_tasks_come_back_with_due_time_and_assignee(new_uow: NewClinicalUnit) -> None:
    lima = timezone(timedelta(hours=-5))
    due = a_task(1, due_at=(NOW + 3 * MINUTE + timedelta(microseconds=7)).astimezone(lima))
    unassigned = a_task(2, assignee_id=None, due_at=None, details="")
    await add_all(new_uow, "tasks", due, unassigned)
    async with new_uow() as uow:
        found = await uow.tasks.get(due.id)
        assert await uow.tasks.get(unassigned.id) == unassigned
    assert found == due
    assert found is not None and found.due_at == NOW + 3 * MINUTE + timedelta(microseconds=7)


async def test_checklists_come_back_with_their_checks(new_uow: NewClinicalUnit) -> None:
    completed = a_checklist(1, checked=2)
    # Checked, then unchecked with a reason (stored as a version 1 to read it back whole).
    unchecked = a_checklist(2, checked=1).unchecked(
        "arrival.fasting", by="nurse-2", at=NOW + 9 * MINUTE, reason="Ate breakfast"
    )
    unchecked = replace(unchecked, version=1)
    await add_all(new_uow, "checklists", completed, unchecked)
    async with new_uow() as uow:
        found_completed = await uow.checklists.get(completed.id)
        found = await uow.checklists.get(unchecked.id)
    assert found_completed == completed
    assert found_completed is not None and found_completed.status is ChecklistStatus.COMPLETED
    assert found == unchecked
    assert found is not None and found.missing == ["arrival.fasting", "arrival.consent"]
    assert found.state("arrival.fasting") == Check(
        False, "nurse-2", NOW + 9 * MINUTE, "Ate breakfast"
    )


async def test_an_id_is_added_once_across_every_kind(new_uow: NewClinicalUnit) -> None:
    note = a_note(1)
    await add_all(new_uow, "notes", note)
    async with new_uow() as uow:
        with pytest.raises(ItemTaken):
            await uow.notes.add(written(a_note(1, author_id="dr-2")))
        with pytest.raises(ItemTaken):
            await uow.medications.add(written(a_medication(1)))
        await uow.notes.add(written(a_note(2)))  # the unit goes on
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.notes.get(note.id) == note
        assert await uow.medications.get(note.id) is None
        assert await uow.notes.get(item_id(2)) == a_note(2)
        assert await uow.notes.history(note.id) == [written(note)]


# --- changes and their history ------------------------------------------------------------


async def test_a_change_lands_only_on_the_version_it_was_made_from(
    new_uow: NewClinicalUnit, kind: Kind
) -> None:
    first = kind.make(1)
    (action, change), _ = kind.changes
    second = change(first, 1)
    rival = change(first, 2)
    await add_all(new_uow, kind.repository, first)
    async with new_uow() as uow:
        assert await repo(uow, kind).replace(changed(second, by="dr-1", action=action))
        await uow.commit()
    async with new_uow() as uow:
        store = repo(uow, kind)
        assert not await store.replace(changed(rival, by="dr-2", action=action))  # stale
        assert not await store.replace(changed(second, by="dr-2", action=action))  # again
        skipped = replace(second, version=4)
        assert not await store.replace(changed(skipped, by="dr-2", action=action))
        missing = replace(kind.make(9), version=2)
        assert not await store.replace(changed(missing, by="dr-2", action=action))
        await uow.commit()
    async with new_uow() as uow:
        store = repo(uow, kind)
        assert await store.get(first.id) == second
        assert await store.history(first.id) == [
            written(first),
            changed(second, by="dr-1", action=action),
        ]
        assert await store.get(item_id(9)) is None
        assert await store.history(item_id(9)) == []


async def test_the_history_keeps_every_revision_oldest_first(
    new_uow: NewClinicalUnit, kind: Kind
) -> None:
    first = kind.make(1)
    (one, change_one), (two, change_two) = kind.changes
    second = change_one(first, 1)
    third = change_two(second, 2)
    revisions = [
        written(first, by="dr-1"),
        changed(second, by="dr-2", action=one, reason="Seen again, ñ ✓"),
        changed(third, by="admin-1", action=two),
    ]
    async with new_uow() as uow:
        await repo(uow, kind).add(revisions[0])
        await uow.commit()
    for revision in revisions[1:]:
        async with new_uow() as uow:
            assert await repo(uow, kind).replace(revision)
            await uow.commit()
    async with new_uow() as uow:
        history = await repo(uow, kind).history(first.id)
        assert await repo(uow, kind).get(first.id) == third
    assert history == revisions
    assert [(r.version, r.actor_id, r.action, r.reason) for r in history] == [
        (1, "dr-1", "written", None),
        (2, "dr-2", one, "Seen again, ñ ✓"),
        (3, "admin-1", two, None),
    ]
    assert [r.at for r in history] == [r.at for r in revisions]


async def test_nothing_is_stored_unless_the_unit_commits(
    new_uow: NewClinicalUnit, kind: Kind
) -> None:
    first = kind.make(1)
    (action, change), _ = kind.changes
    await add_all(new_uow, kind.repository, first)
    async with new_uow() as uow:
        await repo(uow, kind).add(written(kind.make(2)))
        assert await repo(uow, kind).replace(changed(change(first, 1), by="dr-1", action=action))
    async with new_uow() as uow:
        store = repo(uow, kind)
        assert await store.get(item_id(2)) is None
        assert await store.history(item_id(2)) == []
        assert await store.get(first.id) == first
        assert await store.history(first.id) == [written(first)]
        page = await store.for_patient("p-1", statuses=None, cursor=None, limit=10)
    assert page.items == [first] and page.next_cursor is None


async def test_a_kind_never_answers_with_another_kinds_item(
    new_uow: NewClinicalUnit, kind: Kind
) -> None:
    mine = kind.make(1)
    await add_all(new_uow, kind.repository, mine)
    others = [k for k in KINDS.values() if k.repository != kind.repository]
    for other in others:
        async with new_uow() as uow:
            store = repo(uow, other)
            assert await store.get(mine.id) is None
            assert await store.history(mine.id) == []
            (action, change), _ = other.changes
            lookalike = change(other.make(1), 1)  # the same id, version 2
            assert not await store.replace(changed(lookalike, by="dr-2", action=action))
            page = await store.for_patient("p-1", statuses=None, cursor=None, limit=10)
            assert page.items == []
            await uow.commit()
    async with new_uow() as uow:
        assert await repo(uow, kind).get(mine.id) == mine
        assert await repo(uow, kind).history(mine.id) == [written(mine)]


# --- a patient's items ----------------------------------------------------------------------


async def every_page(
    new_uow: NewClinicalUnit,
    kind: Kind,
    *,
    patient: str = "p-1",
    statuses: set[str] | None = None,
    limit: int,
) -> list[list[str]]:
    """The ids of each page of `for_patient`, following the cursors."""
    pages: list[list[str]] = []
    cursor: str | None = None
    async with new_uow() as uow:
        while True:
            page = await repo(uow, kind).for_patient(
                patient, statuses=statuses, cursor=cursor, limit=limit
            )
            pages.append([i.id for i in page.items])
            cursor = page.next_cursor
            if cursor is None:
                return pages
            assert len(pages) < 20, pages


async def test_a_patients_items_page_newest_first(new_uow: NewClinicalUnit, kind: Kind) -> None:
    # Items 1..9 of p-1 (3, 4 and 8 closed), added out of order, among p-2's.
    closed = {3, 4, 8}
    items = [kind.closed(n) if n in closed else kind.make(n) for n in (5, 1, 9, 3, 7, 2, 8, 4, 6)]
    await add_all(new_uow, kind.repository, *items, kind.make(10, patient="p-2"))
    await add_all(new_uow, kind.repository, kind.closed(11, patient="p-2"))
    every = [item_id(n) for n in range(9, 0, -1)]
    open_ = [item_id(n) for n in range(9, 0, -1) if n not in closed]
    assert await every_page(new_uow, kind, limit=50) == [every]
    assert await every_page(new_uow, kind, limit=9) == [every]
    assert await every_page(new_uow, kind, limit=4) == [every[:4], every[4:8], every[8:]]
    assert await every_page(new_uow, kind, limit=1) == [[i] for i in every]
    only_open = {kind.open_status}
    assert await every_page(new_uow, kind, statuses=only_open, limit=50) == [open_]
    # Pages of the filtered list skip the closed items wherever a page ends.
    assert await every_page(new_uow, kind, statuses=only_open, limit=2) == [
        open_[:2],
        open_[2:4],
        open_[4:],
    ]
    assert await every_page(new_uow, kind, statuses=only_open, limit=3) == [open_[:3], open_[3:]]
    closed_status = {str(kind.closed(0).status.value)}
    assert await every_page(new_uow, kind, statuses=closed_status, limit=2) == [
        [item_id(8), item_id(4)],
        [item_id(3)],
    ]
    assert await every_page(new_uow, kind, statuses=only_open | closed_status, limit=50) == [every]
    assert await every_page(new_uow, kind, statuses={"no-such-status"}, limit=5) == [[]]
    assert await every_page(new_uow, kind, patient="p-2", limit=5) == [[item_id(11), item_id(10)]]
    assert await every_page(new_uow, kind, patient="p-9", limit=5) == [[]]


async def test_a_patients_items_come_whole_and_changes_move_them(
    new_uow: NewClinicalUnit, kind: Kind
) -> None:
    first, other = kind.make(1), kind.make(2)
    await add_all(new_uow, kind.repository, first, other)
    (action, change), _ = kind.changes
    second = change(first, 1)
    async with new_uow() as uow:
        assert await repo(uow, kind).replace(changed(second, by="dr-1", action=action))
        await uow.commit()
    async with new_uow() as uow:
        page = await repo(uow, kind).for_patient("p-1", statuses=None, cursor=None, limit=5)
        now_in = await repo(uow, kind).for_patient(
            "p-1", statuses={str(second.status.value)}, cursor=None, limit=5
        )
    assert page.items == [other, second]
    assert second in now_in.items


async def test_a_cursor_not_issued_is_refused(new_uow: NewClinicalUnit, kind: Kind) -> None:
    async with new_uow() as uow:
        with pytest.raises(Invalid):
            await repo(uow, kind).for_patient("p-1", statuses=None, cursor="nope", limit=5)
