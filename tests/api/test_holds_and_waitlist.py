"""Holds keep a slot for one patient until booked or expired; the waitlist offers a freed
slot, as a hold, to who waits first, and to the next one when an offer lapses."""

from __future__ import annotations

from datetime import datetime, time, timedelta
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
    eventually,
    iso,
    local_slot,
    slot_starts,
)
from tests.support.mailbox import messages_to

ZONE = "America/Mexico_City"
HOLD_MINUTES = 10
OFFER_MINUTES = 15


@pytest.fixture
def clinic(server: ApiServer, api: httpx.Client) -> dict[str, Any]:
    """Mexico (synchronous, Spanish, 30-minute slots), a doctor, patients A, B and C, and a
    Tuesday at 10:00 local time."""
    add_country(api, "MX", timeZones=[ZONE], rules={"slotMinutes": 30, "bookingMode": "sync"})
    return {
        "doctor": add_doctor(api, "MX", timeZone=ZONE)["doctorId"],
        "A": add_patient(api, "MX"),
        "B": add_patient(api, "MX"),
        "C": add_patient(api, "MX"),
        "start": local_slot(server, "MX", ZONE, weekday=1, at=time(10, 0)),
    }


def hold(client: httpx.Client, doctor_id: str, patient_id: str, start: datetime) -> httpx.Response:
    body = {"doctorId": doctor_id, "patientId": patient_id, "start": iso(start)}
    return client.post("/holds", json=body)


def status_of(client: httpx.Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def test_a_hold_keeps_the_slot_for_its_patient(
    server: ApiServer, api: httpx.Client, clinic: dict[str, Any]
) -> None:
    doctor, start = clinic["doctor"], clinic["start"]
    patient_a = account(server, "patient", "MX", patient_id=clinic["A"])
    patient_b = account(server, "patient", "MX", patient_id=clinic["B"])

    placed = hold(patient_a, doctor, clinic["A"], start)

    assert placed.status_code == 201, placed.text
    kept = placed.json()
    assert kept["status"] == "active"
    assert kept["patientId"] == clinic["A"]
    expires = datetime.fromisoformat(kept["expiresAt"])
    now = server.clock.now()
    assert (
        now + timedelta(minutes=HOLD_MINUTES - 1) < expires <= now + timedelta(minutes=HOLD_MINUTES)
    )
    assert start not in slot_starts(api, doctor, start, start + timedelta(hours=1))
    assert book(api, doctor, clinic["B"], start).status_code == 409
    assert hold(patient_b, doctor, clinic["B"], start).status_code == 409
    # Somebody else's hold is not theirs to book (nor to see).
    assert book(patient_b, doctor, clinic["B"], start, holdId=kept["holdId"]).status_code == 404
    assert patient_b.get(f"/holds/{kept['holdId']}").status_code == 404

    appointment = booked(patient_a, doctor, clinic["A"], start, holdId=kept["holdId"])

    assert appointment["patientId"] == clinic["A"]
    assert status_of(patient_a, f"/holds/{kept['holdId']}") == "booked"
    # A used hold books nothing more.
    again = book(api, doctor, clinic["A"], start + timedelta(hours=1), holdId=kept["holdId"])
    assert again.status_code in (409, 422), again.text


def test_an_expired_hold_frees_the_slot(
    server: ApiServer, api: httpx.Client, clinic: dict[str, Any]
) -> None:
    doctor, start = clinic["doctor"], clinic["start"]
    kept = hold(api, doctor, clinic["A"], start).json()
    assert book(api, doctor, clinic["B"], start).status_code == 409

    server.clock.advance(timedelta(minutes=HOLD_MINUTES, seconds=5))
    eventually(lambda: status_of(api, f"/holds/{kept['holdId']}") == "expired")

    assert start in slot_starts(api, doctor, start, start + timedelta(hours=1))
    late = book(api, doctor, clinic["A"], start, holdId=kept["holdId"])
    assert late.status_code == 409, late.text
    booked(api, doctor, clinic["B"], start)


def test_a_released_hold_frees_the_slot_at_once(api: httpx.Client, clinic: dict[str, Any]) -> None:
    doctor, start = clinic["doctor"], clinic["start"]
    kept = hold(api, doctor, clinic["A"], start).json()

    released = api.delete(f"/holds/{kept['holdId']}")

    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    booked(api, doctor, clinic["B"], start)


def join(client: httpx.Client, patient_id: str, doctor_id: str, start: datetime) -> str:
    body = {
        "patientId": patient_id,
        "doctorId": doctor_id,
        "earliest": iso(start - timedelta(days=1)),
        "latest": iso(start + timedelta(days=1)),
    }
    response = client.post("/waitlist", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "waiting"
    entry_id: str = response.json()["entryId"]
    return entry_id


def offered_hold(client: httpx.Client, entry_id: str) -> dict[str, Any]:
    """Wait until the entry holds an offer; return the offered hold."""
    eventually(lambda: status_of(client, f"/waitlist/{entry_id}") == "offered")
    entry = client.get(f"/waitlist/{entry_id}").json()
    assert entry["offeredHoldId"]
    response = client.get(f"/holds/{entry['offeredHoldId']}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_a_freed_slot_is_offered_to_who_waits_first_then_to_the_next(
    server: ApiServer, api: httpx.Client, clinic: dict[str, Any]
) -> None:
    doctor, start = clinic["doctor"], clinic["start"]
    appointment_id = booked(api, doctor, clinic["A"], start)["appointmentId"]
    patient_b = account(server, "patient", "MX", patient_id=clinic["B"])
    # Signed in now: tokens issued by the moved clock would look issued in the future.
    patient_c = account(server, "patient", "MX", patient_id=clinic["C"])
    first = join(patient_b, clinic["B"], doctor, start)
    second = join(api, clinic["C"], doctor, start)
    assert [
        e["entryId"] for e in patient_b.get(f"/waitlist?patientId={clinic['B']}").json()["items"]
    ] == [first]

    cancelled = api.post(f"/appointments/{appointment_id}/cancel", json={"reason": "travel"})
    assert cancelled.status_code == 200, cancelled.text

    offer = offered_hold(patient_b, first)
    assert offer["patientId"] == clinic["B"]
    assert offer["status"] == "active"
    assert offer["waitlistEntryId"] == first
    assert datetime.fromisoformat(offer["start"]) == start
    expires = datetime.fromisoformat(offer["expiresAt"])
    assert expires - server.clock.now() <= timedelta(minutes=OFFER_MINUTES)
    assert expires - server.clock.now() > timedelta(minutes=OFFER_MINUTES - 1)
    assert status_of(api, f"/waitlist/{second}") == "waiting"
    assert book(api, doctor, clinic["C"], start).status_code == 409  # it is B's for now
    b_mail = f"{clinic['B']}@patients.test"
    eventually(
        lambda: any(
            m["Subject"] == "Hay un horario disponible"
            for m in messages_to(server.data_dir, b_mail)
        )
    )

    server.clock.advance(timedelta(minutes=OFFER_MINUTES, seconds=5))

    offer_c = offered_hold(api, second)
    assert offer_c["patientId"] == clinic["C"]
    assert datetime.fromisoformat(offer_c["start"]) == start
    assert status_of(api, f"/holds/{offer['holdId']}") == "expired"
    assert status_of(api, f"/waitlist/{first}") == "waiting"  # back in line for other slots

    taken = booked(patient_c, doctor, clinic["C"], start, holdId=offer_c["holdId"])
    assert taken["patientId"] == clinic["C"]
    assert status_of(api, f"/waitlist/{second}") == "booked"
