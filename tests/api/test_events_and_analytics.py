"""Over HTTP: a new patient's event reaches the analytics counter; analytics and dead
letters are for admins only."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import httpx
import pytest

from carehub.events.model import DeadLetter
from carehub.kernel.events import EventMessage
from tests.api.bodies import SEED_001_PATIENT
from tests.api.conftest import ApiServer
from tests.support.countries import SEED_001_COUNTRY, create_countries
from tests.support.world import enrol

# Patients here live in the shipped countries.
pytestmark = pytest.mark.usefixtures("shipped_countries")


def daily(api: httpx.Client, **params: str) -> httpx.Response:
    return api.get("/analytics/daily", params={"metric": "patients_registered", **params})


def test_a_new_patient_is_counted_once_for_its_country_and_day(
    server: ApiServer, api: httpx.Client
) -> None:
    create_countries(api, SEED_001_COUNTRY)
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


def test_a_dead_letter_is_replayed_once_and_a_second_replay_is_a_conflict(
    server: ApiServer, api: httpx.Client
) -> None:
    letter_id = park_letter(server, consumer="analytics", event_type="patients.patient_updated.v1")

    first = api.post(f"/events/dead-letters/{letter_id}/replay")
    assert first.status_code == 200, first.text
    assert first.json()["replayedAt"] is not None
    second = api.post(f"/events/dead-letters/{letter_id}/replay")
    assert second.status_code == 409, second.text
    assert second.headers["content-type"] == "application/problem+json"
    assert "already replayed" in second.json()["detail"]
    listed = api.get("/events/dead-letters", params={"includeReplayed": "true"}).json()
    assert [item["replayedAt"] for item in listed["items"]] == [first.json()["replayedAt"]]


def park_letter(server: ApiServer, *, consumer: str, event_type: str) -> str:
    """Park a message for `consumer` straight in the database, as its runner would."""
    letter_id = str(uuid.uuid4())
    now = server.clock.now()
    message = EventMessage(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        aggregate_id="pt-1",
        occurred_at=now,
        actor_id="ops",
        payload={},
    )
    letter = DeadLetter(letter_id, consumer, message, 3, "ValueError: boom", now)

    async def park() -> None:
        async with server.store() as store:
            _, dead_letters = store.event_stores
            await dead_letters.park(letter)

    asyncio.run(park())
    return letter_id
