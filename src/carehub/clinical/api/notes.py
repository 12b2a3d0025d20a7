"""HTTP routes for clinical notes."""

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
from carehub.clinical.notes import Note, NoteStatus
from carehub.clinical.schemas.item_wire import history_json
from carehub.clinical.schemas.notes import (
    AmendmentCreate,
    EnteredInErrorRequest,
    NoteCreate,
    NoteHistory,
    NotePage,
    NoteRead,
    note_json,
)
from carehub.clinical.service.notes import SHOWN_BY_DEFAULT, NoteService
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.pagination import DEFAULT_LIMIT
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.etag import NOT_MODIFIED, IfNoneMatch, conditional, version_from_if_match
from carehub.web.idempotency import Idempotency, idempotent
from carehub.web.problems import error_responses
from carehub.web.wire import json_response

router = APIRouter(
    prefix="/patients/{patient_id}/notes",
    tags=["notes"],
    dependencies=REQUIRE_TOKEN,
    responses=error_responses(401, 404, 422),
)
Notes = Annotated[NoteService, Depends(use_case(NoteService))]


def _render(note: Note, status: int = 200) -> Response:
    location = f"/patients/{note.patient_id}/notes/{note.id}" if status == 201 else None
    return item_response(note_json(note), note.version, status, location)


@router.post("", status_code=201, response_model=NoteRead, responses=error_responses(403, 409))
async def write_note(
    request: Request,
    actor: CurrentActor,
    notes: Notes,
    store: Idempotency,
    patient_id: str,
    body: NoteCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Write a note (free text or SOAP) in the patient's record; you are its author."""

    async def run(claim: IdempotencyClaim | None) -> Response:
        note = await notes.write(
            actor=actor, patient_id=patient_id, draft=body.to_draft(), idempotency=claim
        )
        return _render(note, 201)

    async def rebuild(note_id: str) -> Response:
        return _render(await notes.get(actor=actor, patient_id=patient_id, item_id=note_id), 201)

    return await idempotent(
        request, store=store, actor=actor, key=idempotency_key, run=run, rebuild=rebuild
    )


@router.get("", response_model=NotePage)
async def list_notes(
    actor: CurrentActor,
    notes: Notes,
    patient_id: str,
    status: Annotated[list[NoteStatus] | None, Query()] = None,
    include_entered_in_error: Annotated[
        bool, Query(alias="includeEnteredInError", description="Also notes entered in error")
    ] = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """The patient's notes, newest first; those entered in error only when asked for."""
    statuses: set[str] | None = set(SHOWN_BY_DEFAULT)
    if status:
        statuses = {s.value for s in status}
        if include_entered_in_error:
            statuses.add(NoteStatus.ENTERED_IN_ERROR.value)
    elif include_entered_in_error:
        statuses = None
    page = await notes.list_for_patient(
        actor=actor, patient_id=patient_id, statuses=statuses, cursor=cursor, limit=limit
    )
    return json_response(page_json(page, note_json))


@router.get("/{note_id}", response_model=NoteRead, responses=NOT_MODIFIED)
async def read_note(
    actor: CurrentActor,
    notes: Notes,
    patient_id: str,
    note_id: str,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One note; the ETag is its version (304 when If-None-Match names it)."""
    note = await notes.get(actor=actor, patient_id=patient_id, item_id=note_id)
    return conditional(_render(note), if_none_match)


@router.post(
    "/{note_id}/amendments",
    response_model=NoteRead,
    responses=error_responses(403, 409, 412, 428),
)
async def amend_note(
    actor: CurrentActor,
    notes: Notes,
    patient_id: str,
    note_id: str,
    body: AmendmentCreate,
    if_match: IfMatch = None,
) -> Response:
    """Replace the note's text (its author or an admin; If-Match and a reason required);
    the earlier text stays in its history."""
    version = version_from_if_match(if_match)
    note = await notes.amend(
        actor=actor,
        patient_id=patient_id,
        note_id=note_id,
        content=body.content(),
        reason=body.reason,
        if_version=version,
    )
    return _render(note)


@router.post(
    "/{note_id}/entered-in-error",
    response_model=NoteRead,
    responses=error_responses(403, 409, 412, 428),
)
async def enter_note_in_error(
    actor: CurrentActor,
    notes: Notes,
    patient_id: str,
    note_id: str,
    body: EnteredInErrorRequest,
    if_match: IfMatch = None,
) -> Response:
    """Mark the note as written in error (its author or an admin, with a reason): hidden
    from default lists, never deleted."""
    version = version_from_if_match(if_match)
    note = await notes.enter_in_error(
        actor=actor, patient_id=patient_id, note_id=note_id, reason=body.reason, if_version=version
    )
    return _render(note)


@router.get("/{note_id}/history", response_model=NoteHistory)
async def note_history(
    actor: CurrentActor, notes: Notes, patient_id: str, note_id: str
) -> Response:
    """Every version of the note, oldest first, with who changed it, when and why."""
    revisions = await notes.history(actor=actor, patient_id=patient_id, item_id=note_id)
    return json_response(history_json(revisions, "note", note_json))
