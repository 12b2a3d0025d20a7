"""The answers every route can give whatever it does, added to the OpenAPI document.

Routes declare the problems of their own use case (404, 409, 412, ...); what the app
answers around them is declared here, from what the generated document already knows of
each operation, so no route can forget one:

- 429 on every route: every request counts against its address's budget;
- 401 on every route that requires a bearer token (its `security`);
- 413 on every method whose body the request middleware reads (and caps);
- 400 on every route with a JSON body (it may not parse).

Under the FHIR base every one of them is an OperationOutcome in `application/fhir+json`
(`carehub.fhir.api` renders them so), and is declared so.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from carehub.fhir.api.dependencies import PREFIX as FHIR_PREFIX
from carehub.fhir.api.responses import fhir_errors
from carehub.web.problems import PROBLEM_JSON, problem_description

# The methods whose bodies `RequestContextMiddleware` reads before the route runs.
_BODY_METHODS = frozenset({"post", "put", "patch", "delete"})


def declare_app_wide_answers(app: FastAPI) -> None:
    """Make `app`'s OpenAPI document declare the answers no route declares itself."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_app_wide_answers(generate())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def add_app_wide_answers(document: dict[str, Any]) -> None:
    """Add, in place, each app-wide answer an operation of `document` can give."""
    for path, operations in document.get("paths", {}).items():
        declare = fhir_errors if path.startswith(f"{FHIR_PREFIX}/") else _problems
        for method, operation in operations.items():
            for status in app_wide_statuses(method, operation):
                operation["responses"].setdefault(str(status), declare(status)[status])


def app_wide_statuses(method: str, operation: dict[str, Any]) -> list[int]:
    """The statuses an operation can answer however its route is written."""
    statuses = [429]
    if operation.get("security"):
        statuses.append(401)
    if method in _BODY_METHODS:
        statuses.append(413)
    content = operation.get("requestBody", {}).get("content", {})
    if any(media == "application/json" or media.endswith("+json") for media in content):
        statuses.append(400)
    return statuses


def _problems(status: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": problem_description(status),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    }
