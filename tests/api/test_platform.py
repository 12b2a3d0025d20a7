"""Health, OpenAPI, docs and CORS."""

from __future__ import annotations

from pathlib import Path

import httpx

from carehub.config import Settings
from tests.api.conftest import ApiServer
from tests.support.clock import AdjustableClock
from tests.support.server import running_server
from tests.support.services import fresh_sqlite


def test_health(api: httpx.Client) -> None:
    assert api.get("/health/live").json() == {"status": "ok"}
    ready = api.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


def test_openapi_describes_the_routes_and_their_problems(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/patients"]) == {"get", "post"}
    assert set(paths["/patients/{patient_id}"]) == {"get", "patch", "delete"}
    post = paths["/patients"]["post"]["responses"]
    assert {"201", "400", "409", "413", "422"} <= set(post)
    assert "application/problem+json" in post["409"]["content"]
    patch = paths["/patients/{patient_id}"]["patch"]["responses"]
    assert {"412", "428"} <= set(patch)
    assert "PatientRead" in spec["components"]["schemas"]
    assert "Problem" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # not the shape we send
    assert api.get("/docs").status_code == 200


def test_cors_is_closed_by_default(api: httpx.Client) -> None:
    response = api.options(
        "/patients",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers
    plain = api.get("/patients", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in plain.headers


def test_cors_allows_configured_origins(sqlite_template: Path, tmp_path: Path) -> None:
    settings = Settings(
        database_url=fresh_sqlite(sqlite_template, tmp_path),
        cors_origins=["https://clinic.example"],
        data_dir=tmp_path,
    )
    with running_server(settings, AdjustableClock()) as base, httpx.Client(base_url=base) as client:
        allowed = client.options(
            "/patients",
            headers={
                "Origin": "https://clinic.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,idempotency-key",
            },
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://clinic.example"
        refused = client.get("/health/live", headers={"Origin": "https://other.example"})
        assert "access-control-allow-origin" not in refused.headers


def test_unknown_route_is_a_problem(api: httpx.Client, server: ApiServer) -> None:
    response = api.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert api.put("/patients/x", json={}).status_code == 405
