"""The TaskRepository port's own read on every store: a user's tasks, soonest due first and
those without a due time last, filtered by status and due time, in pages."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta, timezone

import pytest

from carehub.clinical.tasks import Task, TaskStatus
from carehub.kernel.errors import Invalid
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.support.clinical_records import (
    HOUR,
    NOW,
    NewClinicalUnit,
    a_task,
    add_all,
    changed,
    item_id,
)

OPEN = {TaskStatus.OPEN, TaskStatus.IN_PROGRESS}
TOKYO = timezone(timedelta(hours=9))
LIMA = timezone(timedelta(hours=-5))


async def every_page(
    new_uow: NewClinicalUnit,
    assignee: str = "nurse-1",
    *,
    statuses: Collection[TaskStatus] = (),
    due_before: datetime | None = None,
    limit: int,
) -> list[list[str]]:
    """The ids of each page of `assigned_to`, following the cursors."""
    pages: list[list[str]] = []
    cursor: str | None = None
    async with new_uow() as uow:
        while True:
            page = await uow.tasks.assigned_to(
                assignee, statuses=statuses, due_before=due_before, cursor=cursor, limit=limit
            )
            pages.append([t.id for t in page.items])
            cursor = page.next_cursor
            if cursor is None:
                return pages
            assert len(pages) < 20, pages


def due_in(n: int, hours: float | None, **fields: object) -> Task:
    due = None if hours is None else (NOW + hours * HOUR).astimezone(TOKYO)
    return a_task(n, due_at=due, **fields)  # type: ignore[arg-type]


@pytest.fixture
async def nurses_tasks(new_uow: NewClinicalUnit) -> None:
    """nurse-1's tasks: 6 due at +1 h, 2 and 4 at +3 h (the same time), 9 at +5 h (done),
    1 at +8 h (in progress), 7 and 3 without a due time (3 cancelled), 5 without either;
    nurse-2's task 8 and an unassigned task 10, of other patients too."""
    await add_all(
        new_uow,
        "tasks",
        due_in(1, 8, status=TaskStatus.IN_PROGRESS),
        due_in(2, 3),
        due_in(3, None, status=TaskStatus.CANCELLED),
        due_in(4, 3, patient="p-2"),
        due_in(5, None),
        due_in(6, 1),
        due_in(7, None, patient="p-3"),
        due_in(8, 2, assignee_id="nurse-2"),
        due_in(9, 5, status=TaskStatus.DONE),
        due_in(10, 2, assignee_id=None),
    )


EVERY = [item_id(n) for n in (6, 2, 4, 9, 1, 3, 5, 7)]
OPEN_ONES = [item_id(n) for n in (6, 2, 4, 1, 5, 7)]


@pytest.mark.usefixtures("nurses_tasks")
async def test_a_users_tasks_come_soonest_due_first_and_undated_last(
    new_uow: NewClinicalUnit,
) -> None:
    assert await every_page(new_uow, limit=50) == [EVERY]
    assert await every_page(new_uow, limit=8) == [EVERY]
    assert await every_page(new_uow, limit=3) == [EVERY[:3], EVERY[3:6], EVERY[6:]]
    # Pages that end inside a tie of due times, and at the last dated task.
    assert await every_page(new_uow, limit=2) == [EVERY[i : i + 2] for i in range(0, 8, 2)]
    assert await every_page(new_uow, limit=5) == [EVERY[:5], EVERY[5:]]
    assert await every_page(new_uow, limit=1) == [[i] for i in EVERY]
    assert await every_page(new_uow, "nurse-2", limit=5) == [[item_id(8)]]
    assert await every_page(new_uow, "nobody", limit=5) == [[]]


@pytest.mark.usefixtures("nurses_tasks")
async def test_a_users_tasks_by_status(new_uow: NewClinicalUnit) -> None:
    assert await every_page(new_uow, statuses=OPEN, limit=50) == [OPEN_ONES]
    assert await every_page(new_uow, statuses=OPEN, limit=4) == [OPEN_ONES[:4], OPEN_ONES[4:]]
    assert await every_page(new_uow, statuses=OPEN, limit=3) == [OPEN_ONES[:3], OPEN_ONES[3:]]
    closed = {TaskStatus.DONE, TaskStatus.CANCELLED}
    assert await every_page(new_uow, statuses=closed, limit=1) == [[item_id(9)], [item_id(3)]]
    assert await every_page(new_uow, statuses={TaskStatus.IN_PROGRESS}, limit=5) == [[item_id(1)]]


@pytest.mark.usefixtures("nurses_tasks")
async def test_a_users_tasks_due_before_a_time(new_uow: NewClinicalUnit) -> None:
    # Strictly before: tasks due at exactly +3 h are left out, and so are undated ones.
    at_three = (NOW + 3 * HOUR).astimezone(LIMA)
    assert await every_page(new_uow, due_before=at_three, limit=5) == [[item_id(6)]]
    just_after = at_three + timedelta(microseconds=1)
    dated = [item_id(n) for n in (6, 2, 4)]
    assert await every_page(new_uow, due_before=just_after, limit=5) == [dated]
    assert await every_page(new_uow, due_before=just_after, limit=2) == [dated[:2], dated[2:]]
    overdue_open = await every_page(new_uow, statuses=OPEN, due_before=NOW + 9 * HOUR, limit=9)
    assert overdue_open == [[item_id(n) for n in (6, 2, 4, 1)]]
    assert await every_page(new_uow, due_before=NOW, limit=5) == [[]]


async def test_a_change_of_assignee_or_due_time_moves_the_task(new_uow: NewClinicalUnit) -> None:
    first, second = due_in(1, 1), due_in(2, 2)
    await add_all(new_uow, "tasks", first, second)
    moved = first.changed(NOW + HOUR, due_at=NOW + 4 * HOUR)
    handed = second.changed(NOW + HOUR, assignee_id="nurse-2")
    async with new_uow() as uow:
        assert await uow.tasks.replace(changed(moved, by="dr-1", action="changed"))
        assert await uow.tasks.replace(changed(handed, by="dr-1", action="reassigned"))
        await uow.commit()
    async with new_uow() as uow:
        page = await uow.tasks.assigned_to(
            "nurse-1", statuses=(), due_before=None, cursor=None, limit=5
        )
        theirs = await uow.tasks.assigned_to(
            "nurse-2", statuses=(), due_before=None, cursor=None, limit=5
        )
    assert page.items == [moved] and page.next_cursor is None
    assert theirs.items == [handed]
    unassigned = moved.changed(NOW + 2 * HOUR, assignee_id=None)
    async with new_uow() as uow:
        assert await uow.tasks.replace(changed(unassigned, by="dr-1", action="reassigned"))
        await uow.commit()
    assert await every_page(new_uow, limit=5) == [[]]


async def test_a_cursor_not_issued_is_refused(new_uow: NewClinicalUnit) -> None:
    async with new_uow() as uow:
        with pytest.raises(Invalid):
            await uow.tasks.assigned_to(
                "nurse-1", statuses=(), due_before=None, cursor="nope", limit=5
            )
