"""The Bulk Data kick-offs: `$export` (every patient and the clinics' side), `Group/{id}/
$export` (one country: a Group is a country's patients) and `Patient/$export` (every
patient, their own resources only). Admins only; the export runs off the request, and the
answer (202) names in `Content-Location` where to poll (`export_status.py`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query
from starlette.responses import Response

from carehub.fhir.api.dependencies import PREFIX, FhirBase
from carehub.fhir.api.responses import fhir_errors
from carehub.fhir.bundles import search_url
from carehub.fhir.export.errors import BadExportRequest
from carehub.fhir.export.request import MAX_TYPE_LENGTH, ExportRequest, Level
from carehub.fhir.export.service import FhirExportService
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case

router = APIRouter(
    prefix=PREFIX, tags=["fhir"], dependencies=REQUIRE_TOKEN, responses=fhir_errors(401)
)
Exports = Annotated[FhirExportService, Depends(use_case(FhirExportService))]
Prefer = Annotated[str | None, Header(max_length=200, description="Must include `respond-async`")]
Types = Annotated[
    str | None,
    Query(alias="_type", max_length=MAX_TYPE_LENGTH, description="Resource types, comma-separated"),
]
Since = Annotated[
    str | None,
    Query(alias="_since", max_length=40, description="Only resources changed after this instant"),
]
OutputFormat = Annotated[
    str | None,
    Query(alias="_outputFormat", max_length=64, description="application/fhir+ndjson only"),
]
STATUS_PATH = "bulkstatus"
_ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "Accepted: poll the status URL in Content-Location",
        "headers": {"Content-Location": {"schema": {"type": "string", "format": "uri"}}},
    }
}
_ANSWERS = {**_ACCEPTED, **fhir_errors(400, 403, 422)}


@router.get("/$export", status_code=202, responses=_ANSWERS)
async def export_everything(
    actor: CurrentActor,
    exports: Exports,
    base: FhirBase,
    prefer: Prefer = None,
    types: Types = None,
    since: Since = None,
    output_format: OutputFormat = None,
) -> Response:
    """Export every patient's resources, and the countries and their doctors."""
    sent = _sent(types, since, output_format)
    request = _request(Level.SYSTEM, prefer, None, types, since, output_format)
    return await _kick_off(exports, actor, base, request, search_url(base, "$export", sent))


@router.get(
    "/Group/{group_id}/$export", status_code=202, responses={**_ANSWERS, **fhir_errors(404)}
)
async def export_group(
    actor: CurrentActor,
    exports: Exports,
    base: FhirBase,
    group_id: Annotated[str, Path(max_length=64)],
    prefer: Prefer = None,
    types: Types = None,
    since: Since = None,
    output_format: OutputFormat = None,
) -> Response:
    """Export one country's patients (the Group is the country), its doctors and itself."""
    sent = _sent(types, since, output_format)
    request = _request(Level.GROUP, prefer, group_id, types, since, output_format)
    url = search_url(base, f"Group/{group_id}/$export", sent)
    return await _kick_off(exports, actor, base, request, url)


@router.get("/Patient/$export", status_code=202, responses=_ANSWERS)
async def export_patients(
    actor: CurrentActor,
    exports: Exports,
    base: FhirBase,
    prefer: Prefer = None,
    types: Types = None,
    since: Since = None,
    output_format: OutputFormat = None,
) -> Response:
    """Export every patient's own resources."""
    sent = _sent(types, since, output_format)
    request = _request(Level.PATIENT, prefer, None, types, since, output_format)
    return await _kick_off(exports, actor, base, request, search_url(base, "Patient/$export", sent))


def _request(
    level: Level,
    prefer: str | None,
    group: str | None,
    types: str | None,
    since: str | None,
    output_format: str | None,
) -> ExportRequest:
    if not _respond_async(prefer):
        raise BadExportRequest("Prefer", "must be respond-async: an export runs off the request")
    return ExportRequest.of(
        level, group=group, types=types, since=since, output_format=output_format
    )


def _respond_async(prefer: str | None) -> bool:
    """Whether `Prefer` holds the `respond-async` preference (among others, perhaps)."""
    preferences = (p.split(";", 1)[0].strip().lower() for p in (prefer or "").split(","))
    return "respond-async" in preferences


def _sent(*values: str | None) -> list[tuple[str, str]]:
    names = ("_type", "_since", "_outputFormat")
    return [(name, value) for name, value in zip(names, values, strict=True) if value is not None]


async def _kick_off(
    exports: FhirExportService,
    actor: CurrentActor,
    base: str,
    request: ExportRequest,
    request_url: str,
) -> Response:
    job = await exports.start(actor=actor, request=request, request_url=request_url)
    return Response(status_code=202, headers={"Content-Location": f"{base}/{STATUS_PATH}/{job.id}"})
