"""Idempotency-Key on POST /patients."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from tests.api.bodies import structured
from tests.api.conftest import ApiServer

# Patients here live in the shipped countries.
pytestmark = pytest.mark.usefixtures("shipped_countries")


def total(api: httpx.Client) -> int:
    return len(api.get("/patients?limit=200").json()["items"])


def test_replay_returns_the_first_response(api: httpx.Client) -> None:
    headers = {"Idempotency-Key": "create-42"}
    first = api.post("/patients", json=structured(), headers=headers)
    second = api.post("/patients", json=structured(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Location"] == first.headers["Location"]
    assert total(api) == 1


def test_replay_after_an_update_still_returns_the_first_body(api: httpx.Client) -> None:
    headers = {"Idempotency-Key": "k-update"}
    first = api.post("/patients", json=structured(), headers=headers).json()
    api.patch(f"/patients/{first['id']}", json={"sex": "other"}, headers={"If-Match": '"v1"'})
    assert api.post("/patients", json=structured(), headers=headers).json() == first


def test_same_key_with_a_different_body_is_422(api: httpx.Client) -> None:
    headers = {"Idempotency-Key": "k-diff"}
    assert api.post("/patients", json=structured(), headers=headers).status_code == 201
    other = api.post(
        "/patients", json=structured(name="Ana Torres", identifiers=[]), headers=headers
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert total(api) == 1


def test_keys_expire_after_24_hours(api: httpx.Client, server: ApiServer) -> None:
    headers = {"Idempotency-Key": "k-expiry"}
    body = structured(identifiers=[])
    first = api.post("/patients", json=body, headers=headers).json()
    server.clock.advance(timedelta(hours=23))
    assert api.post("/patients", json=body, headers=headers).json()["id"] == first["id"]
    server.clock.advance(timedelta(hours=2))
    fresh = api.post("/patients", json=body, headers=headers)
    assert fresh.status_code == 201
    assert fresh.json()["id"] != first["id"]
    assert total(api) == 2


def test_failed_request_does_not_burn_the_key(api: httpx.Client) -> None:
    headers = {"Idempotency-Key": "k-fail"}
    assert api.post("/patients", json=structured(email="bad"), headers=headers).status_code == 422
    assert api.post("/patients", json=structured(email="bad"), headers=headers).status_code == 422
    assert total(api) == 0


def test_concurrent_requests_with_one_key_create_one_patient(
    api: httpx.Client, server: ApiServer
) -> None:
    def send(_: int) -> tuple[int, str]:
        with server.client() as client:
            response = client.post(
                "/patients", json=structured(identifiers=[]), headers={"Idempotency-Key": "k-race"}
            )
            return response.status_code, response.json().get("id", "")

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(send, range(6)))
    created = {patient_id for status, patient_id in results if status == 201}
    assert len(created) == 1
    assert all(status in (201, 409) for status, _ in results)
    assert total(api) == 1


def test_overlong_key_is_refused(api: httpx.Client) -> None:
    bad = api.post("/patients", json=structured(), headers={"Idempotency-Key": "x" * 300})
    assert bad.status_code == 422
