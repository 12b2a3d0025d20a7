"""The clinical record's items in the table (docs/dynamodb.md, "clinical record"): each
item's record with the index keys it is listed under, its revisions in its own partition
beside it, and the checklist templates admins define. `data` is the clinical JSON codec's."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from carehub.adapters.clinical_json import from_json, template_from, to_json
from carehub.adapters.dynamodb.items import Item, Key, record_data, record_item, utc_text
from carehub.clinical.checklists import ChecklistTemplate
from carehub.clinical.errors import TemplateTaken
from carehub.clinical.kinds import ITEM_TYPES, kind_of
from carehub.clinical.model import ItemKind, RecordItem, Revision
from carehub.clinical.ports import ItemTaken
from carehub.clinical.tasks import Task

T = TypeVar("T", bound=RecordItem)

ITEM = "ITEM"
TEMPLATE = "TEMPLATE"
ALL_TEMPLATES = "CHECKLIST_TEMPLATES"
_REVISION = "REV#"
# A task without a due time sorts after every time (digits) in its assignee's list.
NO_DUE = "~"
KINDS: dict[type[RecordItem], ItemKind] = {cls: kind for kind, cls in ITEM_TYPES.items()}


def item_key(item_id: str) -> Key:
    return (item_partition(item_id), ITEM)


def item_partition(item_id: str) -> str:
    """The partition of an item's record and every revision of it: one consistent Query
    reads its history."""
    return f"ITEM#{item_id}"


def revision_key(item_id: str, version: int) -> Key:
    return (item_partition(item_id), f"{_REVISION}{version:06d}")


def revisions_of(item_id: str) -> tuple[str, str]:
    """The partition and sort-key prefix of the item's revisions."""
    return item_partition(item_id), _REVISION


def template_key(template_id: str) -> Key:
    return (f"CHECKLIST_TEMPLATE#{template_id}", TEMPLATE)


def patient_items(patient_id: str, kind: ItemKind) -> str:
    return f"PATIENT#{patient_id}#ITEMS#{kind.value}"


def assigned_tasks(assignee_id: str) -> str:
    return f"ASSIGNEE#{assignee_id}#TASKS"


def task_order(task: Task) -> str:
    """A task's place in its assignee's list: soonest due first, undated last, then id."""
    due = NO_DUE if task.due_at is None else utc_text(task.due_at)
    return f"{due}#{task.id}"


def _record_kind(kind: ItemKind) -> str:
    return f"clinical-{kind.value}"


def _revision_kind(kind: ItemKind) -> str:
    return f"clinical-{kind.value}-revision"


def record_of(item: RecordItem) -> Item:
    """The item's record: listed among the patient's items of its kind (GSI1) by id, and a
    task with an assignee in the assignee's tasks (GSI2); its status beside `data`, so a
    list's status filter reads no JSON."""
    kind = kind_of(item)
    assignee, order = (
        (assigned_tasks(item.assignee_id), task_order(item))
        if isinstance(item, Task) and item.assignee_id is not None
        else (None, None)
    )
    record = record_item(
        item_key(item.id),
        kind=_record_kind(kind),
        data=to_json(item),
        version=item.version,
        indexes={
            "GSI1PK": patient_items(item.patient_id, kind),
            "GSI1SK": item.id,
            "GSI2PK": assignee,
            "GSI2SK": order,
        },
    )
    record["status"] = item.status.value
    return record


def is_kind(record: Item, kind: ItemKind) -> bool:
    return bool(record.get("kind") == _record_kind(kind))


def item_from(record: Item, cls: type[T]) -> T:
    return from_json(cls, record_data(record))


def revision_record(revision: Revision[T]) -> Item:
    """The revision: the item as it stood after the change in `data`, and who, when, what
    and why beside it (as SQL's columns)."""
    item = revision.item
    record = record_item(
        revision_key(item.id, item.version),
        kind=_revision_kind(kind_of(item)),
        data=to_json(item),
    )
    record.update(at=utc_text(revision.at), actor_id=revision.actor_id, action=revision.action)
    if revision.reason is not None:
        record["reason"] = revision.reason
    return record


def revision_from(record: Item, cls: type[T]) -> Revision[T] | None:
    """The revision, or None when it is one of another kind of item."""
    if record.get("kind") != _revision_kind(KINDS[cls]):
        return None
    return Revision(
        at=datetime.fromisoformat(record["at"]),
        actor_id=record["actor_id"],
        action=record["action"],
        item=item_from(record, cls),
        reason=record.get("reason"),
    )


def template_record(template: ChecklistTemplate) -> Item:
    return record_item(
        template_key(template.id),
        kind="checklist-template",
        data=to_json(template),
        indexes={"GSI1PK": ALL_TEMPLATES, "GSI1SK": template.id},
    )


def template_from_record(record: Item) -> ChecklistTemplate:
    return template_from(record_data(record))


class TemplateRaced(TemplateTaken, ItemTaken):
    """Another template with the same id committed first (the port's `ItemTaken`, and a
    Conflict, since at commit no use case is left to map it)."""
