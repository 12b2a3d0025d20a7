"""Small builders the scheduling API tests share: countries, doctors, patients, accounts
linked to them, and future local times turned into UTC."""

from __future__ import annotations

import time as clock
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

import carehub.countries.rulesets  # noqa: F401  (registers the shipped countries' calendars)
from carehub.countries.rules import rules_for
from tests.api.conftest import ApiServer
from tests.support.auth import sign_in
from tests.support.world import PASSWORD, patient_body

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def add_country(api: httpx.Client, code: str, **fields: Any) -> dict[str, Any]:
    """Create a country (201) and return it."""
    response = api.post("/countries", json={"code": code, "name": code, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def add_doctor(
    api: httpx.Client,
    country_id: str,
    *,
    doctor_id: str | None = None,
    specialty: str = "Cardiology",
    hours: str = "09:00-17:00",
    days: tuple[str, ...] = WEEKDAYS[:5],
    **fields: Any,
) -> dict[str, Any]:
    """Create a doctor working `hours` on `days` (local time) and return them."""
    start, end = hours.split("-")
    body = {
        "doctorId": doctor_id or f"dr-{uuid.uuid4().hex[:10]}",
        "name": "Dr. Test",
        "specialty": specialty,
        "countryId": country_id,
        "weeklyAvailability": [{"day": d, "start": start, "end": end} for d in days],
        **fields,
    }
    response = api.post("/doctors", json=body)
    assert response.status_code == 201, response.text
    doctor: dict[str, Any] = response.json()
    return doctor


def add_patient(api: httpx.Client, country_id: str, **fields: Any) -> str:
    """Register a patient (as the admin) and return their id."""
    patient_id = fields.pop("patientId", f"pt-{uuid.uuid4().hex[:10]}")
    fields.setdefault("email", f"{patient_id}@patients.test")
    body = patient_body(country_id, patientId=patient_id, **fields)
    response = api.post("/patients", json=body)
    assert response.status_code == 201, response.text
    return patient_id


def account(
    server: ApiServer,
    role: str,
    country_id: str | None = None,
    *,
    patient_id: str | None = None,
    practitioner_id: str | None = None,
) -> httpx.Client:
    """A client signed in as a new user of `role`, linked to a patient or a doctor."""
    email = f"{role}-{uuid.uuid4().hex[:12]}@scheduling.test"
    body: dict[str, Any] = {"email": email, "role": role, "password": PASSWORD}
    if country_id is not None:
        body["countryId"] = country_id
    if patient_id is not None:
        body["patientId"] = patient_id
    if practitioner_id is not None:
        body["practitionerId"] = practitioner_id
    with server.client() as admin:
        response = admin.post("/users", json=body)
    assert response.status_code == 201, response.text
    return server.client(sign_in(server.base_url, email, PASSWORD))


def local_slot(
    server: ApiServer,
    code: str,
    zone: str,
    *,
    weekday: int = 0,
    at: time = time(11, 0),
    weeks_ahead: int = 0,
    min_days: int = 3,
) -> datetime:
    """The next `weekday` (0 = Monday) at least `min_days` after the server's today that is
    neither a public holiday of `code` nor the eve of one, at local `at`, in UTC."""
    tz = ZoneInfo(zone)
    today = server.clock.now().astimezone(tz).date()
    day = today + timedelta(days=min_days)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    found = 0
    while True:
        if not (_closed(code, day) or _closed(code, day + timedelta(days=1))):
            if found == weeks_ahead:
                break
            found += 1
        day += timedelta(days=7)
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _closed(code: str, day: date) -> bool:
    return day in rules_for(code).public_holidays(day.year)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def book(
    client: httpx.Client, doctor_id: str, patient_id: str, start: datetime, **fields: Any
) -> httpx.Response:
    body = {"doctorId": doctor_id, "patientId": patient_id, "start": iso(start), **fields}
    return client.post("/appointments", json=body)


def booked(
    client: httpx.Client, doctor_id: str, patient_id: str, start: datetime, **fields: Any
) -> dict[str, Any]:
    """Book in a synchronous country: 201 and confirmed."""
    response = book(client, doctor_id, patient_id, start, **fields)
    assert response.status_code == 201, response.text
    appointment: dict[str, Any] = response.json()
    assert appointment["status"] == "confirmed"
    return appointment


def slot_starts(
    client: httpx.Client, doctor_id: str, start: datetime, end: datetime
) -> list[datetime]:
    """The free slot starts of a doctor in [start, end), in UTC."""
    response = client.get(
        f"/doctors/{doctor_id}/availability", params={"from": iso(start), "to": iso(end)}
    )
    assert response.status_code == 200, response.text
    return [datetime.fromisoformat(s["start"]) for s in response.json()["slots"]]


def eventually(check: Callable[[], bool], within: float = 15.0) -> None:
    """Return once `check()` is true (a consumer has acted); fail after `within` seconds.
    Synchronous, unlike `tests.support.waiting.until`, because these tests use blocking
    clients against a server running in another thread."""
    deadline = clock.monotonic() + within
    while not check():
        if clock.monotonic() > deadline:
            raise TimeoutError(f"still not true after {within} s")
        clock.sleep(0.05)


def settled(client: httpx.Client, appointment_id: str) -> dict[str, Any]:
    """Poll an appointment until the country's queue has confirmed or rejected it."""
    found: dict[str, Any] = {}

    def done() -> bool:
        response = client.get(f"/appointments/{appointment_id}")
        assert response.status_code == 200, response.text
        found.update(response.json())
        return found["status"] not in ("pending", "requested")

    eventually(done)
    return found


# A country booking at once, on weekdays 08:00-20:00: what most scheduling tests need.
WEEKDAY_SYNC_RULES = {
    "slotMinutes": 30,
    "minLeadMinutes": 60,
    "horizonDays": 90,
    "businessHours": ["Monday-Friday 08:00-20:00"],
    "cancellationWindowHours": 24,
    "bookingMode": "sync",
}
