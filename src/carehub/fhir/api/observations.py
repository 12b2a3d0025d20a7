"""`/fhir/R4/Observation`: a patient's checklists, each a panel and one Observation per
item, through the checklist use cases (read, search)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from starlette.responses import Response

from carehub.clinical.service.checklists import ChecklistService
from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.paging import search_response
from carehub.fhir.api.parameters import Count, Cursor, PatientParam, ResourceId
from carehub.fhir.api.responses import fhir_errors, fhir_ok, versioned_response
from carehub.fhir.chained_pages import Source, StorePage, chained_page
from carehub.fhir.resources.observation import checklist_observations, parse_observation_id
from carehub.fhir.search_params import count_of, searched_patient
from carehub.kernel.errors import NotFound
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import AppClock, use_case

TYPE = "Observation"
# Checklists read a page: each is up to a hundred and one Observations.
CHECKLISTS_A_PAGE = 5
router = fhir_router(f"/{TYPE}", 422)
Checklists = Annotated[ChecklistService, Depends(use_case(ChecklistService))]


class ObservationNotFound(NotFound):
    def __init__(self, observation_id: str) -> None:
        super().__init__(f"Observation {observation_id} does not exist")


@router.get("/{observation_id}", responses={**fhir_ok("An Observation"), **fhir_errors(404)})
async def read_observation(
    actor: CurrentActor, checklists: Checklists, observation_id: ResourceId
) -> Response:
    """A checklist's panel (the checklist's id) or one of its items (`{id}.{n}`); the ETag
    is the checklist's version."""
    named = parse_observation_id(observation_id)
    if named is None:
        raise ObservationNotFound(observation_id)
    checklist_id, position = named
    checklist = await checklists.get_by_id(actor=actor, item_id=checklist_id)
    observations = checklist_observations(checklist)
    if position is not None and position >= len(observations):
        raise ObservationNotFound(observation_id)
    return versioned_response(observations[position or 0], checklist.version)


@router.get("", responses={**fhir_ok("A searchset Bundle of Observations"), **fhir_errors(404)})
async def search_observations(
    actor: CurrentActor,
    checklists: Checklists,
    clock: AppClock,
    base: FhirBase,
    patient: PatientParam = None,
    count: Count = None,
    cursor: Cursor = None,
) -> Response:
    """One patient's checklists, newest first, each as its panel then its items."""
    patient_id = searched_patient(actor, patient)

    async def read(store_cursor: str | None, limit: int) -> StorePage[dict[str, Any]]:
        page = await checklists.list_for_patient(
            actor=actor, patient_id=patient_id, statuses=None, cursor=store_cursor, limit=limit
        )
        return [o for c in page.items for o in checklist_observations(c)], page.next_cursor

    limit = count_of(count)
    matches, following = await chained_page([Source(read, CHECKLISTS_A_PAGE)], cursor, limit)
    return search_response(
        base=base,
        path=TYPE,
        parameters=[] if patient is None else [("patient", patient)],
        count=limit,
        cursor=cursor,
        next_cursor=following,
        matches=matches,
        clock=clock,
    )
