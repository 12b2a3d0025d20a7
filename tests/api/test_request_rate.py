"""Every principal and every client address has a budget of requests a minute."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from carehub.config import Settings
from tests.api.conftest import ApiServer
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in
from tests.support.clock import AdjustableClock
from tests.support.redis_space import REDIS_URL, forget_request_budgets
from tests.support.server import running_server
from tests.support.services import fresh_sqlite
from tests.support.world import enrol, patient_body

PER_MINUTE = 5
PER_ADDRESS = 10 * PER_MINUTE


def limited_settings(url: str, folder: Path, **overrides: object) -> Settings:
    return Settings(
        database_url=url,
        data_dir=folder,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
        rate_limit_per_minute=PER_MINUTE,
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
def limited(sqlite_template: Path, tmp_path: Path) -> Iterator[ApiServer]:
    """A server of its own: each test starts with every budget unspent."""
    url = fresh_sqlite(sqlite_template, tmp_path)
    clock = AdjustableClock()
    with running_server(limited_settings(url, tmp_path), clock) as base_url:
        token = sign_in(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
        yield ApiServer(base_url, url, clock, token, tmp_path)


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    body = response.json()
    assert body["status"] == 429
    assert body["type"] == "urn:carehub:problem:too-many-requests"
    assert body["requestId"] == response.headers["X-Request-ID"]


def test_refused_reads_of_other_patients_spend_the_principals_budget(
    limited: ApiServer,
) -> None:
    patient = enrol(limited, "patient", "PE", patient_id=f"pa-{uuid.uuid4().hex[:12]}")
    with limited.client() as admin:
        other = admin.post("/patients", json=patient_body("PE")).json()["id"]
    with patient.client as client:
        # Someone else's record, then guessed ids: the access gate refuses each, and each counts.
        answers = [client.get(f"/patients/{other}")]
        answers += [client.get(f"/patients/guess-{n}") for n in range(PER_MINUTE - 1)]
        assert [a.status_code for a in answers] == [404] * PER_MINUTE
        assert_throttled(client.get(f"/patients/guess-{PER_MINUTE}"))
        assert_throttled(client.get("/users/me"))  # the whole API, not just the route
        with limited.client() as admin:
            assert admin.get(f"/patients/{other}").status_code == 200  # a budget of its own
        # The next minute (its token was signed before the clock moved, so it is still valid).
        limited.clock.advance(timedelta(seconds=61))
        assert client.get("/users/me").status_code == 200


def test_an_address_is_throttled_before_any_route_or_token_is_looked_at(
    limited: ApiServer,
) -> None:
    with httpx.Client(base_url=limited.base_url) as anonymous:
        left = PER_ADDRESS - 1  # the fixture's sign-in came from this address too
        answers = [anonymous.get("/patients").status_code for _ in range(left)]
        assert answers == [401] * left
        assert_throttled(anonymous.get("/health/live"))
        assert_throttled(anonymous.get("/nowhere"))
        assert_throttled(anonymous.post("/auth/login", json={"email": "a@b.test"}))
        # A signed-in caller shares the address, so it is throttled too.
        assert_throttled(limited.client().get("/users/me"))


@pytest.mark.redis
def test_processes_sharing_a_cache_share_the_budgets(sqlite_template: Path, tmp_path: Path) -> None:
    url = fresh_sqlite(sqlite_template, tmp_path)
    settings = limited_settings(url, tmp_path, cache_url=REDIS_URL)
    forget_request_budgets()
    clock = AdjustableClock()
    with running_server(settings, clock) as first, running_server(settings, clock) as second:
        token = sign_in(first, ADMIN_EMAIL, ADMIN_PASSWORD)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(headers=headers) as client:
            answers = [client.get(f"{first}/users/me").status_code for _ in range(3)]
            answers += [client.get(f"{second}/users/me").status_code for _ in range(2)]
            assert answers == [200] * PER_MINUTE
            assert_throttled(client.get(f"{first}/users/me"))
            assert_throttled(client.get(f"{second}/users/me"))
