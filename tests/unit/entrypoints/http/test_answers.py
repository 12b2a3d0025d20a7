"""The answers every route can give are declared in the app's OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from carehub.config import Settings
from carehub.entrypoints.http.app import create_app
from carehub.fhir.api.responses import fhir_errors

PROBLEM = {"schema": {"$ref": "#/components/schemas/Problem"}}
OUTCOME = fhir_errors(400)[400]["content"]


@pytest.fixture(scope="module")
def operations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every operation of the document, as `METHOD /path` (building the app connects to nothing)."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("openapi")))
    return {
        f"{method.upper()} {path}": operation
        for path, methods in app.openapi()["paths"].items()
        for method, operation in methods.items()
    }


def lacking(operations: dict[str, dict[str, Any]], status: int, which: Any = None) -> list[str]:
    """The operations (those `which` picks, or all) without a problem document for `status`
    (under the FHIR base, an OperationOutcome)."""
    return [
        name
        for name, operation in operations.items()
        if (which is None or which(name, operation))
        and not declares(name, operation["responses"].get(str(status), {}).get("content", {}))
    ]


def declares(name: str, content: dict[str, Any]) -> bool:
    if name.split()[1].startswith("/fhir/"):
        return content == OUTCOME
    return content.get("application/problem+json") == PROBLEM


def test_every_operation_declares_the_rate_limit(operations: dict[str, dict[str, Any]]) -> None:
    assert len(operations) > 60
    assert lacking(operations, 429) == []


def test_every_operation_behind_a_token_declares_401(
    operations: dict[str, dict[str, Any]],
) -> None:
    assert lacking(operations, 401, lambda _, op: bool(op.get("security"))) == []


def test_every_operation_with_a_body_declares_413(operations: dict[str, dict[str, Any]]) -> None:
    methods = ("POST", "PUT", "PATCH", "DELETE")
    assert lacking(operations, 413, lambda name, _: name.split()[0] in methods) == []


def test_every_operation_with_a_json_body_declares_400_for_malformed_json(
    operations: dict[str, dict[str, Any]],
) -> None:
    def takes_json(_: str, operation: dict[str, Any]) -> bool:
        content = operation.get("requestBody", {}).get("content", {})
        return any(media == "application/json" or media.endswith("+json") for media in content)

    assert len([o for n, o in operations.items() if takes_json(n, o)]) > 25
    assert lacking(operations, 400, takes_json) == []


def test_a_route_keeps_what_it_declares_itself(operations: dict[str, dict[str, Any]]) -> None:
    login = operations["POST /auth/login"]["responses"]
    assert login["429"]["description"] == "Too many requests"
    assert "application/json" in login["429"]["content"]  # the route's own entry, untouched
    assert "401" not in operations["GET /health/live"]["responses"]  # an open route


def test_every_conditional_read_declares_304_and_only_those(
    operations: dict[str, dict[str, Any]],
) -> None:
    def conditional(operation: dict[str, Any]) -> bool:
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        return "If-None-Match" in names

    takes = {name for name, operation in operations.items() if conditional(operation)}
    declares = {name for name, operation in operations.items() if "304" in operation["responses"]}
    assert takes == declares
    assert {
        "GET /patients/{patient_id}",
        "GET /doctors/{doctor_id}",
        "GET /doctors/{doctor_id}/availability",
        "GET /availability",
    } <= takes
