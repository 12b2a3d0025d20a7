"""Tasks bodies: a task to give, a change of its status, assignee or due time (JSON
merge-patch), and their mapping."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from carehub.clinical.schemas.item_wire import Id, RevisionFields, utc
from carehub.clinical.service.tasks import TaskChanges, TaskDraft
from carehub.clinical.tasks import MAX_DETAILS, MAX_TITLE, Priority, Task, TaskStatus
from carehub.kernel.errors import FieldError, Invalid
from carehub.web.schemas import WireModel
from carehub.web.text import MANY_LINES, ONE_LINE
from carehub.web.times import Moment

ASSIGNEE = "An active doctor, staff or admin account that may see the patient"


class TaskCreate(WireModel):
    title: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE), ONE_LINE]
    details: Annotated[str, StringConstraints(max_length=MAX_DETAILS), MANY_LINES] = ""
    assignee_id: Id | None = Field(None, description=ASSIGNEE)
    due_at: Moment | None = None
    priority: Priority = Priority.ROUTINE

    def to_draft(self) -> TaskDraft:
        return TaskDraft(
            title=self.title,
            details=self.details,
            assignee_id=self.assignee_id,
            due_at=None if self.due_at is None else utc(self.due_at),
            priority=self.priority,
        )


class TaskUpdate(WireModel):
    """Change some of these (JSON merge-patch: null takes the assignee or due time away);
    needs If-Match with the current ETag."""

    status: TaskStatus | None = Field(
        None, description="open -> in_progress -> done or cancelled; a closed task stays closed"
    )
    assignee_id: Id | None = Field(None, description=ASSIGNEE)
    due_at: Moment | None = None

    def to_changes(self) -> TaskChanges:
        given = self.model_fields_set
        if "status" in given and self.status is None:
            raise Invalid(
                "A task's status cannot be cleared",
                errors=[FieldError("status", "cannot be null")],
            )
        return TaskChanges(
            status=self.status,
            assignee_id=self.assignee_id,
            due_at=None if self.due_at is None else utc(self.due_at),
            given=frozenset(given),
        )


class TaskRead(WireModel):
    id: str
    patient_id: str
    title: str
    details: str
    assignee_id: str | None
    due_at: datetime | None
    priority: Priority
    status: TaskStatus
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime | None


class TaskPage(WireModel):
    items: list[TaskRead]
    next_cursor: str | None


class TaskRevisionRead(RevisionFields):
    task: TaskRead


class TaskHistory(WireModel):
    items: list[TaskRevisionRead]


def task_json(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "patientId": task.patient_id,
        "title": task.title,
        "details": task.details,
        "assigneeId": task.assignee_id,
        "dueAt": task.due_at,
        "priority": task.priority,
        "status": task.status,
        "createdBy": task.created_by,
        "version": task.version,
        "createdAt": task.created_at,
        "updatedAt": task.updated_at,
    }
