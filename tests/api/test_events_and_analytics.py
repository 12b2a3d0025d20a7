"""Over HTTP: a new patient's event reaches the analytics counter; analytics and dead
letters are for admins only."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx

from tests.api.bodies import SEED_001_PATIENT
from tests.api.conftest import ApiServer
from tests.support.world import enrol


def daily(api: httpx.Client, **params: str) -> httpx.Response:
    return api.get("/analytics/daily", params={"metric": "patients_registered", **params})


def test_a_new_patient_is_counted_once_for_its_country_and_day(
    server: ApiServer, api: httpx.Client
) -> None:
    created = api.post(
        "/patients", content=SEED_001_PATIENT, headers={"Content-Type": "application/json"}
    )
    assert created.status_code == 201, created.text
    today = server.clock.now().date().isoformat()
    counts: list[dict[str, object]] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        response = daily(api, countryId="001", **{"from": today, "to": today})
        assert response.status_code == 200, response.text
        counts = response.json()["days"]
        if counts[0]["count"]:
            break
        time.sleep(0.05)
    assert counts == [{"date": today, "count": 1}]
    time.sleep(0.3)  # nothing arrives twice
    again = daily(api, countryId="001", **{"from": today, "to": today}).json()
    assert again == {"metric": "patients_registered", "days": [{"date": today, "count": 1}]}


def test_every_day_of_the_range_is_listed(server: ApiServer, api: httpx.Client) -> None:
    first = server.clock.now().date()
    last = first + timedelta(days=2)
    body = daily(api, **{"from": first.isoformat(), "to": last.isoformat()}).json()
    assert [day["date"] for day in body["days"]] == [
        (first + timedelta(days=n)).isoformat() for n in range(3)
    ]
    assert all(day["count"] == 0 for day in body["days"])


def test_bad_analytics_queries_are_422(api: httpx.Client) -> None:
    cases = [
        {"metric": "heartbeats", "from": "2026-01-01", "to": "2026-01-02"},
        {"metric": "patients_registered", "from": "2026-01-02", "to": "2026-01-01"},
        {"metric": "patients_registered", "from": "2025-01-01", "to": "2026-06-01"},
        {
            "metric": "patients_registered",
            "from": "2026-01-01",
            "to": "2026-01-02",
            "category": "lab",
        },
        {"metric": "patients_registered", "from": "2026-01-01"},
    ]
    for params in cases:
        response = api.get("/analytics/daily", params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def test_analytics_and_dead_letters_are_for_admins(
    server: ApiServer, api: httpx.Client, anonymous: httpx.Client
) -> None:
    doctor = enrol(server, "doctor", "PE").client
    query = {"metric": "patients_registered", "from": "2026-01-01", "to": "2026-01-02"}
    assert anonymous.get("/analytics/daily", params=query).status_code == 401
    assert doctor.get("/analytics/daily", params=query).status_code == 403
    assert doctor.get("/events/dead-letters").status_code == 403
    assert doctor.post("/events/dead-letters/x/replay").status_code == 403
    listed = api.get("/events/dead-letters")
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "nextCursor": None}
    assert api.post("/events/dead-letters/nope/replay").status_code == 404
    doctor.close()
