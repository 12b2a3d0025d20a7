"""HTTP routes for medical tasks: a patient's, and a user's across patients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from carehub.clinical.api.item_http import (
    Cursor,
    IdempotencyKey,
    IfMatch,
    Limit,
    item_response,
    page_json,
)
from carehub.clinical.schemas.item_wire import history_json, utc
from carehub.clinical.schemas.tasks import (
    TaskCreate,
    TaskHistory,
    TaskPage,
    TaskRead,
    TaskUpdate,
    task_json,
)
from carehub.clinical.service.tasks import ME, TaskService
from carehub.clinical.tasks import Task, TaskStatus
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.pagination import DEFAULT_LIMIT
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.etag import NOT_MODIFIED, IfNoneMatch, conditional, version_from_if_match
from carehub.web.idempotency import Idempotency, idempotent
from carehub.web.problems import error_responses
from carehub.web.times import QueryMoment
from carehub.web.wire import json_response

router = APIRouter(
    prefix="/patients/{patient_id}/tasks",
    tags=["tasks"],
    dependencies=REQUIRE_TOKEN,
    responses=error_responses(401, 404, 422),
)
assigned = APIRouter(tags=["tasks"], dependencies=REQUIRE_TOKEN, responses=error_responses(401))
Tasks = Annotated[TaskService, Depends(use_case(TaskService))]


def _render(task: Task, status: int = 200) -> Response:
    location = f"/patients/{task.patient_id}/tasks/{task.id}" if status == 201 else None
    return item_response(task_json(task), task.version, status, location)


@router.post("", status_code=201, response_model=TaskRead, responses=error_responses(403, 409))
async def create_task(
    request: Request,
    actor: CurrentActor,
    tasks: Tasks,
    store: Idempotency,
    patient_id: str,
    body: TaskCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Add a task to the patient's record, given to a user who may see the patient (who
    is told by mail, without its content) or to nobody yet."""

    async def run(claim: IdempotencyClaim | None) -> Response:
        task = await tasks.create(
            actor=actor, patient_id=patient_id, draft=body.to_draft(), idempotency=claim
        )
        return _render(task, 201)

    async def rebuild(task_id: str) -> Response:
        return _render(await tasks.get(actor=actor, patient_id=patient_id, item_id=task_id), 201)

    return await idempotent(
        request, store=store, actor=actor, key=idempotency_key, run=run, rebuild=rebuild
    )


@router.get("", response_model=TaskPage)
async def list_tasks(
    actor: CurrentActor,
    tasks: Tasks,
    patient_id: str,
    status: Annotated[list[TaskStatus] | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """The patient's tasks, newest first, optionally of some statuses."""
    page = await tasks.list_for_patient(
        actor=actor,
        patient_id=patient_id,
        statuses=None if not status else {s.value for s in status},
        cursor=cursor,
        limit=limit,
    )
    return json_response(page_json(page, task_json))


@router.get("/{task_id}", response_model=TaskRead, responses=NOT_MODIFIED)
async def read_task(
    actor: CurrentActor,
    tasks: Tasks,
    patient_id: str,
    task_id: str,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One task; the ETag is its version (304 when If-None-Match names it)."""
    task = await tasks.get(actor=actor, patient_id=patient_id, item_id=task_id)
    return conditional(_render(task), if_none_match)


@router.patch(
    "/{task_id}",
    response_model=TaskRead,
    responses=error_responses(403, 409, 412, 428),
)
async def change_task(
    actor: CurrentActor,
    tasks: Tasks,
    patient_id: str,
    task_id: str,
    body: TaskUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Change the task's status, assignee or due time (JSON merge-patch; If-Match
    required). A closed task (done, cancelled) stays closed."""
    changes = body.to_changes()
    version = version_from_if_match(if_match)
    task = await tasks.change(
        actor=actor, patient_id=patient_id, task_id=task_id, changes=changes, if_version=version
    )
    return _render(task)


@router.get("/{task_id}/history", response_model=TaskHistory)
async def task_history(
    actor: CurrentActor, tasks: Tasks, patient_id: str, task_id: str
) -> Response:
    """Every version of the task, oldest first, with who changed it and when."""
    revisions = await tasks.history(actor=actor, patient_id=patient_id, item_id=task_id)
    return json_response(history_json(revisions, "task", task_json))


@assigned.get("/tasks", response_model=TaskPage, responses=error_responses(403, 422))
async def tasks_of_assignee(
    actor: CurrentActor,
    tasks: Tasks,
    assignee: Annotated[
        str, Query(max_length=64, description="`me`, or (admins) a user's id")
    ] = ME,
    status: Annotated[list[TaskStatus] | None, Query()] = None,
    due_before: Annotated[
        QueryMoment | None, Query(alias="dueBefore", description="Due strictly before")
    ] = None,
    overdue: Annotated[bool, Query(description="Only open tasks already due")] = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """A user's tasks across patients, soonest due first (those without a due time
    last); each patient they touch is audited."""
    page = await tasks.assigned(
        actor=actor,
        assignee=assignee,
        statuses=status or (),
        due_before=None if due_before is None else utc(due_before),
        overdue=overdue,
        cursor=cursor,
        limit=limit,
    )
    return json_response(page_json(page, task_json))
