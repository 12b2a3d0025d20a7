"""What every FHIR route needs: the base URL its links are made from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from carehub.fhir.api.responses import fhir_errors
from carehub.web.actor import REQUIRE_TOKEN
from carehub.web.dependencies import use_cases_of
from carehub.web.links import PublicOrigin

PREFIX = "/fhir/R4"


async def fhir_base(request: Request) -> str:
    """The FHIR base on the configured public origin, never from the request's Host."""
    return use_cases_of(request).get(PublicOrigin).link(PREFIX)


FhirBase = Annotated[str, Depends(fhir_base)]


def fhir_router(path: str = "", *answers: int) -> APIRouter:
    """The router of FHIR routes under `PREFIX + path`: each needs a bearer token (a refused
    one is a 401 OperationOutcome) and may answer `answers` too."""
    return APIRouter(
        prefix=f"{PREFIX}{path}",
        tags=["fhir"],
        dependencies=REQUIRE_TOKEN,
        responses=fhir_errors(401, *answers),
    )
