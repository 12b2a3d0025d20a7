"""Cached reads over HTTP, on SQLite and PostgreSQL with the in-process and the Redis
cache, and on DynamoDB with Redis: a read after a change never answers the old record
(patients, doctors, their hours, a country's rules, bookings), a read that starts after a
write answered sees it even with readers racing, a read the cache answered is audited like
any other, and the cache counts its hits."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from carehub.config import Settings
from tests.api.conftest import ApiServer
from tests.api.scheduling_world import (
    WEEKDAY_SYNC_RULES,
    account,
    add_country,
    add_doctor,
    add_patient,
    booked,
    iso,
    local_slot,
)
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in
from tests.support.clock import AdjustableClock
from tests.support.dynamodb import new_table
from tests.support.metrics import value
from tests.support.redis_space import REDIS_URL
from tests.support.server import running_server
from tests.support.services import fresh_postgres_database, fresh_sqlite

ZONE = "America/Mexico_City"
RULES = WEEKDAY_SYNC_RULES
CACHED_SERVERS = [
    pytest.param(("sqlite", "memory"), id="sqlite-memory"),
    pytest.param(("sqlite", "redis"), id="sqlite-redis", marks=pytest.mark.redis),
    pytest.param(("postgres", "memory"), id="postgres-memory", marks=pytest.mark.postgres),
    pytest.param(
        ("postgres", "redis"), id="postgres-redis", marks=[pytest.mark.postgres, pytest.mark.redis]
    ),
    pytest.param(
        ("dynamodb", "redis"), id="dynamodb-redis", marks=[pytest.mark.aws, pytest.mark.redis]
    ),
]


@pytest.fixture(scope="module", params=CACHED_SERVERS)
def cached_server(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    store, cache = request.param
    folder = tmp_path_factory.mktemp(f"cached-{store}-{cache}")
    with ExitStack() as stack:
        endpoint: str | None = None
        if store == "sqlite":
            url = fresh_sqlite(sqlite_template, folder)
        elif store == "dynamodb":
            endpoint = request.getfixturevalue("moto_endpoint")
            url = new_table(endpoint)
            patch = stack.enter_context(pytest.MonkeyPatch.context())
            patch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
            patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        else:
            url = stack.enter_context(fresh_postgres_database())
        clock = AdjustableClock()
        settings = Settings(
            database_url=url,
            data_dir=folder,
            bootstrap_admin_email=ADMIN_EMAIL,
            bootstrap_admin_password=ADMIN_PASSWORD,
            auth_limit_per_address=100_000,
            rate_limit_per_minute=1_000_000,
            cache="memory" if cache == "memory" else "auto",
            cache_url=REDIS_URL if cache == "redis" else None,
            aws_endpoint_url=endpoint,
        )
        base_url = stack.enter_context(running_server(settings, clock))
        token = sign_in(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
        yield ApiServer(base_url, url, clock, token, folder, endpoint)


@pytest.fixture
def api(cached_server: ApiServer) -> Iterator[httpx.Client]:
    cached_server.empty()
    with cached_server.client() as client:
        yield client


@pytest.fixture
def clinic(cached_server: ApiServer, api: httpx.Client) -> dict[str, Any]:
    """A country with a doctor working 09:00-17:00 on weekdays and one patient."""
    country = add_country(api, "MX", timeZones=[ZONE], rules=RULES)
    start = local_slot(cached_server, "MX", ZONE, weekday=0)
    day = start.replace(hour=0, minute=0)
    return {
        "country": country["countryId"],
        "doctor": add_doctor(api, "MX", timeZone=ZONE)["doctorId"],
        "patient": add_patient(api, "MX"),
        "start": start,
        "window": {"from": iso(day), "to": iso(day + timedelta(days=1))},
    }


def twice(api: httpx.Client, path: str, **params: str) -> dict[str, Any]:
    """Read `path` twice (the second from the cache) and check both answers agree."""
    first, second = api.get(path, params=params), api.get(path, params=params)
    assert first.status_code == second.status_code == 200, first.text
    assert first.json() == second.json()
    body: dict[str, Any] = second.json()
    return body


def slots(api: httpx.Client, clinic: dict[str, Any]) -> list[str]:
    body = twice(api, f"/doctors/{clinic['doctor']}/availability", **clinic["window"])
    return [slot["start"] for slot in body["slots"]]


def etag(api: httpx.Client, path: str) -> str:
    return api.get(path).headers["ETag"]


def test_a_patient_read_after_an_update_or_a_deactivation_is_never_stale(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    path = f"/patients/{clinic['patient']}"
    assert twice(api, path)["sex"] != "other"
    changed = api.patch(path, json={"sex": "other"}, headers={"If-Match": etag(api, path)})
    assert changed.status_code == 200, changed.text
    assert twice(api, path) == changed.json()
    gone = api.delete(path, headers={"If-Match": etag(api, path)})
    assert gone.status_code in (200, 204), gone.text
    assert twice(api, path)["active"] is False


def test_a_doctor_read_and_availability_after_an_hours_change_are_never_stale(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    path = f"/doctors/{clinic['doctor']}"
    assert twice(api, path)["weeklyAvailability"][0]["start"] == "09:00"
    before = slots(api, clinic)
    hours = [{"day": "monday", "start": "10:00", "end": "12:00"}]
    changed = api.patch(
        path, json={"weeklyAvailability": hours}, headers={"If-Match": etag(api, path)}
    )
    assert changed.status_code == 200, changed.text
    assert twice(api, path) == changed.json()
    after = slots(api, clinic)
    assert after != before and len(after) == 4  # 10:00-12:00 in 30-minute slots


def test_availability_after_a_booking_or_a_closed_day_is_never_stale(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    taken = iso(clinic["start"])
    assert taken in [iso_of(s) for s in slots(api, clinic)]
    booked(api, clinic["doctor"], clinic["patient"], clinic["start"])
    assert taken not in [iso_of(s) for s in slots(api, clinic)]

    country = f"/countries/{clinic['country']}"
    day = clinic["start"].astimezone(ZoneInfo(ZONE)).date().isoformat()
    closed = api.patch(
        country, json={"closedDates": [day]}, headers={"If-Match": etag(api, country)}
    )
    assert closed.status_code == 200, closed.text
    assert slots(api, clinic) == []


def iso_of(text: str) -> str:
    return iso(datetime.fromisoformat(text))


def test_concurrent_readers_see_every_write_that_answered_before_they_began(
    cached_server: ApiServer, api: httpx.Client, clinic: dict[str, Any]
) -> None:
    """Readers keep reading (missing, loading and filling) while a writer changes the
    patient: once a write answered, every read that starts after it sees it or a later
    version, and the cache ends holding the last. (Between a write's commit and its
    invalidation, a moment before it answers, a read may still see the version before.)"""
    path = f"/patients/{clinic['patient']}"
    written = [1]
    done = threading.Event()

    def reader() -> list[tuple[int, int]]:
        seen: list[tuple[int, int]] = []
        with cached_server.client() as client:
            while not done.is_set():
                floor = written[-1]
                response = client.get(path)
                assert response.status_code == 200, response.text
                seen.append((floor, int(response.headers["ETag"].strip('"v'))))
        return seen

    with ThreadPoolExecutor(4) as pool:
        readers = [pool.submit(reader) for _ in range(4)]
        try:
            for n in range(12):
                current = f'"v{written[-1]}"'
                response = api.patch(
                    path, json={"sex": ("female", "male")[n % 2]}, headers={"If-Match": current}
                )
                assert response.status_code == 200, response.text
                written.append(written[-1] + 1)
        finally:
            done.set()
        results = [r.result() for r in readers]
    for seen in results:
        assert seen, "a reader read nothing"
        assert all(version >= floor for floor, version in seen), seen
    assert int(etag(api, path).strip('"v')) == written[-1]


def test_a_read_the_cache_answered_is_audited_and_counted_as_a_hit(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    path = f"/patients/{clinic['patient']}"
    before = api.get("/metrics").text
    sent = [api.get(path) for _ in range(3)]
    assert all(r.status_code == 200 for r in sent)
    page = api.get("/metrics").text

    def lookups(text: str, outcome: str) -> float:
        return value(text, "carehub_cache_lookups_total", cache="patient", outcome=outcome)

    assert lookups(page, "hit") - lookups(before, "hit") >= 2
    assert clinic["patient"] not in page  # labels carry no ids

    trail = api.get("/audit", params={"action": "patient.read", "limit": 200})
    assert trail.status_code == 200, trail.text
    audited = {e["requestId"] for e in trail.json()["items"] if e["outcome"] == "allowed"}
    for response in sent:
        assert response.headers["X-Request-ID"] in audited


def test_a_refused_read_of_a_cached_record_is_refused_and_audited(
    cached_server: ApiServer, api: httpx.Client, clinic: dict[str, Any]
) -> None:
    path = f"/patients/{clinic['patient']}"
    twice(api, path)  # now in the cache
    other = add_patient(api, "MX")
    with account(cached_server, "patient", patient_id=other) as stranger:
        response = stranger.get(path)
    assert response.status_code == 404, response.text
    trail = api.get("/audit", params={"action": "patient.read", "limit": 200}).json()["items"]
    refused = [e for e in trail if e["requestId"] == response.headers["X-Request-ID"]]
    assert [e["outcome"] for e in refused] == ["denied"]


def test_a_record_made_with_a_known_id_is_read_fresh(api: httpx.Client) -> None:
    """Callers may bring their own ids: a new record under an id read before (and missed)
    is never hidden by the miss."""
    add_country(api, "MX", timeZones=[ZONE], rules=RULES)
    patient_id = f"pt-{uuid.uuid4().hex[:10]}"
    assert api.get(f"/patients/{patient_id}").status_code == 404
    add_patient(api, "MX", patientId=patient_id)
    assert twice(api, f"/patients/{patient_id}")["id"] == patient_id
