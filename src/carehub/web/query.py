"""Query strings taken as declared: unknown names refused, dates and times in RFC 3339 only.

A misspelt filter must never widen a query: `GET /patients?cuntryId=PE` would otherwise
answer every patient the caller may see. `known_query_parameters` is an app-wide
dependency: it answers 422 naming each query parameter the matched route does not declare
(through any of its dependencies, by alias), and each query or path value that holds a
control character. Each route's names are found once, on its first request that carries a
query string. FastAPI's own docs pages are plain routes outside it (Swagger UI's OAuth
redirect takes whatever its provider sends).
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
from carehub.web.text import ONE_LINE_MESSAGE, is_one_line

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
    """Refuse (422) every query parameter the route does not declare, and every query or
    path value holding a control character (a NUL breaks PostgreSQL's text), naming each."""
    scope = request.scope
    errors = [
        FieldError(name, ONE_LINE_MESSAGE)
        for name, value in scope.get("path_params", {}).items()
        if isinstance(value, str) and not is_one_line(value)
    ]
    if scope.get("query_string"):
        state = request.app.state
        declared: dict[int, frozenset[str]] | None = getattr(state, "query_parameters", None)
        if declared is None:
            declared = state.query_parameters = _declared(request.app)
        allowed = declared.get(id(scope.get("route")), frozenset())
        query = request.query_params
        unknown = [name for name in dict.fromkeys(query) if name not in allowed]
        errors += [FieldError(name, "is not a known parameter") for name in unknown]
        errors += [
            FieldError(name, ONE_LINE_MESSAGE)
            for name in dict.fromkeys(query)
            if name in allowed and not all(is_one_line(v) for v in query.getlist(name))
        ]
    if errors:
        names = ", ".join(dict.fromkeys(e.field for e in errors))
        raise Invalid(f"Invalid parameters: {names}", errors=errors)
