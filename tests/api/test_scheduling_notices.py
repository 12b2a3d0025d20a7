"""Notices about appointments: the patient and the doctor are mailed in the country's
language, with ids, a time and a name, and never health data."""

from __future__ import annotations

from datetime import time
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import httpx

from tests.api.conftest import ApiServer
from tests.api.scheduling_world import (
    add_country,
    add_doctor,
    add_patient,
    book,
    eventually,
    local_slot,
    settled,
)
from tests.support.mailbox import messages_to

HEALTH_DATA = ("Diabetes", "44054006", "Penicillin", "diagn")


def subjects(server: ApiServer, address: str) -> list[str]:
    return [str(m["Subject"]) for m in messages_to(server.data_dir, address)]


def confirmed_mail(server: ApiServer, address: str, subject: str) -> EmailMessage:
    eventually(lambda: subject in subjects(server, address))
    return next(m for m in messages_to(server.data_dir, address) if m["Subject"] == subject)


def test_a_confirmed_booking_is_mailed_in_spanish_in_chile(
    server: ApiServer, api: httpx.Client
) -> None:
    zone = "America/Santiago"
    add_country(api, "CL")
    doctor = add_doctor(api, "CL", timeZone=zone, email="lorea@clinic.test", name="Dra. Lorea")
    patient_id = add_patient(api, "CL")  # with a condition and an allergy on record
    start = local_slot(server, "CL", zone, weekday=0, at=time(11, 0))
    response = book(api, doctor["doctorId"], patient_id, start)
    assert response.status_code == 202, response.text
    appointment_id = response.json()["appointmentId"]
    assert settled(api, appointment_id)["status"] == "confirmed"

    for address in (f"{patient_id}@patients.test", "lorea@clinic.test"):
        mail = confirmed_mail(server, address, "Cita confirmada")
        body = mail.get_content()
        assert appointment_id in body
        assert "Dra. Lorea" in body
        local = start.astimezone(ZoneInfo(zone))
        assert f"{local:%Y-%m-%d} 11:00 ({zone})" in body
        assert "está confirmada" in body
        text = f"{mail['Subject']}\n{body}"
        assert not any(word.lower() in text.lower() for word in HEALTH_DATA)
    assert not any("confirmed" in s.lower() for s in subjects(server, "lorea@clinic.test"))


def test_a_booking_in_the_united_states_is_mailed_in_english(
    server: ApiServer, api: httpx.Client
) -> None:
    zone = "America/Chicago"
    add_country(api, "US")
    doctor = add_doctor(api, "US", timeZone=zone, email="smith@clinic.test")
    patient_id = add_patient(api, "US")
    start = local_slot(server, "US", zone, weekday=3, at=time(9, 0))
    response = book(api, doctor["doctorId"], patient_id, start)
    assert response.status_code == 201, response.text

    eventually(lambda: len(subjects(server, f"{patient_id}@patients.test")) >= 1)
    eventually(lambda: len(subjects(server, "smith@clinic.test")) >= 1)
    for address in (f"{patient_id}@patients.test", "smith@clinic.test"):
        mail = messages_to(server.data_dir, address)[-1]
        body = mail.get_content()
        assert response.json()["appointmentId"] in body
        assert "confirmed" in f"{mail['Subject']} {body}".lower()
        assert "confirmada" not in body
        assert not any(word.lower() in body.lower() for word in HEALTH_DATA)
