"""RFC 9457 problem details: the one place error kinds become HTTP status codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from carehub.kernel.errors import CarehubError, FieldError, TooMany, Unauthenticated
from carehub.web.schemas import Problem

PROBLEM_JSON = "application/problem+json"
STATUS_BY_KIND = {
    "not-found": 404,
    "conflict": 409,
    "forbidden": 403,
    "invalid": 422,
    "precondition-failed": 412,
    "precondition-required": 428,
    "too-many-requests": 429,
    "payload-too-large": 413,
    "bad-request": 400,
    "unauthenticated": 401,
}
_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
}
log = structlog.get_logger("carehub.http")
INTERNAL_TITLE = "Internal server error"
INTERNAL_DETAIL = "Something went wrong on our side; quote the requestId when reporting it"


class PayloadTooLarge(CarehubError):
    kind = "payload-too-large"
    title = "Payload too large"


class BadRequest(CarehubError):
    kind = "bad-request"
    title = "Bad request"


ProblemRenderer = Callable[
    [Request, int, str, str, list[FieldError], dict[str, str] | None], Response
]
"""Renders an error for a part of the API with its own error format (FHIR's
OperationOutcome): request, status, kind, detail, field errors, headers."""


def render_problems_under(app: FastAPI, prefix: str, renderer: ProblemRenderer) -> None:
    """Errors of requests whose path starts with `prefix` are rendered by `renderer`."""
    renderers: list[tuple[str, ProblemRenderer]] = getattr(app.state, "problem_renderers", [])
    app.state.problem_renderers = [*renderers, (prefix, renderer)]


def renderer_for(request: Request) -> ProblemRenderer | None:
    """The renderer of the part of the API `request` is for; None: problem details."""
    return _renderer_for(request)


def _renderer_for(request: Request) -> ProblemRenderer | None:
    renderers: list[tuple[str, ProblemRenderer]] = getattr(
        request.app.state, "problem_renderers", []
    )
    path = request.url.path
    for prefix, renderer in renderers:
        if path.startswith(prefix):
            return renderer
    return None


def problem_type(kind: str) -> str:
    return f"urn:carehub:problem:{kind}"


def problem_response(
    request: Request | None,
    *,
    status: int,
    kind: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    renderer = None if request is None else _renderer_for(request)
    if renderer is not None and request is not None:
        return renderer(request, status, kind, detail, errors or [], headers)
    body: dict[str, Any] = {
        "type": problem_type(kind),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
        request_id = request.scope.get("state", {}).get("request_id")
        if request_id:
            body["requestId"] = request_id
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def problem_description(status: int) -> str:
    """What the OpenAPI document says of a problem answered with `status`."""
    return _TITLES.get(status, "Error")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems a route can answer with."""
    return {
        status: {
            "model": Problem,
            "description": problem_description(status),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


async def _carehub_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CarehubError)
    status = STATUS_BY_KIND.get(exc.kind, 400)
    headers = None
    if isinstance(exc, TooMany):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, Unauthenticated):
        headers = {"WWW-Authenticate": 'Bearer realm="carehub"'}
    return problem_response(
        request,
        status=status,
        kind=exc.kind,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=headers,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(
            request,
            status=400,
            kind="malformed-json",
            title="Bad request",
            detail="The request body is not valid JSON",
        )
    fields = [FieldError(_field_path(e), _message(e)) for e in errors]
    names = ", ".join(f.field for f in fields)
    return problem_response(
        request,
        status=422,
        kind="invalid",
        title="Invalid input",
        detail=f"Invalid input: {names}",
        errors=fields,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    title = _TITLES.get(status, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    kind = title.lower().replace(" ", "-")
    return problem_response(
        request,
        status=status,
        kind=kind,
        title=title,
        detail=detail,
        headers=dict(exc.headers or {}),
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    # The traceback goes to the log (which carries no bodies); the client gets only an id.
    log.exception("unhandled_error", error_type=type(exc).__name__)
    return problem_response(
        request,
        status=500,
        kind="internal",
        title=INTERNAL_TITLE,
        detail=INTERNAL_DETAIL,
        headers={"Connection": "close"},
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error as application/problem+json."""
    app.add_exception_handler(CarehubError, _carehub_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def _field_path(error: Any) -> str:
    loc = [
        str(part)
        for part in error.get("loc", ())
        if part not in ("body", "query", "path", "header")
    ]
    # Union members show up as their type name in pydantic's location; hide them.
    loc = [p for p in loc if not _is_type_tag(p)]
    path = ""
    for part in loc:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path or "body"


def _is_type_tag(part: str) -> bool:
    # "PatientWrite", "str", "constrained-str", "function-after[name(), constrained-str]"
    return part[:1].isupper() or part in ("str", "int") or "[" in part or part.endswith("-str")


def _message(error: Any) -> str:
    if error.get("type") == "extra_forbidden":
        return "is not a known field"
    if error.get("type") == "missing":
        return "is required"
    return str(error.get("msg", "is not valid"))
