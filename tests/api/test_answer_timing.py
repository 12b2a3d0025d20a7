"""Whether an account exists shows neither in the answer nor in how long it takes.

Requests alternate between an existing and an unknown account, so drift on a busy machine
hits both paths alike; the medians must stay within a ratio that noise does not reach
(the paths once differed 50-fold for codes and 2-fold for sign-up).
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from carehub.config import Settings
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, sign_in
from tests.support.clock import AdjustableClock
from tests.support.countries import ensure_country
from tests.support.server import running_server
from tests.support.services import fresh_sqlite

PASSWORD = "a long and good passphrase"
RATIO_BOUND = 1.5


@pytest.fixture
def base_url(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    settings = Settings(
        database_url=fresh_sqlite(sqlite_template, tmp_path),
        data_dir=tmp_path,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
        # Every request counts for the measurement, none for the throttle.
        auth_limit_per_account=100_000,
        auth_limit_per_address=100_000,
    )
    with running_server(settings, AdjustableClock()) as base:
        token = sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        with httpx.Client(base_url=base, headers=bearer(token), timeout=30) as admin:
            ensure_country(admin, "PE")  # the sign-ups' country
        yield base


def new_email() -> str:
    return f"t-{uuid.uuid4().hex[:10]}@clinic.test"


def medians(
    client: httpx.Client, rounds: int, existing: Callable[[], object], unknown: Callable[[], object]
) -> tuple[float, float]:
    """Median seconds of each path, measured alternately after one warm-up of each."""
    timings: dict[str, list[float]] = {"existing": [], "unknown": []}
    for n in range(rounds + 1):
        for name, send in (("existing", existing), ("unknown", unknown))[:: 1 if n % 2 else -1]:
            started = time.perf_counter()
            response = send()
            elapsed = time.perf_counter() - started
            assert isinstance(response, httpx.Response) and response.status_code == 202
            if n:
                timings[name].append(elapsed)
    return statistics.median(timings["existing"]), statistics.median(timings["unknown"])


def assert_alike(existing: float, unknown: float) -> None:
    ratio = max(existing, unknown) / min(existing, unknown)
    assert ratio < RATIO_BOUND, (
        f"existing {existing * 1000:.0f} ms, unknown {unknown * 1000:.0f} ms"
    )


def test_a_code_request_takes_as_long_for_an_unknown_email(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        admin = sign_in(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
        email = new_email()
        body = {"email": email, "role": "staff", "password": PASSWORD}
        assert client.post("/users", json=body, headers=bearer(admin)).status_code == 201
        existing, unknown = medians(
            client,
            6,
            lambda: client.post("/auth/otp/request", json={"email": email}),
            lambda: client.post("/auth/otp/request", json={"email": new_email()}),
        )
    assert_alike(existing, unknown)


def test_a_signup_takes_as_long_whether_the_email_is_free_or_taken(base_url: str) -> None:
    def signup(email: str) -> httpx.Response:
        body = {
            "email": email,
            "password": PASSWORD,
            "countryId": "PE",
            "name": {"given": ["Eve"], "family": "Mallory"},
        }
        return client.post("/auth/signup", json=body)

    with httpx.Client(base_url=base_url, timeout=30) as client:
        taken = new_email()
        assert signup(taken).status_code == 202
        existing, unknown = medians(client, 4, lambda: signup(taken), lambda: signup(new_email()))
    assert_alike(existing, unknown)
