"""The answers every route can give whatever it does, added to the OpenAPI document.

Routes declare the problems of their own use case (404, 409, 412, ...); what the app
answers around them is declared here, from what the generated document already knows of
each operation, so no route can forget one:

- 429 on every route: every request counts against its address's budget;
- 401 on every route that requires a bearer token (its `security`);
- 413 on every method whose body the request middleware reads (and caps);
- 400 on every route with a JSON body (it may not parse).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI

from carehub.web.problems import PROBLEM_JSON, problem_description

# The methods whose bodies `RequestContextMiddleware` reads before the route runs.
_BODY_METHODS = frozenset({"post", "put", "patch", "delete"})


# How a part of the API with its own error format declares an answer: status -> entry.
Declared = Callable[[int], dict[str, Any]]


def declare_app_wide_answers(app: FastAPI, formats: Mapping[str, Declared] | None = None) -> None:
    """Make `app`'s OpenAPI document declare the answers no route declares itself, in the
    error format of the paths under each prefix of `formats` (problem details elsewhere)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_app_wide_answers(generate(), formats or {})
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def add_app_wide_answers(
    document: dict[str, Any], formats: Mapping[str, Declared] | None = None
) -> None:
    """Add, in place, each app-wide answer an operation of `document` can give."""
    for path, operations in document.get("paths", {}).items():
        declared = next(
            (d for prefix, d in (formats or {}).items() if path.startswith(prefix)), _problem
        )
        for method, operation in operations.items():
            responses = operation["responses"]
            if declared is not _problem:
                # The app's own default (422 for an undeclared query parameter) is told
                # in that part's format too.
                for status, entry in list(responses.items()):
                    if PROBLEM_JSON in entry.get("content", {}):
                        responses[status] = declared(int(status))
            for status in app_wide_statuses(method, operation):
                responses.setdefault(str(status), declared(status))


def app_wide_statuses(method: str, operation: dict[str, Any]) -> list[int]:
    """The statuses an operation can answer however its route is written."""
    statuses = [429]
    if operation.get("security"):
        statuses.append(401)
    if method in _BODY_METHODS:
        statuses.append(413)
    if any(t.endswith("json") for t in operation.get("requestBody", {}).get("content", {})):
        statuses.append(400)
    return statuses


def _problem(status: int) -> dict[str, Any]:
    return {
        "description": problem_description(status),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
