"""HTTP routes for dead letters (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from carehub.events.schemas import DeadLetterPage, DeadLetterRead
from carehub.events.service import DeadLetterService
from carehub.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.problems import error_responses

router = APIRouter(
    prefix="/events", tags=["events"], dependencies=REQUIRE_TOKEN, responses=error_responses(401)
)
DeadLetters = Annotated[DeadLetterService, Depends(use_case(DeadLetterService))]


@router.get("/dead-letters", response_model=DeadLetterPage, responses=error_responses(403, 422))
async def list_dead_letters(
    actor: CurrentActor,
    dead_letters: DeadLetters,
    consumer: Annotated[str | None, Query(max_length=64)] = None,
    include_replayed: Annotated[bool, Query(alias="includeReplayed")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> DeadLetterPage:
    """Messages consumers gave up on, newest first, with their last error."""
    page = await dead_letters.list(
        actor=actor,
        consumer=consumer,
        include_replayed=include_replayed,
        cursor=cursor,
        limit=limit,
    )
    return DeadLetterPage(
        items=[DeadLetterRead.of(letter) for letter in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/dead-letters/{letter_id}/replay",
    response_model=DeadLetterRead,
    responses=error_responses(403, 404, 409, 422),
)
async def replay_dead_letter(
    actor: CurrentActor, dead_letters: DeadLetters, letter_id: str
) -> DeadLetterRead:
    """Apply a parked message with its consumer again; 409 if it fails again or was
    already replayed."""
    letter = await dead_letters.replay(actor=actor, letter_id=letter_id)
    return DeadLetterRead.of(letter)
