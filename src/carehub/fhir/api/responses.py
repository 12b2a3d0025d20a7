"""FHIR answers: `application/fhir+json` bodies, and every error as an OperationOutcome."""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from carehub.fhir.outcome import operation_outcome
from carehub.fhir.wire import FHIR_JSON
from carehub.kernel.errors import FieldError, PreconditionFailed, PreconditionRequired
from carehub.web.problems import problem_description

_VERSION_TAG = re.compile(r'(?:W/)?"(\d{1,12})"')
_OUTCOME_SCHEMA = {
    "type": "object",
    "description": "A FHIR R4 OperationOutcome: one issue per problem found",
    "required": ["resourceType", "issue"],
    "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array"}},
}


def fhir_response(
    resource: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A resource (or Bundle, or OperationOutcome) as FHIR JSON."""
    return Response(
        orjson.dumps(resource), status_code=status, media_type=FHIR_JSON, headers=headers
    )


def versioned_response(
    resource: dict[str, Any], version: int, *, status: int = 200, location: str | None = None
) -> Response:
    """A resource with its version as the ETag (`W/"3"`), and its Location once created."""
    headers = {"ETag": version_tag(version)}
    if location is not None:
        headers["Location"] = location
    return fhir_response(resource, status=status, headers=headers)


def version_tag(version: int) -> str:
    """FHIR's ETag of a version: `W/"<versionId>"`, as `meta.versionId` says it."""
    return f'W/"{version}"'


def version_in(if_match: str | None) -> int:
    """The version an `If-Match` names (`W/"3"`, as `version_tag` writes it): 428 without
    one, 412 when it names none (it cannot be the current version then)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired('Send If-Match with the ETag you last read (W/"n")')
    match = _VERSION_TAG.fullmatch(if_match.strip())
    if match is None:
        raise PreconditionFailed('If-Match does not name a version (W/"n")')
    return int(match.group(1))


def outcome_response(
    request: Request,
    status: int,
    kind: str,
    detail: str,
    errors: list[FieldError],
    headers: dict[str, str] | None,
) -> Response:
    """How every error under `/fhir/R4` is answered (registered with the app's problem
    handlers, so a refused token, a throttled request or an unexpected failure is an
    OperationOutcome too)."""
    return fhir_response(operation_outcome(kind, detail, errors), status=status, headers=headers)


def fhir_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the OperationOutcomes a FHIR route can answer."""
    return {
        status: {
            "description": problem_description(status),
            "content": {FHIR_JSON: {"schema": _OUTCOME_SCHEMA}},
        }
        for status in statuses
    }


def fhir_error(status: int) -> dict[str, Any]:
    """The OpenAPI entry of one OperationOutcome answer."""
    return fhir_errors(status)[status]


def fhir_ok(description: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entry of a FHIR route's success."""
    return {status: {"description": description, "content": {FHIR_JSON: {"schema": {}}}}}
