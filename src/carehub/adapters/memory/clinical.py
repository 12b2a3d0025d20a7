"""The clinical record in memory (`carehub.clinical.ports`): items by id, each revision by
(item id, version), and the templates admins defined."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Generic, TypeVar, cast

from carehub.adapters.assignees import assignee_of
from carehub.adapters.memory.pages import page_of
from carehub.adapters.memory.store import MemoryStore
from carehub.clinical.checklists import ChecklistTemplate
from carehub.clinical.kinds import kind_of
from carehub.clinical.model import RecordItem, Revision
from carehub.clinical.ports import Assignee, ItemTaken
from carehub.clinical.tasks import Task, TaskStatus
from carehub.kernel.pagination import Page, cursor_position

T = TypeVar("T", bound=RecordItem)
_LAST = datetime.max.replace(tzinfo=UTC)


class MemoryItems(Generic[T]):
    """One kind of item: the store holds every kind, told apart by type."""

    def __init__(self, store: MemoryStore, kind: type[T]) -> None:
        self._store = store
        self._kind = kind

    async def add(self, revision: Revision[T]) -> None:
        item = revision.item
        if item.id in self._store.clinical_items:
            raise ItemTaken(item.id)
        self._store.clinical_items[item.id] = item
        self._store.clinical_revisions[item.id, item.version] = revision

    async def get(self, item_id: str) -> T | None:
        item = self._store.clinical_items.get(item_id)
        return item if isinstance(item, self._kind) else None

    async def replace(self, revision: Revision[T]) -> bool:
        item = revision.item
        current = await self.get(item.id)
        if current is None or current.version != item.version - 1:
            return False
        self._store.clinical_items[item.id] = item
        self._store.clinical_revisions[item.id, item.version] = revision
        return True

    async def history(self, item_id: str) -> list[Revision[T]]:
        found: list[Revision[T]] = [
            cast(Revision[T], r)
            for (i, _), r in self._store.clinical_revisions.items()
            if i == item_id and isinstance(r.item, self._kind)
        ]
        return sorted(found, key=lambda r: r.version)

    async def for_patient(
        self,
        patient_id: str,
        *,
        statuses: Collection[str] | None,
        cursor: str | None,
        limit: int,
    ) -> Page[T]:
        before = None if cursor is None else cursor_position(cursor, "id", str)
        found = [
            item
            for item in self._all()
            if item.patient_id == patient_id
            and (before is None or item.id < before)
            and (statuses is None or item.status.value in statuses)
        ]
        found.sort(key=lambda item: item.id, reverse=True)
        return page_of(found, limit, lambda item: {"id": item.id})

    def _all(self) -> list[T]:
        return [i for i in self._store.clinical_items.values() if isinstance(i, self._kind)]


class MemoryTasks(MemoryItems[Task]):
    def __init__(self, store: MemoryStore) -> None:
        super().__init__(store, Task)

    async def assigned_to(
        self,
        assignee_id: str,
        *,
        statuses: Collection[TaskStatus],
        due_before: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Page[Task]:
        after = None if cursor is None else _task_position(cursor)
        found = sorted(
            (
                t
                for t in self._all()
                if t.assignee_id == assignee_id
                and (not statuses or t.status in statuses)
                and (due_before is None or (t.due_at is not None and t.due_at < due_before))
            ),
            key=_task_order,
        )
        found = [t for t in found if after is None or _task_order(t) > after]
        return page_of(found, limit, lambda t: {"due": _task_order(t)[0].isoformat(), "id": t.id})


def _task_order(task: Task) -> tuple[datetime, str]:
    return (task.due_at or _LAST, task.id)


def _task_position(cursor: str) -> tuple[datetime, str]:
    due = cursor_position(cursor, "due", str)
    return (datetime.fromisoformat(due), cursor_position(cursor, "id", str))


class MemoryTemplates:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, template: ChecklistTemplate) -> None:
        if template.id in self._store.checklist_templates:
            raise ItemTaken(template.id)
        self._store.checklist_templates[template.id] = template

    async def get(self, template_id: str) -> ChecklistTemplate | None:
        return self._store.checklist_templates.get(template_id)

    async def list_all(self) -> list[ChecklistTemplate]:
        return [t for _, t in sorted(self._store.checklist_templates.items())]


class MemoryUserDirectory:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def assignee(self, user_id: str) -> Assignee | None:
        user = self._store.users.get(user_id)
        return None if user is None else assignee_of(user)


class MemoryAttachableItems:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def patient_of(self, kind: str, item_id: str) -> str | None:
        item = self._store.clinical_items.get(item_id)
        if item is None or kind_of(item) != kind:
            return None
        return item.patient_id
