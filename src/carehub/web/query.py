"""Query strings taken as declared: unknown names refused, dates and times in RFC 3339 only.

A misspelt filter must never widen a query: `GET /patients?cuntryId=PE` would otherwise
answer every patient the caller may see. `known_query_parameters` is an app-wide
dependency: it answers 422 naming each query parameter the matched route does not declare
(through any of its dependencies, by alias). Each route's names are found once, on its first
request that carries a query string.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from carehub.kernel.errors import FieldError, Invalid

_RFC3339_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RFC3339_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
)


def _rfc3339_date(value: Any) -> Any:
    if isinstance(value, str) and _RFC3339_DATE.fullmatch(value):
        return value
    raise PydanticCustomError("rfc3339_date", "must be an RFC 3339 date (YYYY-MM-DD)")


def _rfc3339_date_time(value: Any) -> Any:
    if isinstance(value, str) and _RFC3339_DATE_TIME.fullmatch(value):
        return value
    raise PydanticCustomError(
        "rfc3339_date_time", "must be an RFC 3339 date-time with an offset (2030-01-31T09:00:00Z)"
    )


QueryDate = Annotated[date, BeforeValidator(_rfc3339_date)]
"""A date in a query string: `YYYY-MM-DD` only (no timestamps, no other layouts)."""
QueryDateTime = Annotated[datetime, BeforeValidator(_rfc3339_date_time)]
"""A date-time in a query string: RFC 3339 with an offset only (no numbers, no naive times)."""


def _declared(app: FastAPI) -> dict[int, frozenset[str]]:
    """The query parameter names of each route, by the id of the route (routes are not
    hashable; the app keeps them alive as long as this map)."""
    declared: dict[int, frozenset[str]] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            found = {param.alias for param in get_flat_params(context.dependant)}
            # A route included twice answers for the names of either inclusion.
            declared[id(route)] = declared.get(id(route), frozenset()) | found
    return declared


async def known_query_parameters(request: Request) -> None:
    """Refuse (422) every query parameter the route does not declare, naming each."""
    if not request.scope.get("query_string"):
        return
    state = request.app.state
    declared: dict[int, frozenset[str]] | None = getattr(state, "query_parameters", None)
    if declared is None:
        declared = state.query_parameters = _declared(request.app)
    allowed = declared.get(id(request.scope.get("route")), frozenset())
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in allowed]
    if unknown:
        raise Invalid(
            f"Unknown query parameters: {', '.join(unknown)}",
            errors=[FieldError(name, "is not a known parameter") for name in unknown],
        )
