"""Appointments as Appointment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carehub.fhir.resources.appointment import APPOINTMENT_STATUS_SYSTEM, appointment_resource
from carehub.scheduling.model import Action, Appointment, Status, Transition
from tests.support.fhir_checks import validated

START = datetime(2031, 3, 12, 14, 30, tzinfo=UTC)
BOOKED = datetime(2031, 3, 10, 12, 0, 0, 250000, tzinfo=UTC)


def an_appointment(status: Status = Status.CONFIRMED, reason: str | None = None) -> Appointment:
    return Appointment(
        id="01890000-0000-7000-8000-000000000001",
        country_id="PE",
        doctor_id="dr-ana",
        patient_id="p-1",
        start=START,
        end=START + timedelta(minutes=30),
        time_zone="America/Lima",
        status=status,
        mode="sync",
        claim_id="claim-1",
        history=(
            Transition(BOOKED, "user-ana", "create", None, Status.REQUESTED),
            Transition(BOOKED, "staff-1", "confirm", Status.REQUESTED, status, reason),
        ),
        version=2,
        created_at=BOOKED,
        updated_at=BOOKED + timedelta(minutes=5),
    )


@pytest.mark.parametrize(
    ("status", "fhir_status"),
    [
        (Status.REQUESTED, "proposed"),
        (Status.PENDING, "pending"),
        (Status.CONFIRMED, "booked"),
        (Status.CHECKED_IN, "checked-in"),
        (Status.COMPLETED, "fulfilled"),
        (Status.CANCELLED, "cancelled"),
        (Status.NO_SHOW, "noshow"),
        (Status.REJECTED, "cancelled"),
    ],
)
def test_every_status_is_fhirs(status: Status, fhir_status: str) -> None:
    resource = validated(appointment_resource(an_appointment(status)))

    assert resource["status"] == fhir_status


def test_an_appointment_has_its_times_and_who_takes_part() -> None:
    resource = validated(appointment_resource(an_appointment()))

    assert resource["start"] == "2031-03-12T14:30:00.000Z"
    assert resource["end"] == "2031-03-12T15:00:00.000Z"
    assert resource["minutesDuration"] == 30
    assert resource["created"] == "2031-03-10T12:00:00.250Z"
    assert resource["meta"] == {"versionId": "2", "lastUpdated": "2031-03-10T12:05:00.250Z"}
    assert [(p["actor"]["reference"], p["status"]) for p in resource["participant"]] == [
        ("Patient/p-1", "accepted"),
        ("Practitioner/dr-ana", "accepted"),
        ("Location/PE", "accepted"),
    ]
    assert "cancelationReason" not in resource


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (Status.REQUESTED, "needs-action"),
        (Status.PENDING, "needs-action"),
        (Status.REJECTED, "declined"),
    ],
)
def test_the_doctors_side_answers_once_the_time_is_confirmed(status: Status, answer: str) -> None:
    resource = validated(appointment_resource(an_appointment(status)))

    assert resource["participant"][1]["status"] == answer
    assert resource["participant"][0]["status"] == "accepted"


def test_a_cancellation_says_why() -> None:
    resource = validated(appointment_resource(an_appointment(Status.CANCELLED, "Travelling")))

    assert resource["cancelationReason"] == {"text": "Travelling"}


def test_a_rejection_is_a_cancellation_that_keeps_carehubs_word() -> None:
    rejected = validated(appointment_resource(an_appointment(Status.REJECTED, "Doctor away")))
    silent = validated(appointment_resource(an_appointment(Status.REJECTED)))

    coding = [{"system": APPOINTMENT_STATUS_SYSTEM, "code": "rejected"}]
    assert rejected["cancelationReason"] == {"coding": coding, "text": "Doctor away"}
    assert silent["cancelationReason"] == {"coding": coding}


def test_a_moved_appointment_is_mapped_as_it_stands() -> None:
    cancelled = an_appointment().moved(Action.CANCEL, actor_id="user-ana", at=BOOKED, reason="Ill")

    resource = validated(appointment_resource(cancelled))

    assert (resource["status"], resource["meta"]["versionId"]) == ("cancelled", "3")
    assert resource["cancelationReason"] == {"text": "Ill"}
