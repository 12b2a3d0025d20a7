"""The `/fhir/R4` routes and their error format."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from carehub.fhir.api import (
    conditions,
    directory,
    export,
    export_status,
    metadata,
    patients,
    scheduling,
)
from carehub.fhir.api.dependencies import PREFIX
from carehub.fhir.api.responses import fhir_error, outcome_response
from carehub.web.problems import render_problems_under

# The kick-offs before the Patient routes: `Patient/$export` is no patient's id.
ROUTERS: tuple[APIRouter, ...] = (
    metadata.router,
    export.router,
    export_status.router,
    patients.router,
    conditions.router,
    scheduling.router,
    directory.router,
)


def install_fhir(app: FastAPI) -> None:
    """Serve the FHIR routes on `app`, every error under them an OperationOutcome."""
    for router in ROUTERS:
        app.include_router(router)
    render_problems_under(app, f"{PREFIX}/", outcome_response)


# The answers every FHIR route can give around its own (401, 429, ...), declared as
# OperationOutcomes in the OpenAPI document.
APP_WIDE_ANSWERS = {f"{PREFIX}/": fhir_error}
