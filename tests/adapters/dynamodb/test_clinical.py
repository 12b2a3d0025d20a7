"""The clinical record on DynamoDB beyond its contract suites: units racing to the commit on
one item, template or id leave exactly one winner, decided by the conditions at commit; a
unit's lists see its own writes; a status filter few items pass reads within its budget."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from carehub.adapters.dynamodb import filtered_pages
from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from carehub.clinical.notes import Note, NoteContent, NoteStatus
from carehub.clinical.ports import ItemTaken
from carehub.clinical.tasks import TaskStatus
from carehub.kernel.errors import Conflict, PreconditionFailed
from tests.support.clinical_records import (
    HOUR,
    NOW,
    a_medication,
    a_note,
    a_task,
    a_template,
    add_all,
    changed,
    item_id,
    written,
)
from tests.support.file_records import race

NewUnit = Callable[[], DynamoUnitOfWork]
RACERS = 8

pytestmark = pytest.mark.aws


async def test_one_of_many_amendments_of_a_version_lands(new_uow: NewUnit) -> None:
    note = a_note(1)
    await add_all(new_uow, "notes", note)

    def amend(n: int) -> Callable[[], Awaitable[bool]]:
        async def attempt() -> bool:
            async with new_uow() as uow:
                stored = await uow.notes.get(note.id)
                assert stored is not None
                amended = stored.amended(NoteContent(text=f"Amendment {n}"), NOW + HOUR)
                landed = await uow.notes.replace(changed(amended, by=f"dr-{n}", action="amended"))
                await uow.commit()
            return landed

        return attempt

    outcomes = await race([amend(n) for n in range(RACERS)])
    assert outcomes.count(True) == 1, outcomes
    losers = [o for o in outcomes if o is not True]
    # A loser finds the new version at its read (False) or loses at the commit, with 412.
    assert all(o is False or isinstance(o, PreconditionFailed) for o in losers), outcomes
    assert any(isinstance(o, PreconditionFailed) for o in losers), outcomes
    winner = outcomes.index(True)
    async with new_uow() as uow:
        stored = await uow.notes.get(note.id)
        history = await uow.notes.history(note.id)
    assert stored is not None and stored.content.text == f"Amendment {winner}"
    assert [(r.version, r.actor_id) for r in history] == [(1, "dr-1"), (2, f"dr-{winner}")]


async def test_one_of_many_adds_of_an_id_lands_whatever_its_kind(new_uow: NewUnit) -> None:
    def add(n: int) -> Callable[[], Awaitable[str]]:
        async def attempt() -> str:
            async with new_uow() as uow:
                if n % 2:
                    await uow.notes.add(written(a_note(1), by=f"dr-{n}"))
                else:
                    await uow.medications.add(written(a_medication(1), by=f"dr-{n}"))
                await uow.commit()
            return f"dr-{n}"

        return attempt

    outcomes = await race([add(n) for n in range(RACERS)])
    landed = [o for o in outcomes if isinstance(o, str)]
    assert len(landed) == 1, outcomes
    assert all(isinstance(o, ItemTaken) for o in outcomes if o not in landed), outcomes
    async with new_uow() as uow:
        history = [*await uow.notes.history(item_id(1)), *await uow.medications.history(item_id(1))]
    assert [r.actor_id for r in history] == landed


async def test_one_of_many_adds_of_a_template_lands(new_uow: NewUnit) -> None:
    def add(n: int) -> Callable[[], Awaitable[str]]:
        async def attempt() -> str:
            async with new_uow() as uow:
                await uow.checklist_templates.add(a_template("pre-op", created_by=f"admin-{n}"))
                await uow.commit()
            return f"admin-{n}"

        return attempt

    outcomes = await race([add(n) for n in range(RACERS)])
    landed = [o for o in outcomes if isinstance(o, str)]
    assert len(landed) == 1, outcomes
    losers = [o for o in outcomes if o not in landed]
    assert all(isinstance(o, ItemTaken) for o in losers), outcomes
    # Those that lost at the commit are a 409 too (no use case is left to map them).
    assert all(isinstance(o, Conflict) for o in losers if o.__class__ is not ItemTaken)
    async with new_uow() as uow:
        assert [t.created_by for t in await uow.checklist_templates.list_all()] == landed


async def test_a_units_lists_show_its_own_writes(new_uow: NewUnit) -> None:
    first, second = a_task(1, due_at=NOW + 3 * HOUR), a_task(2, due_at=NOW + 2 * HOUR)
    await add_all(new_uow, "tasks", first, second)
    await add_all(new_uow, "notes", a_note(3))
    async with new_uow() as uow:
        handed = first.changed(NOW, assignee_id="nurse-2")
        sooner = second.changed(NOW, due_at=NOW + HOUR)
        assert await uow.tasks.replace(changed(handed, by="dr-1", action="reassigned"))
        assert await uow.tasks.replace(changed(sooner, by="dr-1", action="changed"))
        await uow.tasks.add(written(a_task(4, due_at=NOW + 2 * HOUR)))
        error = (await uow.notes.get(item_id(3)) or a_note(0)).entered_in_error("Wrong", NOW)
        assert await uow.notes.replace(changed(error, by="dr-1", action="entered_in_error"))
        await uow.notes.add(written(a_note(5)))
        await uow.checklist_templates.add(a_template("b"))

        async def assigned(who: str) -> list[str]:
            page = await uow.tasks.assigned_to(
                who, statuses=(), due_before=None, cursor=None, limit=5
            )
            return [t.id for t in page.items]

        assert await assigned("nurse-1") == [item_id(2), item_id(4)]
        assert await assigned("nurse-2") == [item_id(1)]
        current = await uow.notes.for_patient(
            "p-1", statuses={NoteStatus.CURRENT.value}, cursor=None, limit=5
        )
        assert [n.id for n in current.items] == [item_id(5)]
        assert [r.version for r in await uow.notes.history(item_id(3))] == [1, 2]
        assert [t.id for t in await uow.checklist_templates.list_all()] == ["tpl-b"]
        open_ = await uow.tasks.assigned_to(
            "nurse-1", statuses={TaskStatus.OPEN}, due_before=NOW + 2 * HOUR, cursor=None, limit=5
        )
        assert open_.items == [sooner]


async def test_a_filter_few_items_pass_reads_within_its_budget(
    new_uow: NewUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filtered_pages, "READ_BUDGET", 3)

    def note(n: int) -> Note:
        if n % 4 == 0:
            return a_note(n)
        return a_note(n, status=NoteStatus.ENTERED_IN_ERROR, error_reason="Wrong patient")

    await add_all(new_uow, "notes", *(note(n) for n in range(1, 13)))
    pages: list[list[str]] = []
    cursor: str | None = None
    async with new_uow() as uow:
        await uow.notes.add(written(a_note(13)))  # the unit's own, newest
        await uow.notes.add(written(a_note(0)))  # and oldest
        while cursor is not None or not pages:
            page = await uow.notes.for_patient(
                "p-1", statuses={NoteStatus.CURRENT.value}, cursor=cursor, limit=2
            )
            pages.append([n.id for n in page.items])
            cursor = page.next_cursor
            assert len(pages) < 20, pages
    # Pages come back short where the budget ran out, and every current note comes once.
    assert any(len(p) < 2 for p in pages[:-1]), pages
    assert [i for p in pages for i in p] == [item_id(n) for n in (13, 12, 8, 4, 0)]
