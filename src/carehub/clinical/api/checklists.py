"""HTTP routes for checklist templates and a patient's checklists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from carehub.clinical.api.item_http import (
    Cursor,
    IdempotencyKey,
    Limit,
    OptionalIfMatch,
    item_response,
    optional_version,
    page_json,
)
from carehub.clinical.checklists import Checklist, ChecklistStatus, ChecklistTemplate
from carehub.clinical.schemas.checklists import (
    ChecklistCreate,
    ChecklistHistory,
    ChecklistPage,
    ChecklistRead,
    ChecklistTemplateCreate,
    ChecklistTemplateList,
    ChecklistTemplateRead,
    checklist_json,
    template_json,
)
from carehub.clinical.schemas.item_wire import ReasonRequest, history_json
from carehub.clinical.service.checklists import ChecklistService
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.pagination import DEFAULT_LIMIT
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.etag import NOT_MODIFIED, IfNoneMatch, conditional
from carehub.web.idempotency import Idempotency, idempotent
from carehub.web.problems import error_responses
from carehub.web.wire import json_response

templates = APIRouter(
    prefix="/checklist-templates",
    tags=["checklists"],
    dependencies=REQUIRE_TOKEN,
    responses=error_responses(401, 422),
)
router = APIRouter(
    prefix="/patients/{patient_id}/checklists",
    tags=["checklists"],
    dependencies=REQUIRE_TOKEN,
    responses=error_responses(401, 404, 422),
)
Checklists = Annotated[ChecklistService, Depends(use_case(ChecklistService))]


def _template(template: ChecklistTemplate, status: int = 200) -> Response:
    # A template never changes once defined: each is at its first version.
    location = f"/checklist-templates/{template.id}" if status == 201 else None
    return item_response(template_json(template), 1, status, location)


def _render(checklist: Checklist, status: int = 200) -> Response:
    location = None
    if status == 201:
        location = f"/patients/{checklist.patient_id}/checklists/{checklist.id}"
    return item_response(checklist_json(checklist), checklist.version, status, location)


@templates.get("", response_model=ChecklistTemplateList)
async def list_templates(checklists: Checklists) -> Response:
    """Every checklist template: the shipped ones (`builtIn`) first, then those admins
    defined."""
    found = await checklists.templates()
    return json_response({"items": [template_json(t) for t in found]})


@templates.post(
    "",
    status_code=201,
    response_model=ChecklistTemplateRead,
    responses=error_responses(403, 409),
)
async def define_template(
    request: Request,
    actor: CurrentActor,
    checklists: Checklists,
    store: Idempotency,
    body: ChecklistTemplateCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Define a checklist template (admins): sections of items, each required or not.
    Templates are never changed: define a new one instead."""

    async def run(claim: IdempotencyClaim | None) -> Response:
        template = await checklists.define_template(
            actor=actor, name=body.name, sections=body.to_sections(), template_id=body.id
        )
        return _template(template, 201)

    async def rebuild(template_id: str) -> Response:
        return _template(await checklists.template(template_id=template_id), 201)

    return await idempotent(
        request, store=store, actor=actor, key=idempotency_key, run=run, rebuild=rebuild
    )


@templates.get(
    "/{template_id}", response_model=ChecklistTemplateRead, responses=error_responses(404)
)
async def read_template(checklists: Checklists, template_id: str) -> Response:
    """One checklist template."""
    return _template(await checklists.template(template_id=template_id))


@router.post("", status_code=201, response_model=ChecklistRead, responses=error_responses(403, 409))
async def start_checklist(
    request: Request,
    actor: CurrentActor,
    checklists: Checklists,
    store: Idempotency,
    patient_id: str,
    body: ChecklistCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Start a checklist for the patient from a template."""

    async def run(claim: IdempotencyClaim | None) -> Response:
        checklist = await checklists.start(
            actor=actor, patient_id=patient_id, template_id=body.template_id, idempotency=claim
        )
        return _render(checklist, 201)

    async def rebuild(checklist_id: str) -> Response:
        found = await checklists.get(actor=actor, patient_id=patient_id, item_id=checklist_id)
        return _render(found, 201)

    return await idempotent(
        request, store=store, actor=actor, key=idempotency_key, run=run, rebuild=rebuild
    )


@router.get("", response_model=ChecklistPage)
async def list_checklists(
    actor: CurrentActor,
    checklists: Checklists,
    patient_id: str,
    status: ChecklistStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """The patient's checklists, newest first."""
    page = await checklists.list_for_patient(
        actor=actor,
        patient_id=patient_id,
        statuses=None if status is None else {status.value},
        cursor=cursor,
        limit=limit,
    )
    return json_response(page_json(page, checklist_json))


@router.get("/{checklist_id}", response_model=ChecklistRead, responses=NOT_MODIFIED)
async def read_checklist(
    actor: CurrentActor,
    checklists: Checklists,
    patient_id: str,
    checklist_id: str,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One checklist with the state of each item; the ETag is its version (304 when
    If-None-Match names it)."""
    checklist = await checklists.get(actor=actor, patient_id=patient_id, item_id=checklist_id)
    return conditional(_render(checklist), if_none_match)


@router.post(
    "/{checklist_id}/items/{item_id}/check",
    response_model=ChecklistRead,
    responses=error_responses(403, 409, 412),
)
async def check_item(
    actor: CurrentActor,
    checklists: Checklists,
    patient_id: str,
    checklist_id: str,
    item_id: str,
    if_match: OptionalIfMatch = None,
) -> Response:
    """Check an item; the last required one completes the checklist, which is read-only
    from then on (409). Without If-Match, checks made at the same time are all kept."""
    checklist = await checklists.check(
        actor=actor,
        patient_id=patient_id,
        checklist_id=checklist_id,
        item_id=item_id,
        if_version=optional_version(if_match),
    )
    return _render(checklist)


@router.post(
    "/{checklist_id}/items/{item_id}/uncheck",
    response_model=ChecklistRead,
    responses=error_responses(403, 409, 412),
)
async def uncheck_item(
    actor: CurrentActor,
    checklists: Checklists,
    patient_id: str,
    checklist_id: str,
    item_id: str,
    body: ReasonRequest,
    if_match: OptionalIfMatch = None,
) -> Response:
    """Uncheck an item, with a reason (not on a completed checklist)."""
    checklist = await checklists.uncheck(
        actor=actor,
        patient_id=patient_id,
        checklist_id=checklist_id,
        item_id=item_id,
        reason=body.reason,
        if_version=optional_version(if_match),
    )
    return _render(checklist)


@router.get("/{checklist_id}/history", response_model=ChecklistHistory)
async def checklist_history(
    actor: CurrentActor, checklists: Checklists, patient_id: str, checklist_id: str
) -> Response:
    """Every version of the checklist, oldest first, with who changed it, when and why."""
    revisions = await checklists.history(actor=actor, patient_id=patient_id, item_id=checklist_id)
    return json_response(history_json(revisions, "checklist", checklist_json))
