"""`GET /fhir/R4/metadata`: the CapabilityStatement, public like the specification asks."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.responses import Response
from starlette.routing import BaseRoute

from carehub import __version__
from carehub.fhir.api.dependencies import PREFIX, FhirBase
from carehub.fhir.api.responses import fhir_errors, fhir_ok, fhir_response
from carehub.fhir.capability import ServedRoute, capability_statement

router = APIRouter(prefix=PREFIX, tags=["fhir"], responses=fhir_errors(422))
# When the process started: the statement does not change while it runs.
_STARTED = datetime.now(UTC)


@router.get("/metadata", responses=fhir_ok("The server's CapabilityStatement"))
async def capability(request: Request, base: FhirBase) -> Response:
    """What this server implements: resources, interactions, search parameters."""
    statement = getattr(request.app.state, "fhir_capability", None)
    if statement is None:
        routes = list(served_routes(request.app.routes))
        statement = capability_statement(routes, version=__version__, published=_STARTED, base=base)
        request.app.state.fhir_capability = statement
    return fhir_response(statement)


def served_routes(routes: list[BaseRoute]) -> list[ServedRoute]:
    """The app's FHIR routes, as the capability statement reads them."""
    served = []
    for context in iter_route_contexts(routes):
        path = context.path or ""
        if not isinstance(context.original_route, APIRoute) or not path.startswith(PREFIX):
            continue
        query, headers = _parameters(context.dependant)
        conditional = "if-none-exist" in {h.lower() for h in headers}
        for method in sorted(context.methods or ()):
            served.append(ServedRoute(method, path[len(PREFIX) :] or "/", query, conditional))
    return served


def _parameters(dependant: Dependant) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The query and header parameter names of a route and all its dependencies."""
    query: list[str] = []
    headers: list[str] = []
    stack = [dependant]
    while stack:
        current = stack.pop()
        query += [p.alias for p in current.query_params]
        headers += [p.alias for p in current.header_params]
        stack.extend(current.dependencies)
    return tuple(dict.fromkeys(query)), tuple(dict.fromkeys(headers))
