"""Reactions to the clinical record's events: telling a user a task was given to them.

The mail names the task's id and due time only: no title, no details, no patient. The user
reads the task behind their sign-in (`GET /tasks?assignee=me`). A consumer that retries may
send it twice: a duplicate notice is better than a missing one.
"""

from __future__ import annotations

from datetime import datetime

from carehub.clinical.events import TaskChanged, TaskCreated
from carehub.clinical.ports import ClinicalUnitOfWork
from carehub.kernel.events import EventMessage
from carehub.kernel.mail import Mailer, MailMessage

TASK_NOTICE_EVENTS = frozenset({TaskCreated.event_type, TaskChanged.event_type})
SUBJECT = "A task was assigned to you"


class NotifyAssignee:
    """Mail the user a task was handed to, while it is still theirs and open."""

    def __init__(self, mailer: Mailer) -> None:
        self._mailer = mailer

    async def __call__(self, message: EventMessage, uow: ClinicalUnitOfWork) -> None:
        user_id = message.payload.get("assignedTo")
        if message.event_type not in TASK_NOTICE_EVENTS or not isinstance(user_id, str):
            return
        task = await uow.tasks.get(message.aggregate_id)
        if task is None or task.closed or task.assignee_id != user_id:
            return  # handed on or closed since: the later change has its own notice
        assignee = await uow.user_directory.assignee(user_id)
        if assignee is None or not assignee.active or not assignee.email:
            return
        await self._mailer.send(
            MailMessage(
                to=assignee.email,
                subject=SUBJECT,
                text=notice_text(task.id, task.due_at),
                purpose="clinical.task_assigned",
            )
        )


def notice_text(task_id: str, due_at: datetime | None) -> str:
    due = "no due time" if due_at is None else f"due {due_at.isoformat()}"
    return (
        f"A task was assigned to you in carehub (task {task_id}, {due}).\n"
        "Sign in to carehub to read it: it is listed under your tasks.\n"
    )
