"""The Bulk Data kick-offs: `$export` (every patient and the clinics' side), `Group/{id}/
$export` (one country: a Group is a country's patients) and `Patient/$export` (every
patient, their own resources only). Admins only; the export runs off the request, and the
answer (202) names in `Content-Location` where to poll (`export_status.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query
from starlette.responses import Response

from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.responses import fhir_errors
from carehub.fhir.bundles import search_url
from carehub.fhir.export.errors import BadExportRequest
from carehub.fhir.export.request import MAX_TYPE_LENGTH, ExportRequest, Level
from carehub.fhir.export.service import FhirExportService
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import use_case

router = fhir_router()
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


@dataclass(frozen=True)
class Asked:
    """What every kick-off takes: `Prefer`, `_type`, `_since` and `_outputFormat`."""

    prefer: str | None
    types: str | None
    since: str | None
    output_format: str | None

    def request(self, level: Level, group: str | None = None) -> ExportRequest:
        if not _respond_async(self.prefer):
            raise BadExportRequest(
                "Prefer", "must be respond-async: an export runs off the request"
            )
        return ExportRequest.of(
            level, group=group, types=self.types, since=self.since, output_format=self.output_format
        )

    def url(self, base: str, path: str) -> str:
        """The kick-off as it was asked, for the manifest's `request`."""
        sent = zip(
            ("_type", "_since", "_outputFormat"),
            (self.types, self.since, self.output_format),
            strict=True,
        )
        return search_url(base, path, [(name, value) for name, value in sent if value is not None])


async def asked(
    prefer: Prefer = None,
    types: Types = None,
    since: Since = None,
    output_format: OutputFormat = None,
) -> Asked:
    return Asked(prefer, types, since, output_format)


Ask = Annotated[Asked, Depends(asked)]


@router.get("/$export", status_code=202, responses=_ANSWERS)
async def export_everything(
    actor: CurrentActor, exports: Exports, base: FhirBase, ask: Ask
) -> Response:
    """Export every patient's resources, and the countries and their doctors."""
    request = ask.request(Level.SYSTEM)
    return await _kick_off(exports, actor, base, request, ask.url(base, "$export"))


@router.get(
    "/Group/{group_id}/$export", status_code=202, responses={**_ANSWERS, **fhir_errors(404)}
)
async def export_group(
    actor: CurrentActor,
    exports: Exports,
    base: FhirBase,
    ask: Ask,
    group_id: Annotated[str, Path(max_length=64)],
) -> Response:
    """Export one country's patients (the Group is the country), its doctors and itself."""
    request = ask.request(Level.GROUP, group_id)
    return await _kick_off(
        exports, actor, base, request, ask.url(base, f"Group/{group_id}/$export")
    )


@router.get("/Patient/$export", status_code=202, responses=_ANSWERS)
async def export_patients(
    actor: CurrentActor, exports: Exports, base: FhirBase, ask: Ask
) -> Response:
    """Export every patient's own resources."""
    request = ask.request(Level.PATIENT)
    return await _kick_off(exports, actor, base, request, ask.url(base, "Patient/$export"))


def _respond_async(prefer: str | None) -> bool:
    """Whether `Prefer` holds the `respond-async` preference (among others, perhaps)."""
    preferences = (p.split(";", 1)[0].strip().lower() for p in (prefer or "").split(","))
    return "respond-async" in preferences


async def _kick_off(
    exports: FhirExportService,
    actor: CurrentActor,
    base: str,
    request: ExportRequest,
    request_url: str,
) -> Response:
    job = await exports.start(actor=actor, request=request, request_url=request_url)
    return Response(status_code=202, headers={"Content-Location": f"{base}/{STATUS_PATH}/{job.id}"})
