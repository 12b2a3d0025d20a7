"""HTTP routes for the audit trail (admins) and a patient's own access log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from carehub.audit.ports import AuditFilter
from carehub.audit.schemas import AccessLogEntryRead, AccessLogPage, AuditEntryRead, AuditPage
from carehub.audit.service import AuditService
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.problems import error_responses
from carehub.web.query import QueryDateTime

router = APIRouter(tags=["audit"], dependencies=REQUIRE_TOKEN, responses=error_responses(401))
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=512)]
Audit = Annotated[AuditService, Depends(use_case(AuditService))]


@router.get("/audit", response_model=AuditPage, responses=error_responses(403, 422))
async def search_audit(
    actor: CurrentActor,
    audit: Audit,
    patient_id: Annotated[str | None, Query(alias="patientId", max_length=64)] = None,
    actor_id: Annotated[str | None, Query(alias="actorId", max_length=128)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[QueryDateTime | None, Query(alias="from")] = None,
    until: Annotated[QueryDateTime | None, Query(alias="to")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """The audit trail, newest first (admins). `from`/`to` are RFC 3339 times with offset."""
    criteria = AuditFilter(
        patient_id=patient_id,
        actor_id=actor_id,
        action=action,
        since=_utc("from", since),
        until=_utc("to", until),
    )
    page = await audit.search(actor=actor, criteria=criteria, cursor=cursor, limit=limit)
    body = AuditPage(items=[AuditEntryRead.of(e) for e in page.items], next_cursor=page.next_cursor)
    return Response(body.model_dump_json(by_alias=True), media_type="application/json")


@router.get(
    "/patients/{patient_id}/access-log",
    response_model=AccessLogPage,
    responses=error_responses(404, 422),
)
async def access_log(
    actor: CurrentActor,
    audit: Audit,
    patient_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Who accessed this patient's record, when and what they did (the patient, admins)."""
    page = await audit.access_log(actor=actor, patient_id=patient_id, cursor=cursor, limit=limit)
    body = AccessLogPage(
        items=[AccessLogEntryRead.of(e) for e in page.items], next_cursor=page.next_cursor
    )
    return Response(body.model_dump_json(by_alias=True), media_type="application/json")


def _utc(field: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise Invalid(f"{field} needs a UTC offset", errors=[FieldError(field, "needs an offset")])
    return value.astimezone(UTC)
