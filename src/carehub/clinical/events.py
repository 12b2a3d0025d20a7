"""The clinical record's events: ids, versions and status codes only, never a note's text,
a medication's name or code, a task's title or a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Self

from typing_extensions import TypedDict

from carehub.clinical.checklists import Checklist
from carehub.clinical.model import ItemKind, RecordItem
from carehub.clinical.tasks import Task
from carehub.kernel.actor import Actor
from carehub.kernel.events import DomainEvent


class ItemPayload(TypedDict):
    itemId: str
    patientId: str
    kind: str
    version: int
    status: str


@dataclass(frozen=True, kw_only=True)
class ItemEvent(DomainEvent):
    """What every event about one item of the record carries; each kind's events say
    which kind they are about once, in `kind`."""

    kind: ClassVar[ItemKind]
    patient_id: str
    version: int
    status: str

    @classmethod
    def of(cls, item: RecordItem, actor: Actor, at: datetime, **details: Any) -> Self:
        """The event about `item` as it now stands; `details` are a kind's own fields."""
        return cls(
            aggregate_id=item.id,
            occurred_at=at,
            actor_id=actor.id,
            patient_id=item.patient_id,
            version=item.version,
            status=item.status.value,
            **details,
        )

    def payload(self) -> ItemPayload:
        return {
            "itemId": self.aggregate_id,
            "patientId": self.patient_id,
            "kind": self.kind.value,
            "version": self.version,
            "status": self.status,
        }


class _NoteEvent(ItemEvent):
    kind = ItemKind.NOTE


@dataclass(frozen=True, kw_only=True)
class NoteWritten(_NoteEvent):
    event_type = "clinical.note_written.v1"


@dataclass(frozen=True, kw_only=True)
class NoteAmended(_NoteEvent):
    event_type = "clinical.note_amended.v1"


@dataclass(frozen=True, kw_only=True)
class NoteEnteredInError(_NoteEvent):
    event_type = "clinical.note_entered_in_error.v1"


class _MedicationEvent(ItemEvent):
    kind = ItemKind.MEDICATION


@dataclass(frozen=True, kw_only=True)
class MedicationStarted(_MedicationEvent):
    event_type = "clinical.medication_started.v1"


@dataclass(frozen=True, kw_only=True)
class MedicationStopped(_MedicationEvent):
    event_type = "clinical.medication_stopped.v1"


@dataclass(frozen=True, kw_only=True)
class MedicationCompleted(_MedicationEvent):
    event_type = "clinical.medication_completed.v1"


class TaskPayload(ItemPayload):
    assigneeId: str | None
    priority: str
    dueAt: str | None
    # The user this change handed the task to (creation with an assignee, or a new one).
    assignedTo: str | None


@dataclass(frozen=True, kw_only=True)
class TaskEvent(ItemEvent):
    kind = ItemKind.TASK
    assignee_id: str | None = None
    priority: str = "routine"
    due_at: datetime | None = None
    assigned_to: str | None = None

    @classmethod
    def of_task(cls, task: Task, before: Task | None, actor: Actor, at: datetime) -> Self:
        return cls.of(
            task,
            actor,
            at,
            assignee_id=task.assignee_id,
            priority=task.priority.value,
            due_at=task.due_at,
            assigned_to=task.newly_assigned_to(before),
        )

    def payload(self) -> TaskPayload:
        return {
            **super().payload(),
            "assigneeId": self.assignee_id,
            "priority": self.priority,
            "dueAt": None if self.due_at is None else self.due_at.isoformat(),
            "assignedTo": self.assigned_to,
        }


@dataclass(frozen=True, kw_only=True)
class TaskCreated(TaskEvent):
    event_type = "clinical.task_created.v1"


@dataclass(frozen=True, kw_only=True)
class TaskChanged(TaskEvent):
    event_type = "clinical.task_changed.v1"


class ChecklistPayload(ItemPayload):
    templateId: str
    stepId: str | None
    # Required items still unchecked after this change.
    remaining: int


@dataclass(frozen=True, kw_only=True)
class ChecklistEvent(ItemEvent):
    kind = ItemKind.CHECKLIST
    template_id: str = ""
    checklist_item_id: str | None = None
    remaining: int = 0

    @classmethod
    def of_checklist(
        cls, checklist: Checklist, item_id: str | None, actor: Actor, at: datetime
    ) -> Self:
        return cls.of(
            checklist,
            actor,
            at,
            template_id=checklist.template_id,
            checklist_item_id=item_id,
            remaining=len(checklist.missing),
        )

    def payload(self) -> ChecklistPayload:
        return {
            **super().payload(),
            "templateId": self.template_id,
            "stepId": self.checklist_item_id,
            "remaining": self.remaining,
        }


@dataclass(frozen=True, kw_only=True)
class ChecklistStarted(ChecklistEvent):
    event_type = "clinical.checklist_started.v1"


@dataclass(frozen=True, kw_only=True)
class ChecklistItemChecked(ChecklistEvent):
    event_type = "clinical.checklist_item_checked.v1"


@dataclass(frozen=True, kw_only=True)
class ChecklistItemUnchecked(ChecklistEvent):
    event_type = "clinical.checklist_item_unchecked.v1"


@dataclass(frozen=True, kw_only=True)
class ChecklistCompleted(ChecklistEvent):
    event_type = "clinical.checklist_completed.v1"


CLINICAL_EVENTS: tuple[type[ItemEvent], ...] = (
    NoteWritten,
    NoteAmended,
    NoteEnteredInError,
    MedicationStarted,
    MedicationStopped,
    MedicationCompleted,
    TaskCreated,
    TaskChanged,
    ChecklistStarted,
    ChecklistItemChecked,
    ChecklistItemUnchecked,
    ChecklistCompleted,
)
