"""HTTP route of the patient timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from carehub.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT
from carehub.timeline.schemas import TYPE_NAMES, TimelinePage, entry_json, entry_types
from carehub.timeline.service import TimelineService
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.problems import error_responses
from carehub.web.times import QueryMoment
from carehub.web.wire import json_response

router = APIRouter(
    tags=["timeline"], dependencies=REQUIRE_TOKEN, responses=error_responses(401, 404, 422)
)
Timeline = Annotated[TimelineService, Depends(use_case(TimelineService))]


@router.get("/patients/{patient_id}/timeline", response_model=TimelinePage)
async def read_timeline(
    actor: CurrentActor,
    timeline: Timeline,
    patient_id: str,
    types: Annotated[
        str | None, Query(max_length=200, description=f"Comma-separated: {TYPE_NAMES}")
    ] = None,
    start: Annotated[
        QueryMoment | None, Query(alias="from", description="RFC 3339 with an offset; included")
    ] = None,
    end: Annotated[
        QueryMoment | None, Query(alias="to", description="RFC 3339 with an offset; included")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Response:
    """Everything about the patient, newest first: registration and changes, appointments,
    documents, notes, medications, tasks and checklists; each entry links to its item."""
    page = await timeline.page(
        actor=actor,
        patient_id=patient_id,
        types=entry_types(types),
        start=start,
        end=end,
        cursor=cursor,
        limit=limit,
    )
    items = [entry_json(entry) for entry in page.items]
    return json_response({"items": items, "nextCursor": page.next_cursor})
