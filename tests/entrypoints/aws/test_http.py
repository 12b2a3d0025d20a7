"""The API on Lambda: API Gateway HTTP API (2.0), REST API (1.0) and Function URL events,
served through one app built on the first invocation."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from carehub.entrypoints.aws import http
from tests.entrypoints.aws.conftest import PUBLIC_URL, LambdaWorld
from tests.entrypoints.aws.events import (
    FORGED_HOST,
    api_gateway_v1,
    api_gateway_v2,
    function_url,
)
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.support.world import patient_body

pytestmark = pytest.mark.aws


def body_of(response: dict[str, Any]) -> Any:
    raw = response["body"]
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw)


def test_one_app_serves_every_event_shape_and_links_to_the_public_url(
    lambda_world: LambdaWorld,
) -> None:
    login = http.handler(
        api_gateway_v2(
            "POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        ),
        None,
    )
    assert login["statusCode"] == 200, login
    bearer = {"authorization": f"Bearer {body_of(login)['accessToken']}"}
    app = http._adapter

    country = http.handler(
        api_gateway_v1("POST", "/countries", body={"code": "PE"}, headers=bearer), None
    )
    assert country["statusCode"] == 201, country
    created = http.handler(
        api_gateway_v1("POST", "/patients", body=patient_body("PE"), headers=bearer), None
    )
    assert created["statusCode"] == 201, created
    assert FORGED_HOST not in json.dumps(created)

    patient_id = body_of(created)["id"]
    read = http.handler(function_url("GET", f"/patients/{patient_id}", headers=bearer), None)
    assert read["statusCode"] == 200, read
    assert body_of(read)["id"] == patient_id
    assert http._adapter is app  # built once, on the first invocation


def test_a_redirect_points_at_the_public_url_not_the_host_header(
    lambda_world: LambdaWorld,
) -> None:
    redirected = http.handler(api_gateway_v2("GET", "/health/live/"), None)
    assert redirected["statusCode"] == 307
    assert redirected["headers"]["location"] == f"{PUBLIC_URL}/health/live"


def test_readiness_reaches_the_table(lambda_world: LambdaWorld) -> None:
    ready = http.handler(api_gateway_v2("GET", "/health/ready"), None)
    assert ready["statusCode"] == 200
    assert body_of(ready)["checks"] == {"database": "ok"}


def test_importing_the_handler_builds_nothing() -> None:
    assert http._adapter is None
