"""HTTP routes for countries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from starlette.responses import Response

from carehub.countries.model import Country
from carehub.countries.schemas import (
    CountryCreate,
    CountryList,
    CountryRead,
    CountryUpdate,
    country_json,
)
from carehub.countries.service import CountryService
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.etag import (
    NOT_MODIFIED,
    IfNoneMatch,
    conditional,
    etag_for,
    version_from_if_match,
)
from carehub.web.problems import error_responses
from carehub.web.wire import json_response

router = APIRouter(
    prefix="/countries",
    tags=["countries"],
    dependencies=REQUIRE_TOKEN,
    responses=error_responses(401),
)
Countries = Annotated[CountryService, Depends(use_case(CountryService))]


def _render(country: Country, status: int = 200) -> Response:
    return json_response(country_json(country), status, {"ETag": etag_for(country.version)})


@router.post(
    "",
    status_code=201,
    response_model=CountryRead,
    responses=error_responses(400, 403, 409, 422),
)
async def create_country(
    actor: CurrentActor, countries: Countries, body: CountryCreate
) -> Response:
    """Add a country (admins); its code's rule set fills in what the body leaves out."""
    country = await countries.create(
        actor=actor,
        country_id=body.country_id,
        code=body.code,
        settings=body.to_settings(),
    )
    response = _render(country, 201)
    response.headers["Location"] = f"/countries/{country.id}"
    return response


@router.get("", response_model=CountryList)
async def list_countries(countries: Countries) -> Response:
    """Every country."""
    found = await countries.list_all()
    return json_response({"items": [country_json(c) for c in found]})


@router.get(
    "/{country_id}",
    response_model=CountryRead,
    responses={**NOT_MODIFIED, **error_responses(404, 422)},
)
async def read_country(
    countries: Countries, country_id: str, if_none_match: IfNoneMatch = None
) -> Response:
    """One country, by its id or its ISO code (304 when If-None-Match names its ETag)."""
    return conditional(_render(await countries.get(country_id=country_id)), if_none_match)


@router.patch(
    "/{country_id}",
    response_model=CountryRead,
    responses=error_responses(400, 403, 404, 412, 422, 428),
)
async def update_country(
    actor: CurrentActor,
    countries: Countries,
    country_id: str,
    body: CountryUpdate,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    """Change a country's settings (admins); needs If-Match with the current ETag."""
    version = version_from_if_match(if_match)
    country = await countries.revise(
        actor=actor,
        country_id=country_id,
        settings=body.to_settings(),
        if_version=version,
    )
    return _render(country)
