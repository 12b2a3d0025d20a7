"""The clinical record in SQL (SQLite and PostgreSQL), one code path.

Every kind of item is a row of `clinical_items` (its fields as `clinical_json` in `data`,
beside the columns its lists are read by) and every change a row of `clinical_revisions`.
A kind's repository reads and changes only rows of its kind, so an id of another kind is
as good as absent.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Any, Generic, TypeVar

import orjson
import sqlalchemy as sa

from carehub.adapters.clinical_json import from_json, template_from, to_json
from carehub.adapters.sql.database import Row, Session, Statement, as_datetime, as_utc
from carehub.adapters.sql.tables import (
    checklist_templates,
    clinical_items,
    clinical_revisions,
    users,
)
from carehub.clinical.checklists import ChecklistTemplate
from carehub.clinical.kinds import ITEM_TYPES
from carehub.clinical.model import ItemKind, RecordItem, Revision
from carehub.clinical.ports import Assignee, ItemTaken
from carehub.clinical.tasks import Task
from carehub.identity.model import UserStatus
from carehub.kernel.pagination import Page, cursor_position, encode_cursor

T = TypeVar("T", bound=RecordItem)

_i = clinical_items.c
_r = clinical_revisions.c
_t = checklist_templates.c
_ID = _i.id == sa.bindparam("id")
_KIND = _i.kind == sa.bindparam("kind")
LIMIT = sa.bindparam("limit", type_=sa.Integer)


# An id in use leaves the row alone and says so by the row count: no savepoint, and the
# unit goes on (PostgreSQL refuses every statement after a failed one).
_INSERT_ITEM = Statement(
    sa.text("""
INSERT INTO clinical_items
    (id, kind, patient_id, status, version, created_at, assignee_id, due_at, data)
VALUES
    (:id, :kind, :patient_id, :status, :version, :created_at, :assignee_id, :due_at, :data)
ON CONFLICT (id) DO NOTHING
""").bindparams(*[sa.bindparam(c.name, type_=c.type) for c in clinical_items.c])
)
_INSERT_REVISION = Statement(
    sa.insert(clinical_revisions).values(
        {c.name: sa.bindparam(c.name, type_=c.type) for c in clinical_revisions.c}
    )
)
_GET = Statement(sa.select(_i.data).where(_ID, _KIND))
# The change lands only on the version it was made from (optimistic concurrency), and
# only on an item of the repository's kind; the row count says whether it did.
_CHANGED = ("status", "version", "assignee_id", "due_at", "data")
_REPLACE = Statement(
    sa.update(clinical_items)
    .where(_i.id == sa.bindparam("b_id"), _KIND, _i.version == sa.bindparam("expected"))
    .values({name: sa.bindparam(name, type_=_i[name].type) for name in _CHANGED})
)
# The revisions in their key's order; the item's kind is checked once, beside them.
_HISTORY = Statement(
    sa.select(_r.at, _r.actor_id, _r.action, _r.reason, _r.data)
    .where(_r.item_id == sa.bindparam("id"), sa.exists().where(_ID, _KIND))
    .order_by(_r.version)
)
_KIND_AND_PATIENT = Statement(sa.select(_i.kind, _i.patient_id).where(_ID))

_INSERT_TEMPLATE = Statement(
    sa.text("""
INSERT INTO checklist_templates (id, created_at, created_by, data)
VALUES (:id, :created_at, :created_by, :data)
ON CONFLICT (id) DO NOTHING
""").bindparams(*[sa.bindparam(c.name, type_=c.type) for c in checklist_templates.c])
)
_TEMPLATE = Statement(sa.select(_t.data).where(_t.id == sa.bindparam("id")))
_TEMPLATES = Statement(sa.select(_t.data).order_by(_t.id))

_u = users.c
_ASSIGNEE = Statement(sa.select(_u.role, _u.status, _u.email).where(_u.id == sa.bindparam("id")))

_KIND_OF: dict[type[RecordItem], ItemKind] = {cls: kind for kind, cls in ITEM_TYPES.items()}


class SqlItemRepository(Generic[T]):
    """`carehub.clinical.ports.ItemRepository` of one kind over a SQL session."""

    def __init__(self, session: Session, item_type: type[T]) -> None:
        self._session = session
        self._type = item_type
        self._kind = _KIND_OF[item_type].value

    async def add(self, revision: Revision[T]) -> None:
        item = revision.item
        if await self._session.execute(_INSERT_ITEM, item_row(self._kind, item)) != 1:
            raise ItemTaken(item.id)
        await self._session.execute(_INSERT_REVISION, revision_row(revision))

    async def get(self, item_id: str) -> T | None:
        row = await self._session.fetch_one(_GET, {"id": item_id, "kind": self._kind})
        return None if row is None else self._item(row)

    async def replace(self, revision: Revision[T]) -> bool:
        item = revision.item
        row = item_row(self._kind, item)
        params = {name: row[name] for name in _CHANGED}
        params.update(b_id=item.id, kind=self._kind, expected=item.version - 1)
        if await self._session.execute(_REPLACE, params) != 1:
            return False  # another writer's version is there, or no item of this kind
        await self._session.execute(_INSERT_REVISION, revision_row(revision))
        return True

    async def history(self, item_id: str) -> list[Revision[T]]:
        rows = await self._session.fetch_all(_HISTORY, {"id": item_id, "kind": self._kind})
        return [
            Revision(
                at=as_datetime(r["at"]),
                actor_id=r["actor_id"],
                action=r["action"],
                item=self._item(r),
                reason=r["reason"],
            )
            for r in rows
        ]

    async def for_patient(
        self,
        patient_id: str,
        *,
        statuses: Collection[str] | None,
        cursor: str | None,
        limit: int,
    ) -> Page[T]:
        before = None if cursor is None else cursor_position(cursor, "id", str)
        wanted = None if statuses is None else tuple(sorted({str(s) for s in statuses}))
        if wanted == ():
            return Page([], None)
        params: dict[str, Any] = {
            "patient_id": patient_id,
            "kind": self._kind,
            "limit": limit + 1,
            **status_params(wanted or ()),
        }
        if before is not None:
            params["before"] = before
        statement = _for_patient(None if wanted is None else len(wanted), before is not None)
        rows = await self._session.fetch_all(statement, params)
        items = [self._item(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor({"id": items[-1].id}) if more else None)

    def _item(self, row: Row) -> T:
        return from_json(self._type, _loads(row["data"]))


class SqlTemplateRepository:
    """`carehub.clinical.ports.TemplateRepository` over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, template: ChecklistTemplate) -> None:
        row = {
            "id": template.id,
            "created_at": as_utc(template.created_at),
            "created_by": template.created_by,
            "data": _dumps(to_json(template)),
        }
        if await self._session.execute(_INSERT_TEMPLATE, row) != 1:
            raise ItemTaken(template.id)

    async def get(self, template_id: str) -> ChecklistTemplate | None:
        row = await self._session.fetch_one(_TEMPLATE, {"id": template_id})
        return None if row is None else template_from(_loads(row["data"]))

    async def list_all(self) -> list[ChecklistTemplate]:
        return [template_from(_loads(r["data"])) for r in await self._session.fetch_all(_TEMPLATES)]


class SqlUserDirectory:
    """`carehub.clinical.ports.UserDirectory`: the accounts table, read as the record needs."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def assignee(self, user_id: str) -> Assignee | None:
        row = await self._session.fetch_one(_ASSIGNEE, {"id": user_id})
        if row is None:
            return None
        active = row["status"] == UserStatus.ACTIVE.value
        return Assignee(user_id, row["role"], active, row["email"])


class SqlAttachableItems:
    """`carehub.clinical.ports.AttachableItems` over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def patient_of(self, kind: str, item_id: str) -> str | None:
        row = await self._session.fetch_one(_KIND_AND_PATIENT, {"id": item_id})
        if row is None or row["kind"] != kind:
            return None
        patient_id: str = row["patient_id"]
        return patient_id


def status_params(statuses: tuple[str, ...]) -> dict[str, str]:
    """The parameters of `status_in(len(statuses))`."""
    return {f"status_{n}": status for n, status in enumerate(statuses)}


def status_in(count: int) -> sa.ColumnElement[bool]:
    """`status IN (...)` of `count` parameters: the statuses a list asks for are a few
    values of one enum, so a statement per count compiles once and stays cached."""
    return _i.status.in_([sa.bindparam(f"status_{n}", type_=_i.status.type) for n in range(count)])


@lru_cache(maxsize=16)
def _for_patient(statuses: int | None, after_cursor: bool) -> Statement:
    """One kind of a patient's items, newest first, from ix_clinical_items_patient_id_kind_id
    read backwards; the status filter is checked on the rows as they come."""
    conditions = [_i.patient_id == sa.bindparam("patient_id"), _KIND]
    if after_cursor:
        conditions.append(_i.id < sa.bindparam("before", type_=_i.id.type))
    if statuses is not None:
        conditions.append(status_in(statuses))
    return Statement(sa.select(_i.data).where(*conditions).order_by(_i.id.desc()).limit(LIMIT))


def item_row(kind: str, item: RecordItem) -> dict[str, Any]:
    task = item if isinstance(item, Task) else None
    due = None if task is None or task.due_at is None else as_utc(task.due_at)
    return {
        "id": item.id,
        "kind": kind,
        "patient_id": item.patient_id,
        "status": item.status.value,
        "version": item.version,
        "created_at": as_utc(item.created_at),
        "assignee_id": None if task is None else task.assignee_id,
        "due_at": due,
        "data": _dumps(to_json(item)),
    }


def revision_row(revision: Revision[RecordItem]) -> dict[str, Any]:
    return {
        "item_id": revision.item.id,
        "version": revision.version,
        "at": as_utc(revision.at),
        "actor_id": revision.actor_id,
        "action": revision.action,
        "reason": revision.reason,
        "data": _dumps(to_json(revision.item)),
    }


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _loads(value: Any) -> Any:
    # SQLite's JSON is text; asyncpg hands jsonb over as text too, unless a codec is set.
    return orjson.loads(value) if isinstance(value, str | bytes) else value
