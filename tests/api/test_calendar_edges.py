"""Dates and times at the edges of the calendar are refused with a 422 naming the field,
never a 500: every date or time the API accepts lies in the years 1900 to 2200, a booking
within its country's lead time and horizon, a search within its maximum window."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import httpx
import pytest

from tests.api.bodies import structured
from tests.api.conftest import ApiServer
from tests.api.scheduling_world import (
    add_country,
    add_doctor,
    add_patient,
    booked,
    iso,
    local_slot,
)

ZONE = "America/Mexico_City"
RULES = {"slotMinutes": 30, "minLeadMinutes": 60, "horizonDays": 90, "bookingMode": "sync"}
# Python's own limits, with offsets that push them past year 1 or 9999 once in UTC.
ABSURD = [
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:00:00-05:00",
]
# Just outside the years 1900 to 2200.
OUTSIDE = ["1899-12-31T23:59:00Z", "2201-01-01T00:00:00Z"]
BAD_TIMES = ABSURD + OUTSIDE
BAD_DATES = ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"]


@pytest.fixture
def clinic(server: ApiServer, api: httpx.Client) -> dict[str, Any]:
    """Mexico (a 90-day horizon), a doctor, a patient, a booked appointment."""
    add_country(api, "MX", timeZones=[ZONE], rules=RULES)
    doctor = add_doctor(api, "MX", timeZone=ZONE)["doctorId"]
    patient = add_patient(api, "MX")
    start = local_slot(server, "MX", ZONE, weekday=1, at=time(10, 0))
    appointment = booked(api, doctor, patient, start)["appointmentId"]
    return {"doctor": doctor, "patient": patient, "start": start, "appointment": appointment}


def names(response: httpx.Response, field: str) -> bool:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return field in {e["field"] for e in response.json().get("errors", [])}


@pytest.mark.parametrize("value", BAD_TIMES)
@pytest.mark.parametrize("field", ["start", "appointmentDate", "end"])
def test_booking_at_the_edges_is_422_naming_the_field(
    api: httpx.Client, clinic: dict[str, Any], field: str, value: str
) -> None:
    body: dict[str, Any] = {"doctorId": clinic["doctor"], "patientId": clinic["patient"]}
    body["start"] = iso(clinic["start"] + timedelta(days=7))
    body[field] = value
    if field == "appointmentDate":
        del body["start"]
    assert names(api.post("/appointments", json=body), field)


@pytest.mark.parametrize("value", BAD_TIMES)
@pytest.mark.parametrize("field", ["start", "end"])
def test_a_hold_at_the_edges_is_422_naming_the_field(
    api: httpx.Client, clinic: dict[str, Any], field: str, value: str
) -> None:
    body: dict[str, Any] = {"doctorId": clinic["doctor"], "patientId": clinic["patient"]}
    body["start"] = iso(clinic["start"] + timedelta(days=7))
    body[field] = value
    assert names(api.post("/holds", json=body), field)


@pytest.mark.parametrize("value", BAD_TIMES)
@pytest.mark.parametrize("field", ["start", "appointmentDate", "end"])
def test_a_reschedule_to_the_edges_is_422_naming_the_field(
    api: httpx.Client, clinic: dict[str, Any], field: str, value: str
) -> None:
    body = {"start": iso(clinic["start"] + timedelta(days=7)), field: value}
    if field == "appointmentDate":
        del body["start"]
    path = f"/appointments/{clinic['appointment']}/reschedule"
    assert names(api.post(path, json=body), field)


def test_a_reschedule_takes_the_booking_names_of_the_start(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    later = clinic["start"] + timedelta(days=7)
    path = f"/appointments/{clinic['appointment']}/reschedule"

    moved = api.post(path, json={"appointmentDate": iso(later)})

    assert moved.status_code == 200, moved.text
    assert moved.json()["start"] == iso(later)
    both = {"start": iso(later), "appointmentDate": iso(later)}
    assert api.post(path, json=both).status_code == 422
    assert api.post(path, json={"reason": "no time"}).status_code == 422


@pytest.mark.parametrize("field", ["start", "appointmentDate"])
def test_past_the_horizon_is_422_naming_the_field_as_sent(
    server: ApiServer, api: httpx.Client, clinic: dict[str, Any], field: str
) -> None:
    # Inside the years 1900 to 2200, so the country's rules answer: before the lead
    # time, or past the 90-day horizon.
    soon = server.clock.now().replace(second=0, microsecond=0) + timedelta(minutes=30)
    for value in ("1900-01-01T00:00:00Z", "2200-12-31T23:00:00Z", iso(soon)):
        body = {"doctorId": clinic["doctor"], "patientId": clinic["patient"], field: value}
        assert names(api.post("/appointments", json=body), field), value
        path = f"/appointments/{clinic['appointment']}/reschedule"
        assert names(api.post(path, json={field: value}), field), value
    far = local_slot(server, "MX", ZONE, weekday=1, min_days=95)
    body = {"doctorId": clinic["doctor"], "patientId": clinic["patient"], field: iso(far)}
    assert names(api.post("/appointments", json=body), field)


@pytest.mark.parametrize("value", BAD_TIMES)
@pytest.mark.parametrize("field", ["from", "to"])
def test_availability_at_the_edges_is_422_naming_the_field(
    api: httpx.Client, clinic: dict[str, Any], field: str, value: str
) -> None:
    window = {"from": iso(clinic["start"]), "to": iso(clinic["start"] + timedelta(days=1))}
    window[field] = value
    one = api.get(f"/doctors/{clinic['doctor']}/availability", params=window)
    assert names(one, field)
    every = api.get("/availability", params={"countryId": "MX", **window})
    assert names(every, field)


def test_availability_takes_at_most_62_days(api: httpx.Client, clinic: dict[str, Any]) -> None:
    start = clinic["start"]
    path = f"/doctors/{clinic['doctor']}/availability"
    inside = {"from": iso(start), "to": iso(start + timedelta(days=62))}
    outside = {"from": iso(start), "to": iso(start + timedelta(days=62, minutes=1))}
    assert api.get(path, params=inside).status_code == 200
    assert names(api.get(path, params=outside), "to")
    # At the very ends of the accepted years, a window still answers.
    last = {"from": "2200-12-30T00:00:00Z", "to": "2200-12-31T23:59:00Z"}
    assert api.get(path, params=last).status_code == 200
    first = {"from": "1900-01-01T00:00:00Z", "to": "1900-01-02T00:00:00Z"}
    assert api.get(path, params=first).status_code == 200


@pytest.mark.parametrize("value", BAD_TIMES)
@pytest.mark.parametrize("field", ["earliest", "latest"])
def test_waiting_at_the_edges_is_422_naming_the_field(
    api: httpx.Client, clinic: dict[str, Any], field: str, value: str
) -> None:
    body = {
        "patientId": clinic["patient"],
        "doctorId": clinic["doctor"],
        "earliest": iso(clinic["start"]),
        "latest": iso(clinic["start"] + timedelta(days=7)),
        field: value,
    }
    assert names(api.post("/waitlist", json=body), field)


def test_waiting_reaches_at_most_two_years_ahead(
    server: ApiServer, api: httpx.Client, clinic: dict[str, Any]
) -> None:
    now = server.clock.now()
    body = {"patientId": clinic["patient"], "doctorId": clinic["doctor"]}
    inside = {"earliest": iso(now + timedelta(days=700)), "latest": iso(now + timedelta(days=729))}
    outside = {"earliest": iso(now + timedelta(days=700)), "latest": iso(now + timedelta(days=731))}
    assert api.post("/waitlist", json={**body, **inside}).status_code == 201
    assert names(api.post("/waitlist", json={**body, **outside}), "latest")


@pytest.mark.parametrize("value", BAD_TIMES)
@pytest.mark.parametrize("field", ["from", "to"])
@pytest.mark.parametrize("path", ["/appointments", "/audit"])
def test_search_ranges_at_the_edges_are_422_naming_the_field(
    api: httpx.Client, path: str, field: str, value: str
) -> None:
    assert names(api.get(path, params={field: value}), field)


# Appointments by a country: DynamoDB has no index of every appointment, so a search by
# time alone is refused there (docs/dynamodb.md, "scheduling"); a country works everywhere.
@pytest.mark.parametrize(
    ("path", "criteria"), [("/appointments", {"countryId": "PE"}), ("/audit", {})]
)
@pytest.mark.usefixtures("shipped_countries")
def test_search_ranges_at_the_ends_of_the_accepted_years_answer(
    api: httpx.Client, path: str, criteria: dict[str, str]
) -> None:
    params = {**criteria, "from": "1900-01-01T00:00:00Z", "to": "2200-12-31T23:59:59Z"}
    assert api.get(path, params=params).status_code == 200


@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize("field", ["from", "to"])
def test_analytics_days_at_the_edges_are_422_naming_the_field(
    api: httpx.Client, field: str, value: str
) -> None:
    params = {"metric": "patients_registered", "from": "2026-01-01", "to": "2026-01-02"}
    params[field] = value
    assert names(api.get("/analytics/daily", params=params), field)


def test_birth_dates_outside_the_last_150_years_are_422_naming_the_field(
    server: ApiServer, api: httpx.Client
) -> None:
    today = server.clock.now().date()
    oldest = today.replace(year=today.year - 151) + timedelta(days=1)
    tomorrow = today + timedelta(days=1)
    for value in ["0001-01-01", "9999-12-31", str(oldest - timedelta(days=1)), str(tomorrow)]:
        assert names(api.post("/patients", json=structured(birthDate=value)), "birthDate")
        assert names(api.get("/patients", params={"birthDate": value}), "birthDate")
    for value in (str(oldest), str(today)):
        assert api.get("/patients", params={"birthDate": value}).status_code == 200


@pytest.mark.parametrize("value", BAD_DATES)
def test_calendar_dates_at_the_edges_are_422_naming_the_field(
    api: httpx.Client, value: str
) -> None:
    add_country(api, "MX", timeZones=[ZONE])
    doctor = {
        "name": "Dr. Edge",
        "specialty": "Cardiology",
        "countryId": "MX",
        "dateOverrides": [{"date": value, "windows": []}],
    }
    assert names(api.post("/doctors", json=doctor), "dateOverrides[0].date")
    country = {"code": "PE", "name": "Peru", "closedDates": [value]}
    assert names(api.post("/countries", json=country), "closedDates[0]")
