"""The `/fhir/R4` routes and their error format."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from carehub.fhir.api import (
    appointment_writes,
    audit_events,
    binaries,
    condition_writes,
    conditions,
    directory,
    document_references,
    export,
    export_status,
    medication_statements,
    metadata,
    observations,
    patient_writes,
    patients,
    provenances,
    scheduling,
    tasks,
    transactions,
)
from carehub.fhir.api.dependencies import PREFIX
from carehub.fhir.api.responses import fhir_error, outcome_response
from carehub.web.prefixed_routes import PrefixedRoutes
from carehub.web.problems import render_problems_under

# The kick-offs before the Patient routes: `Patient/$export` is no patient's id.
ROUTERS: tuple[APIRouter, ...] = (
    metadata.router,
    export.router,
    export_status.router,
    patients.router,
    patient_writes.router,
    conditions.router,
    condition_writes.router,
    medication_statements.router,
    tasks.router,
    observations.router,
    document_references.router,
    binaries.router,
    provenances.router,
    audit_events.router,
    scheduling.router,
    appointment_writes.router,
    directory.router,
    transactions.router,
)


def install_fhir(app: FastAPI) -> None:
    """Serve the FHIR routes on `app`, every error under them an OperationOutcome."""
    first = len(app.router.routes)
    for router in ROUTERS:
        app.include_router(router)
    # Matched before the domains' routes, which a FHIR path would otherwise try in turn.
    app.router.routes.insert(0, PrefixedRoutes(PREFIX, app.router.routes[first:]))
    render_problems_under(app, PREFIX, outcome_response)


# The answers every FHIR route can give around its own (401, 429, ...), declared as
# OperationOutcomes in the OpenAPI document.
APP_WIDE_ANSWERS = {PREFIX: fhir_error}
