"""A medical task as a Task: what is to be done for a patient, by whom, by when.

Who created and who was given a task are carehub users (not every one a practitioner),
so they are named by identifier. The due time is `restriction.period.end`, FHIR's "by
when it is sought"; `executionPeriod` would claim the work started or ended then.
"""

from __future__ import annotations

from typing import Any

from carehub.clinical.tasks import Task, TaskStatus
from carehub.fhir.wire import instant, meta, reference, user_reference

_STATUS = {
    TaskStatus.OPEN: "requested",
    TaskStatus.IN_PROGRESS: "in-progress",
    TaskStatus.DONE: "completed",
    TaskStatus.CANCELLED: "cancelled",
}

# A Task's status code -> carehub's, for searches.
TASK_STATUSES = {code: status for status, code in _STATUS.items()}


def task_resource(task: Task) -> dict[str, Any]:
    """The task as a Task (intent order); its priority is FHIR's own code."""
    changed = task.updated_at or task.created_at
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": task.id,
        "meta": meta(task.version, changed),
        "status": _STATUS[task.status],
        "intent": "order",
        "priority": task.priority.value,
        "description": task.title,
        "for": reference("Patient", task.patient_id),
        "authoredOn": instant(task.created_at),
        "lastModified": instant(changed),
        "requester": user_reference(task.created_by),
    }
    if task.assignee_id:
        resource["owner"] = user_reference(task.assignee_id)
    if task.due_at is not None:
        resource["restriction"] = {"period": {"end": instant(task.due_at)}}
    if task.details.strip():
        resource["note"] = [{"text": task.details}]
    return resource
