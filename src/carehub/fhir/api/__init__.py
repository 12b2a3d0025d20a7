"""The `/fhir/R4` routes and their error format."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from carehub.fhir.api import (
    audit_events,
    document_references,
    medication_statements,
    metadata,
    observations,
    patients,
    provenances,
    tasks,
)
from carehub.fhir.api.dependencies import PREFIX
from carehub.fhir.api.responses import outcome_response
from carehub.web.problems import render_problems_under

ROUTERS: tuple[APIRouter, ...] = (
    metadata.router,
    patients.router,
    medication_statements.router,
    tasks.router,
    observations.router,
    document_references.router,
    provenances.router,
    audit_events.router,
)


def install_fhir(app: FastAPI) -> None:
    """Serve the FHIR routes on `app`, every error under them an OperationOutcome."""
    for router in ROUTERS:
        app.include_router(router)
    render_problems_under(app, f"{PREFIX}/", outcome_response)
