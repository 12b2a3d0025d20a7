"""Tasks in SQL: the items' repository, and a user's tasks soonest due first.

`assigned_to` reads ix_clinical_items_assignee_id_due_at_id (tasks with an assignee) in two
ranges: the tasks with a due time in (due_at, id) order, then those without one in id
order. SQLite keeps NULLs first in an index and PostgreSQL last, so one ORDER BY due_at
NULLS LAST could not follow the index on both; two ranges, each cut at the page's size,
follow it on both, and only those few rows are put in order.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from carehub.adapters.sql.clinical import LIMIT, SqlItemRepository, status_in, status_params
from carehub.adapters.sql.database import Session, Statement, as_utc
from carehub.adapters.sql.tables import clinical_items
from carehub.clinical.tasks import Task, TaskStatus
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.pagination import Page, decode_cursor, encode_cursor

_i = clinical_items.c
_DUE = sa.bindparam("due_before", type_=_i.due_at.type)
_AFTER_DUE = sa.bindparam("after_due", type_=_i.due_at.type)
_AFTER_ID = sa.bindparam("after_id", type_=_i.id.type)
_AFTER_UNDATED = sa.bindparam("after_undated", type_=_i.id.type)


class SqlTaskRepository(SqlItemRepository[Task]):
    """`carehub.clinical.ports.TaskRepository` over a SQL session."""

    def __init__(self, session: Session) -> None:
        super().__init__(session, Task)

    async def assigned_to(
        self,
        assignee_id: str,
        *,
        statuses: Collection[TaskStatus],
        due_before: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Page[Task]:
        after = None if cursor is None else _position(cursor)
        # Past a cursor among the undated tasks, only undated ones remain; none of them is
        # due before anything.
        dated: str | None = "all"
        if after is not None:
            dated = None if after[0] is None else "after"
        undated = due_before is None
        if dated is None and not undated:
            return Page([], None)
        wanted = tuple(sorted({TaskStatus(s).value for s in statuses}))
        params: dict[str, Any] = {
            "assignee_id": assignee_id,
            "limit": limit + 1,
            "after_undated": "" if after is None or after[0] is not None else after[1],
            **status_params(wanted),
        }
        if due_before is not None:
            params["due_before"] = as_utc(due_before)
        if dated == "after" and after is not None:
            params.update(after_due=after[0], after_id=after[1])
        statement = _assigned_to(len(wanted), dated, undated, due_before is not None)
        rows = await self._session.fetch_all(statement, params)
        items = [self._item(r) for r in rows[:limit]]
        if len(rows) <= limit:
            return Page(items, None)
        last = items[-1]
        due = None if last.due_at is None else as_utc(last.due_at).isoformat()
        return Page(items, encode_cursor({"due": due, "id": last.id}))


@lru_cache(maxsize=32)
def _assigned_to(statuses: int, dated: str | None, undated: bool, due_before: bool) -> Statement:
    """The statement of one shape of `assigned_to`: `dated` is "all", "after" (a cursor) or
    None (no dated tasks left), `undated` whether tasks without a due time come after them."""
    shared = [_i.assignee_id == sa.bindparam("assignee_id")]
    if statuses:
        shared.append(status_in(statuses))
    arms: list[sa.Select[Any]] = []
    if dated is not None:
        conditions = [*shared, _i.due_at.is_not(None)]
        if due_before:
            conditions.append(_i.due_at < _DUE)
        if dated == "after":
            conditions.append(sa.tuple_(_i.due_at, _i.id) > sa.tuple_(_AFTER_DUE, _AFTER_ID))
        arms.append(
            sa.select(sa.literal_column("0").label("part"), _i.data, _i.due_at, _i.id)
            .where(*conditions)
            .order_by(_i.due_at, _i.id)
            .limit(LIMIT)
        )
    if undated:
        arms.append(
            sa.select(sa.literal_column("1").label("part"), _i.data, _i.due_at, _i.id)
            .where(*shared, _i.due_at.is_(None), _i.id > _AFTER_UNDATED)
            .order_by(_i.id)
            .limit(LIMIT)
        )
    if len(arms) == 1:
        return Statement(arms[0])
    both = sa.union_all(*(sa.select(arm.subquery()) for arm in arms)).subquery("tasks")
    return Statement(
        sa.select(both.c.data).order_by(both.c.part, both.c.due_at, both.c.id).limit(LIMIT)
    )


def _position(cursor: str) -> tuple[datetime | None, str]:
    """The due time (None among the undated tasks) and id a cursor of ours ends at."""
    position = decode_cursor(cursor)
    due, task_id = position.get("due"), position.get("id")
    if isinstance(task_id, str) and (due is None or isinstance(due, str)):
        try:
            return (None if due is None else as_utc(datetime.fromisoformat(due))), task_id
        except ValueError:
            pass
    raise Invalid("cursor is not valid", errors=[FieldError("cursor", "not a cursor we issued")])
