"""Medical tasks: assigned to a user, due at a time, open until done or cancelled."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from carehub.clinical.errors import TransitionRefused
from carehub.clinical.model import Revision

MAX_TITLE = 200
MAX_DETAILS = 5_000


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


CLOSED = frozenset({TaskStatus.DONE, TaskStatus.CANCELLED})
# open -> in_progress -> done | cancelled; a task may also be closed straight from open,
# and put back to open while in progress. A closed task stays closed.
_NEXT: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.OPEN: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.CANCELLED}),
    TaskStatus.IN_PROGRESS: frozenset({TaskStatus.OPEN, TaskStatus.DONE, TaskStatus.CANCELLED}),
    TaskStatus.DONE: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}


class Priority(StrEnum):
    """FHIR's request priorities, lowest first."""

    ROUTINE = "routine"
    URGENT = "urgent"
    ASAP = "asap"
    STAT = "stat"


_UNSET = object()


@dataclass(frozen=True)
class Task:
    id: str
    patient_id: str
    title: str
    created_by: str
    created_at: datetime
    details: str = ""
    assignee_id: str | None = None
    due_at: datetime | None = None
    priority: Priority = Priority.ROUTINE
    status: TaskStatus = TaskStatus.OPEN
    version: int = 1
    updated_at: datetime | None = None

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    def overdue(self, now: datetime) -> bool:
        return not self.closed and self.due_at is not None and self.due_at < now

    def changed(
        self,
        at: datetime,
        *,
        status: TaskStatus | None = None,
        assignee_id: str | object | None = _UNSET,
        due_at: datetime | object | None = _UNSET,
    ) -> Task:
        """The task after a change of status, assignee or due time (each optional)."""
        if self.closed:
            raise TransitionRefused("task", self.status.value, "changed")
        if status is not None and status is not self.status and status not in _NEXT[self.status]:
            raise TransitionRefused("task", self.status.value, f"moved to {status.value}")
        changed = replace(
            self,
            status=self.status if status is None else status,
            assignee_id=self.assignee_id if assignee_id is _UNSET else assignee_id,  # type: ignore[arg-type]
            due_at=self.due_at if due_at is _UNSET else due_at,  # type: ignore[arg-type]
        )
        if changed == self:
            return self
        return replace(changed, version=self.version + 1, updated_at=at)

    def newly_assigned_to(self, before: Task | None) -> str | None:
        """The user this version gave the task to, when it changed hands (or was created
        with an assignee)."""
        if self.assignee_id is None or self.closed:
            return None
        if before is not None and before.assignee_id == self.assignee_id:
            return None
        return self.assignee_id


TaskRevision = Revision[Task]
