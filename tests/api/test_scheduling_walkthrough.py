"""Seed 001's walkthrough over HTTP, with its own bodies: a country, a doctor, a patient and
an appointment, then the doctor's appointments in the country."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.api.bodies import SEED_001_PATIENT
from tests.api.conftest import ApiServer
from tests.api.scheduling_world import (
    add_country,
    add_doctor,
    add_patient,
    book,
    iso,
    local_slot,
    settled,
)
from tests.support.countries import SEED_001_COUNTRY, create_countries

SEED_COUNTRY = {"countryId": "002", "name": "CHILE", "code": "CL"}
SEED_DOCTOR = {
    "doctorId": "doctor001",
    "name": "Dr. Lorea",
    "speciality": "Estomatolog",
    "countryId": "002",
    "availableTimes": ["Monday 10am-4pm", "Wednesday 1pm-5pm"],
}
SEED_APPOINTMENT = {
    "appointmentId": "appointment124",
    "patientId": "0315",
    "doctorId": "doctor001",
    "appointmentDate": "2024-10-25T10:00:00Z",
    "countryId": "US",
    "state": "scheduled",
}
SANTIAGO = ZoneInfo("America/Santiago")


def seed_world(api: httpx.Client) -> None:
    create_countries(api, SEED_001_COUNTRY)  # the seed's patient lives in country "001"
    country = api.post("/countries", json=SEED_COUNTRY)
    assert country.status_code == 201, country.text
    assert (country.json()["countryId"], country.json()["code"]) == ("002", "CL")
    assert country.json()["rules"]["bookingMode"] == "async"
    doctor = api.post("/doctors", json=SEED_DOCTOR)
    assert doctor.status_code == 201, doctor.text
    assert doctor.json()["timeZone"] == "America/Santiago"
    patient = api.post(
        "/patients", content=SEED_001_PATIENT, headers={"Content-Type": "application/json"}
    )
    assert patient.status_code == 201, patient.text
    assert patient.json()["id"] == "0315"


def test_seed_appointment_as_written_names_every_broken_rule(api: httpx.Client) -> None:
    seed_world(api)

    response = api.post("/appointments", json=SEED_APPOINTMENT)

    assert response.status_code == 422, response.text
    problem = response.json()
    rules = {e["message"].split(":")[0] for e in problem["errors"]}
    # 2024-10-25 is a Friday in the past; doctor001 works Mondays and Wednesdays in Chile.
    assert {"in_the_past", "outside_doctor_hours", "country_mismatch"} <= rules
    # The seed sends the start as appointmentDate: the errors name it so.
    assert {"countryId", "appointmentDate"} <= {e["field"] for e in problem["errors"]}
    assert api.get("/appointments/appointment124").status_code == 404


def test_seed_appointment_in_the_future_is_queued_then_confirmed(
    server: ApiServer, api: httpx.Client
) -> None:
    seed_world(api)
    start = local_slot(server, "CL", "America/Santiago", weekday=0, at=time(11, 0))
    body = {**SEED_APPOINTMENT, "appointmentDate": iso(start), "countryId": "CL"}

    response = api.post("/appointments", json=body)

    assert response.status_code == 202, response.text
    assert response.headers["Location"] == "/appointments/appointment124"
    queued = response.json()
    assert queued["status"] == "pending"
    assert queued["mode"] == "async"
    assert queued["countryId"] == "002"
    assert datetime.fromisoformat(queued["startLocal"]).astimezone(SANTIAGO).time() == time(11)
    assert datetime.fromisoformat(queued["appointmentDate"]) == start
    # The default length is one of Chile's 30-minute slots.
    assert datetime.fromisoformat(queued["end"]) - start == timedelta(minutes=30)

    confirmed = settled(api, "appointment124")

    assert confirmed["status"] == "confirmed", confirmed
    admin_id = api.get("/users/me").json()["id"]
    steps = [(h["action"], h["fromStatus"], h["toStatus"]) for h in confirmed["history"]]
    assert steps == [
        ("request", None, "requested"),
        ("queue", "requested", "pending"),
        ("confirm", "pending", "confirmed"),
    ]
    assert [h["actorId"] for h in confirmed["history"][:2]] == [admin_id, admin_id]
    assert confirmed["history"][2]["actorId"] != admin_id  # the country's queue
    times = [datetime.fromisoformat(h["at"]) for h in confirmed["history"]]
    now = server.clock.now()
    assert times == sorted(times)
    assert all(now - timedelta(minutes=1) < t <= now for t in times)

    # Seed 001's query, as a GET and as the POST with its example body.
    listed = api.get("/appointments/country/002/doctor/doctor001")
    posted = api.post("/appointments/country/002/doctor/doctor001", json=SEED_APPOINTMENT)
    for found in (listed, posted):
        assert found.status_code == 200, found.text
        items = found.json()["items"]
        assert [(a["appointmentId"], a["status"]) for a in items] == [
            ("appointment124", "confirmed")
        ]
    # The country's code works as well as its id; another doctor has nothing.
    assert len(api.get("/appointments/country/CL/doctor/doctor001").json()["items"]) == 1
    assert api.get("/appointments/country/002/doctor/doctor999").json()["items"] == []


def test_a_synchronous_country_confirms_at_once(server: ApiServer, api: httpx.Client) -> None:
    add_country(api, "US")
    doctor = add_doctor(api, "US", timeZone="America/New_York")
    patient_id = add_patient(api, "US")
    start = local_slot(server, "US", "America/New_York", weekday=2, at=time(10, 0))

    response = book(api, doctor["doctorId"], patient_id, start, countryId="US")

    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/appointments/{response.json()['appointmentId']}"
    appointment = response.json()
    assert appointment["status"] == "confirmed"
    assert appointment["mode"] == "sync"
    assert [(h["fromStatus"], h["toStatus"]) for h in appointment["history"]] == [
        (None, "requested"),
        ("requested", "confirmed"),
    ]
    assert appointment["startLocal"].startswith(
        start.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%dT10:00:00")
    )
    assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
    assert datetime.fromisoformat(appointment["start"]).astimezone(UTC) == start
