"""`/fhir/R4/AuditEvent`: the audit trail, read-only and for admins only, as the native
`/audit` is (read an entry by its place in the trail; search by `patient` and `date`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query
from starlette.responses import Response

from carehub.audit.ports import AuditFilter
from carehub.audit.service import AuditService
from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.paging import search_response
from carehub.fhir.api.parameters import Count, Cursor, DateParam, ResourceId
from carehub.fhir.api.responses import fhir_errors, fhir_ok, fhir_response
from carehub.fhir.resources.audit_event import audit_event_resource, parse_audit_event_id
from carehub.fhir.search_params import (
    DateRange,
    count_of,
    date_ranges,
    reference_id,
)
from carehub.kernel.errors import NotFound
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import AppClock, use_case

TYPE = "AuditEvent"
router = fhir_router(f"/{TYPE}", 403, 422)
Audit = Annotated[AuditService, Depends(use_case(AuditService))]
PatientReference = Annotated[str | None, Query(max_length=80, description="Patient/id or id")]


class AuditEventNotFound(NotFound):
    def __init__(self, event_id: str) -> None:
        super().__init__(f"AuditEvent {event_id} does not exist")


@router.get("/{event_id}", responses={**fhir_ok("An AuditEvent"), **fhir_errors(404)})
async def read_audit_event(actor: CurrentActor, audit: Audit, event_id: ResourceId) -> Response:
    """One entry of the trail (`{shard}.{seq}`), admins only."""
    place = parse_audit_event_id(event_id)
    if place is None:
        raise AuditEventNotFound(event_id)
    entry = await audit.entry(actor=actor, shard=place[0], seq=place[1])
    return fhir_response(audit_event_resource(entry))


@router.get("", responses=fhir_ok("A searchset Bundle of AuditEvents"))
async def search_audit_events(
    actor: CurrentActor,
    audit: Audit,
    clock: AppClock,
    base: FhirBase,
    patient: PatientReference = None,
    date: DateParam = None,
    count: Count = None,
    cursor: Cursor = None,
) -> Response:
    """The trail, newest first (admins): entries about one `patient`, within `date`."""
    ranges = date_ranges("date", date)
    since, until = _window(ranges)
    criteria = AuditFilter(
        patient_id=None if patient is None else reference_id("patient", patient, "Patient"),
        since=since,
        until=until,
    )
    limit = count_of(count)
    page = await audit.search(actor=actor, criteria=criteria, cursor=cursor, limit=limit)
    matches = [e for e in page.items if all(r.admits(e.at) for r in ranges)]
    sent = [] if patient is None else [("patient", patient)]
    return search_response(
        base=base,
        path=TYPE,
        parameters=sent + [("date", d) for d in date or []],
        count=limit,
        cursor=cursor,
        next_cursor=page.next_cursor,
        matches=[audit_event_resource(e) for e in matches],
        clock=clock,
    )


def _window(ranges: list[DateRange]) -> tuple[datetime | None, datetime | None]:
    """The narrowest window `[since, until)` the trail's index is asked for; each range is
    still checked on the entries (`ne` asks for everything)."""
    lows = [low for low, _ in (r.bounds() for r in ranges) if low is not None]
    highs = [high for _, high in (r.bounds() for r in ranges) if high is not None]
    return max(lows, default=None), min(highs, default=None)
