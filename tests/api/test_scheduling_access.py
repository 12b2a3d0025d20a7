"""Who may book and see which appointments: patients their own, doctors their schedule,
staff their country. Out-of-scope appointments answer like missing ones."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import httpx
import pytest

from tests.api.conftest import ApiServer
from tests.api.scheduling_world import (
    account,
    add_country,
    add_doctor,
    add_patient,
    book,
    booked,
    iso,
    local_slot,
)

ZONE = "America/Bogota"
LIMA = "America/Lima"


@pytest.fixture
def clinic(server: ApiServer, api: httpx.Client) -> dict[str, Any]:
    """Colombia with doctors A and B and patients P1 and P2, each with one appointment
    (P1 with A, P2 with B); Peru with a doctor and a patient of its own."""
    add_country(api, "CO", timeZones=[ZONE], rules={"slotMinutes": 30, "bookingMode": "sync"})
    add_country(api, "PE", timeZones=[LIMA], rules={"slotMinutes": 30, "bookingMode": "sync"})
    world: dict[str, Any] = {
        "A": add_doctor(api, "CO", timeZone=ZONE)["doctorId"],
        "B": add_doctor(api, "CO", timeZone=ZONE)["doctorId"],
        "P1": add_patient(api, "CO"),
        "P2": add_patient(api, "CO"),
        "start": local_slot(server, "CO", ZONE, weekday=1, at=time(9, 0)),
        "pe_doctor": add_doctor(api, "PE", timeZone=LIMA)["doctorId"],
        "pe_patient": add_patient(api, "PE"),
    }
    world["a1"] = booked(api, world["A"], world["P1"], world["start"])["appointmentId"]
    world["b2"] = booked(api, world["B"], world["P2"], world["start"])["appointmentId"]
    world["pe"] = booked(api, world["pe_doctor"], world["pe_patient"], world["start"])[
        "appointmentId"
    ]
    return world


def ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {a["appointmentId"] for a in response.json()["items"]}


def test_a_patient_books_only_for_themself(server: ApiServer, clinic: dict[str, Any]) -> None:
    patient = account(server, "patient", "CO", patient_id=clinic["P1"])
    later = clinic["start"] + timedelta(hours=2)

    for_other = book(patient, clinic["A"], clinic["P2"], later)
    assert for_other.status_code == 404, for_other.text
    hold_for_other = patient.post(
        "/holds", json={"doctorId": clinic["A"], "patientId": clinic["P2"], "start": iso(later)}
    )
    assert hold_for_other.status_code == 404, hold_for_other.text

    for_self = book(patient, clinic["A"], clinic["P1"], later)
    assert for_self.status_code == 201, for_self.text
    assert for_self.json()["patientId"] == clinic["P1"]


def test_a_patient_sees_only_their_own_appointments(
    server: ApiServer, clinic: dict[str, Any]
) -> None:
    patient = account(server, "patient", "CO", patient_id=clinic["P1"])

    assert ids(patient.get("/appointments")) == {clinic["a1"]}
    assert ids(patient.get("/appointments", params={"countryId": "CO"})) == {clinic["a1"]}
    # Asking for someone else's appointments finds none (not their own instead).
    assert ids(patient.get("/appointments", params={"patientId": clinic["P2"]})) == set()
    assert ids(patient.get("/appointments", params={"doctorId": clinic["B"]})) == set()
    assert patient.get(f"/appointments/{clinic['a1']}").status_code == 200
    other = patient.get(f"/appointments/{clinic['b2']}")
    missing = patient.get("/appointments/does-not-exist")
    assert other.status_code == missing.status_code == 404
    assert ids(patient.get(f"/appointments/country/CO/doctor/{clinic['B']}")) == set()
    # A patient may cancel their own appointment but not check it in.
    assert patient.post(f"/appointments/{clinic['a1']}/check-in").status_code == 403
    assert patient.post(f"/appointments/{clinic['b2']}/cancel").status_code == 404


def test_a_doctor_sees_only_their_own_schedule(server: ApiServer, clinic: dict[str, Any]) -> None:
    doctor = account(server, "doctor", "CO", practitioner_id=clinic["A"])

    assert ids(doctor.get("/appointments")) == {clinic["a1"]}
    assert ids(doctor.get("/appointments", params={"doctorId": clinic["B"]})) == set()
    assert ids(doctor.get("/appointments", params={"patientId": clinic["P2"]})) == set()
    assert ids(doctor.get(f"/appointments/country/CO/doctor/{clinic['A']}")) == {clinic["a1"]}
    assert ids(doctor.get(f"/appointments/country/CO/doctor/{clinic['B']}")) == set()
    assert doctor.get(f"/appointments/{clinic['a1']}").status_code == 200
    assert doctor.get(f"/appointments/{clinic['b2']}").status_code == 404
    assert doctor.post(f"/appointments/{clinic['b2']}/check-in").status_code == 404
    # Into their own schedule they may book; into a colleague's they may not.
    later = clinic["start"] + timedelta(hours=2)
    assert book(doctor, clinic["A"], clinic["P2"], later).status_code == 201
    assert book(doctor, clinic["B"], clinic["P1"], later).status_code == 403


def test_staff_of_another_country_neither_book_nor_see(
    server: ApiServer, clinic: dict[str, Any]
) -> None:
    peru_staff = account(server, "staff", "PE")
    colombia_staff = account(server, "staff", "CO")
    later = clinic["start"] + timedelta(hours=2)

    refused = book(peru_staff, clinic["A"], clinic["P1"], later)
    assert refused.status_code == 403, refused.text
    assert book(peru_staff, clinic["A"], clinic["pe_patient"], later).status_code == 403

    assert ids(peru_staff.get("/appointments")) == {clinic["pe"]}
    assert ids(peru_staff.get("/appointments", params={"countryId": "CO"})) == set()
    assert ids(peru_staff.get("/appointments", params={"doctorId": clinic["A"]})) == set()
    assert ids(peru_staff.get(f"/appointments/country/CO/doctor/{clinic['A']}")) == set()
    assert peru_staff.get(f"/appointments/{clinic['a1']}").status_code == 404
    assert peru_staff.post(f"/appointments/{clinic['a1']}/cancel").status_code == 404

    assert ids(colombia_staff.get("/appointments")) == {clinic["a1"], clinic["b2"]}
    assert book(colombia_staff, clinic["A"], clinic["P2"], later).status_code == 201


def test_without_a_token_nothing_is_answered(
    anonymous: httpx.Client, clinic: dict[str, Any]
) -> None:
    window = {"from": iso(clinic["start"]), "to": iso(clinic["start"] + timedelta(hours=4))}
    body = {"doctorId": clinic["A"], "patientId": clinic["P1"], "start": iso(clinic["start"])}
    responses = [
        anonymous.post("/appointments", json=body),
        anonymous.get("/appointments"),
        anonymous.get(f"/appointments/{clinic['a1']}"),
        anonymous.post(f"/appointments/{clinic['a1']}/cancel"),
        anonymous.get(f"/appointments/country/CO/doctor/{clinic['A']}"),
        anonymous.get(f"/doctors/{clinic['A']}/availability", params=window),
        anonymous.get("/availability", params={"countryId": "CO", **window}),
        anonymous.post("/holds", json=body),
        anonymous.get("/waitlist", params={"patientId": clinic["P1"]}),
    ]
    assert [r.status_code for r in responses] == [401] * len(responses)
    assert all(r.headers["Content-Type"] == "application/problem+json" for r in responses)
