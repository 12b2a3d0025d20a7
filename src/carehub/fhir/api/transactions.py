"""`POST /fhir/R4`: a transaction or batch Bundle, through the same importer as
`carehub import fhir` (and so through the use cases, with their gate, audit and events).

A transaction answers a `transaction-response` with every entry's outcome, or one
OperationOutcome for the entry that failed it (nothing is written). A batch answers a
`batch-response`: each entry's outcome, failures with their own OperationOutcome.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends
from starlette.responses import Response

from carehub.fhir.api.dependencies import fhir_router
from carehub.fhir.api.responses import fhir_errors, fhir_ok, fhir_response
from carehub.fhir.import_report import EntryOutcome, EntryStatus, ImportReport
from carehub.fhir.importer import FhirImporter
from carehub.fhir.outcome import information, operation_outcome
from carehub.fhir.wire import FHIR_JSON, instant
from carehub.kernel.clock import Clock
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import AppClock, use_case
from carehub.web.problems import STATUS_BY_KIND, problem_description

router = fhir_router()
Importer = Annotated[FhirImporter, Depends(use_case(FhirImporter))]
_BUNDLE = {"type": "object", "description": "A FHIR R4 Bundle of type transaction or batch"}


@router.post(
    "",
    responses={
        **fhir_ok("A transaction-response or batch-response Bundle"),
        **fhir_errors(400, 403, 404, 409, 412, 422),
    },
    openapi_extra={"requestBody": {"required": True, "content": {FHIR_JSON: {"schema": _BUNDLE}}}},
)
async def transaction_or_batch(
    actor: CurrentActor,
    importer: Importer,
    clock: AppClock,
    bundle: Annotated[dict[str, Any], Body(media_type=FHIR_JSON)],
) -> Response:
    """Process a transaction (all or nothing) or a batch (each entry on its own) Bundle.
    Entries may refer to each other by `urn:uuid:` and to stored records by conditional
    references (`Practitioner?identifier=system|value`)."""
    report = await importer.import_bundle(bundle, actor=actor)
    return fhir_response(response_bundle(report, clock))


def response_bundle(report: ImportReport, clock: Clock) -> dict[str, Any]:
    """The `transaction-response` or `batch-response` of an import, in entry order."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": f"{report.bundle_type}-response",
        "timestamp": instant(clock.now()),
    }
    if report.entries:
        bundle["entry"] = [{"response": _response(o)} for o in report.entries]
    return bundle


def _response(outcome: EntryOutcome) -> dict[str, Any]:
    if outcome.status is EntryStatus.FAILED and outcome.error is not None:
        error = outcome.error
        status = STATUS_BY_KIND.get(error.kind, 400)
        return {
            "status": f"{status} {problem_description(status)}",
            "outcome": operation_outcome(error.kind, error.detail, error.errors),
        }
    found: dict[str, Any] = {
        "status": "201 Created" if outcome.status is EntryStatus.IMPORTED else "200 OK"
    }
    if outcome.location:
        found["location"] = outcome.location
    notes = []
    if outcome.reason:
        notes.append(f"{outcome.status.value}: {outcome.reason}")
    elif outcome.status is not EntryStatus.IMPORTED:
        notes.append(outcome.status.value)
    notes += [f"{name} is not kept by carehub" for name in outcome.not_kept]
    if notes:
        found["outcome"] = {"resourceType": "OperationOutcome", "issue": information(notes)}
    return found
