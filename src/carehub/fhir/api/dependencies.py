"""What every FHIR route needs: the base URL its links are made from."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from carehub.web.dependencies import use_cases_of
from carehub.web.links import PublicOrigin

PREFIX = "/fhir/R4"


async def fhir_base(request: Request) -> str:
    """The FHIR base on the configured public origin, never from the request's Host."""
    return use_cases_of(request).get(PublicOrigin).link(PREFIX)


FhirBase = Annotated[str, Depends(fhir_base)]
