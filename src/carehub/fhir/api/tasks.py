"""`/fhir/R4/Task`: a patient's medical tasks, through the task use cases (read, every
version, search)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.responses import Response

from carehub.clinical.service.tasks import TaskService
from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.item_versions import VersionId, history_of, version_of
from carehub.fhir.api.paging import search_response
from carehub.fhir.api.parameters import Count, Cursor, PatientParam, ResourceId, TokenParam
from carehub.fhir.api.responses import fhir_errors, fhir_ok, versioned_response
from carehub.fhir.resources.task import TASK_STATUSES
from carehub.fhir.resources.task import task_resource as resource
from carehub.fhir.search_params import codes, count_of, searched_patient
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import AppClock, use_case

TYPE = "Task"
router = fhir_router(f"/{TYPE}", 422)
Tasks = Annotated[TaskService, Depends(use_case(TaskService))]


@router.get("/{task_id}", responses={**fhir_ok("A Task"), **fhir_errors(404)})
async def read_task(actor: CurrentActor, tasks: Tasks, task_id: ResourceId) -> Response:
    """One task; its ETag is `W/"<version>"`."""
    task = await tasks.get_by_id(actor=actor, item_id=task_id)
    return versioned_response(resource(task), task.version)


@router.get(
    "/{task_id}/_history", responses={**fhir_ok("A history Bundle of Tasks"), **fhir_errors(404)}
)
async def task_history(
    actor: CurrentActor, tasks: Tasks, clock: AppClock, base: FhirBase, task_id: ResourceId
) -> Response:
    """Every version of the task, newest first."""
    revisions = await tasks.history_by_id(actor=actor, item_id=task_id)
    return history_of(revisions, resource, base=base, path=f"{TYPE}/{task_id}", clock=clock)


@router.get(
    "/{task_id}/_history/{version}",
    responses={**fhir_ok("One version of a Task"), **fhir_errors(404)},
)
async def read_task_version(
    actor: CurrentActor, tasks: Tasks, task_id: ResourceId, version: VersionId
) -> Response:
    """The task as it stood at one version."""
    revisions = await tasks.history_by_id(actor=actor, item_id=task_id)
    return version_of(revisions, version, resource)


@router.get("", responses={**fhir_ok("A searchset Bundle of Tasks"), **fhir_errors(404)})
async def search_tasks(
    actor: CurrentActor,
    tasks: Tasks,
    clock: AppClock,
    base: FhirBase,
    patient: PatientParam = None,
    status: TokenParam = None,
    count: Count = None,
    cursor: Cursor = None,
) -> Response:
    """One patient's tasks, newest first; `status` is requested, in-progress, completed
    or cancelled."""
    patient_id = searched_patient(actor, patient)
    statuses = None if status is None else {s.value for s in codes("status", status, TASK_STATUSES)}
    limit = count_of(count)
    page = await tasks.list_for_patient(
        actor=actor, patient_id=patient_id, statuses=statuses, cursor=cursor, limit=limit
    )
    sent = [("patient", patient), ("status", status)]
    return search_response(
        base=base,
        path=TYPE,
        parameters=[(k, v) for k, v in sent if v is not None],
        count=limit,
        cursor=cursor,
        next_cursor=page.next_cursor,
        matches=[resource(t) for t in page.items],
        clock=clock,
    )
