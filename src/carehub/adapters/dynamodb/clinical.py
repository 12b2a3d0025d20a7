"""The clinical record's storage ports (`carehub.clinical.ports`) over a DynamoDB session
(docs/dynamodb.md, "clinical record").

An item and its revision are written together in the unit's transaction: the record on
its version's condition, the revision on `attribute_not_exists`, so a revision is never
overwritten and of two writers of one version only one commits. Where SQL's statement
answers at once (a taken id, a stale version), a consistent read answers the same way
before anything is buffered; the conditions still decide at commit.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Generic, TypeVar

from carehub.adapters.assignees import assignee_of
from carehub.adapters.dynamodb.clinical_items import (
    ALL_TEMPLATES,
    ITEM,
    KINDS,
    TEMPLATE,
    TemplateRaced,
    assigned_tasks,
    is_kind,
    item_from,
    item_key,
    patient_items,
    record_of,
    revision_from,
    revision_record,
    revisions_of,
    template_from_record,
    template_key,
    template_record,
)
from carehub.adapters.dynamodb.file_items import partition_items
from carehub.adapters.dynamodb.filtered_pages import Listing, filtered_page
from carehub.adapters.dynamodb.items import Item, utc_text
from carehub.adapters.dynamodb.pages import index_items
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.users import DynamoUserRepository
from carehub.adapters.dynamodb.writes import NEW_ITEM, version_is
from carehub.clinical.checklists import ChecklistTemplate
from carehub.clinical.kinds import ITEM_TYPES
from carehub.clinical.model import ItemKind, RecordItem, Revision
from carehub.clinical.ports import Assignee, ItemTaken
from carehub.clinical.tasks import Task, TaskStatus
from carehub.kernel.pagination import Page

T = TypeVar("T", bound=RecordItem)


class DynamoItems(Generic[T]):
    """`ItemRepository[T]` for one kind of item: every kind shares the key design, told
    apart by the record's `kind`."""

    def __init__(self, session: DynamoSession, cls: type[T]) -> None:
        self._session = session
        self._cls = cls
        self._kind = KINDS[cls]

    async def add(self, revision: Revision[T]) -> None:
        item = revision.item
        if await self._session.get(item_key(item.id)) is not None:
            raise ItemTaken(item.id)
        taken = lambda: ItemTaken(item.id)  # noqa: E731
        writes = self._session.writes
        writes.put(record_of(item), condition=NEW_ITEM, refusal=taken)
        writes.put(revision_record(revision), condition=NEW_ITEM, refusal=taken)

    async def get(self, item_id: str) -> T | None:
        record = await self._session.get(item_key(item_id))
        if record is None or not is_kind(record, self._kind):
            return None
        return item_from(record, self._cls)

    async def replace(self, revision: Revision[T]) -> bool:
        item = revision.item
        stored = await self._session.get(item_key(item.id))
        if stored is None or not is_kind(stored, self._kind):
            return False
        if stored.get("version") != item.version - 1:
            return False
        # A writer committing between this read and the commit fails the commit with the
        # store's 412 (`ChangedMeanwhile`), as a stale If-Match does.
        writes = self._session.writes
        writes.put(record_of(item), condition=version_is(item.version - 1))
        writes.put(revision_record(revision), condition=NEW_ITEM)
        return True

    async def history(self, item_id: str) -> list[Revision[T]]:
        """Revisions are never changed, so the unit's own (new) ones are laid over by key."""
        partition, prefix = revisions_of(item_id)
        stored = await partition_items(self._session, partition, prefix)
        records = {(r["PK"], r["SK"]): r for r in stored}
        for write in self._session.writes.writes():
            pk, sk = write.key
            if pk == partition and sk.startswith(prefix) and write.image is not None:
                records[write.key] = write.image
        found = [revision_from(records[key], self._cls) for key in sorted(records)]
        return [revision for revision in found if revision is not None]

    async def for_patient(
        self,
        patient_id: str,
        *,
        statuses: Collection[str] | None,
        cursor: str | None,
        limit: int,
    ) -> Page[T]:
        listing = Listing("GSI1", patient_items(patient_id, self._kind), ITEM, newest_first=True)
        wanted = None if statuses is None else {str(status) for status in statuses}
        page = await filtered_page(
            self._session,
            listing,
            admits=lambda record: wanted is None or record["status"] in wanted,
            cursor=cursor,
            limit=limit,
        )
        return Page([item_from(r, self._cls) for r in page.items], page.next_cursor)


class DynamoTasks(DynamoItems[Task]):
    def __init__(self, session: DynamoSession) -> None:
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
        """GSI2 in due-then-id order; `due_before` bounds the key range (`{due}#{id}` sorts
        before `{due_before}` only when due strictly before it; undated tasks, `~#{id}`,
        after every time), the statuses are checked on the items."""
        high = None if due_before is None else utc_text(due_before)
        listing = Listing("GSI2", assigned_tasks(assignee_id), ITEM, high=high)
        wanted = {status.value for status in statuses}
        page = await filtered_page(
            self._session,
            listing,
            admits=lambda record: not wanted or record["status"] in wanted,
            cursor=cursor,
            limit=limit,
        )
        return Page([item_from(r, Task) for r in page.items], page.next_cursor)


class DynamoTemplates:
    """`TemplateRepository`: the admins' templates, listed in GSI1 by id."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def add(self, template: ChecklistTemplate) -> None:
        if await self._session.get(template_key(template.id)) is not None:
            raise ItemTaken(template.id)
        refusal = lambda: TemplateRaced(template.id)  # noqa: E731
        self._session.writes.put(template_record(template), condition=NEW_ITEM, refusal=refusal)

    async def get(self, template_id: str) -> ChecklistTemplate | None:
        record = await self._session.get(template_key(template_id))
        return None if record is None else template_from_record(record)

    async def list_all(self) -> list[ChecklistTemplate]:
        """A handful of templates: one Query, with the unit's own added ones laid over."""
        stored = await index_items(self._session, "GSI1", ALL_TEMPLATES, limit=None)
        records: dict[str, Item | None] = {r["PK"]: r for r in stored}
        records.update(self._session.writes.written(TEMPLATE))
        found = [template_from_record(r) for r in records.values() if r is not None]
        return sorted(found, key=lambda template: template.id)


class DynamoUserDirectory:
    """`UserDirectory`: the identity domain's user record, read by key."""

    def __init__(self, users: DynamoUserRepository) -> None:
        self._users = users

    async def assignee(self, user_id: str) -> Assignee | None:
        user = await self._users.get(user_id)
        return None if user is None else assignee_of(user)


class DynamoAttachableItems:
    """`AttachableItems`: the item's record, read by key."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def patient_of(self, kind: str, item_id: str) -> str | None:
        try:
            item_kind = ItemKind(kind)
        except ValueError:
            return None
        record = await self._session.get(item_key(item_id))
        if record is None or not is_kind(record, item_kind):
            return None
        return item_from(record, ITEM_TYPES[item_kind]).patient_id
