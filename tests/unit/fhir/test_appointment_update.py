"""What a PUT of an Appointment asks of the stored appointment: a move of its status
through the lifecycle's actions, and nothing else (each other change refused by name)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from carehub.fhir.appointment_update import requested_move
from carehub.fhir.resources.appointment import appointment_resource
from carehub.fhir.schemas.appointment_update import AppointmentUpdate
from carehub.kernel.errors import Invalid
from carehub.scheduling.model import Action, Status
from tests.unit.fhir.test_appointment import an_appointment


def sent(stored: Status = Status.CONFIRMED, **changes: Any) -> AppointmentUpdate:
    """The appointment as carehub serves it, with `changes` over it."""
    return AppointmentUpdate.model_validate(
        {**appointment_resource(an_appointment(stored)), **changes}
    )


def test_what_was_read_sent_back_asks_for_nothing() -> None:
    for status in Status:
        assert requested_move(an_appointment(status), sent(status)).action is None


@pytest.mark.parametrize(
    ("fhir_status", "action"),
    [
        ("cancelled", Action.CANCEL),
        ("checked-in", Action.CHECK_IN),
        ("fulfilled", Action.COMPLETE),
        ("noshow", Action.NO_SHOW),
    ],
)
def test_a_new_status_is_the_action_that_moves_there(fhir_status: str, action: Action) -> None:
    assert requested_move(an_appointment(), sent(status=fhir_status)).action is action


def test_a_cancellation_gives_its_reason_as_text() -> None:
    move = requested_move(
        an_appointment(), sent(status="cancelled", cancelationReason={"text": "Travelling"})
    )

    assert (move.action, move.reason) == (Action.CANCEL, "Travelling")


@pytest.mark.parametrize(
    ("changes", "elements"),
    [
        ({"start": "2031-03-12T15:00:00Z"}, ["start"]),
        ({"end": "2031-03-12T15:30:00Z", "minutesDuration": 60}, ["end", "minutesDuration"]),
        ({"end": None}, ["end"]),
        ({"created": "2031-03-01T00:00:00Z"}, ["created"]),
        (
            {
                "participant": [
                    {"actor": {"reference": "Patient/p-2"}, "status": "accepted"},
                    {"actor": {"reference": "Practitioner/dr-ana"}, "status": "accepted"},
                    {"actor": {"reference": "Location/PE"}, "status": "accepted"},
                ]
            },
            ["participant"],
        ),
        (
            {"participant": [{"actor": {"reference": "Patient/p-1"}, "status": "accepted"}]},
            ["participant"],
        ),
        ({"id": "another"}, ["id"]),
        ({"status": "booked", "cancelationReason": {"text": "Why"}}, ["cancelationReason"]),
        ({"status": "arrived"}, ["status"]),
        ({"status": "proposed"}, ["status"]),
        ({"status": "noshow", "cancelationReason": {"text": "Why"}}, ["cancelationReason"]),
        (
            {
                "status": "cancelled",
                "cancelationReason": {"coding": [{"system": "urn:x", "code": "x"}]},
            },
            ["cancelationReason.coding"],
        ),
    ],
)
def test_any_other_change_is_refused_naming_the_element(
    changes: dict[str, Any], elements: list[str]
) -> None:
    with pytest.raises(Invalid) as refused:
        requested_move(an_appointment(), sent(**changes))

    assert [e.field for e in refused.value.errors] == elements


def test_a_rescheduling_is_pointed_to_its_own_request() -> None:
    with pytest.raises(Invalid) as refused:
        requested_move(an_appointment(), sent(start="2031-03-12T15:00:00Z"))

    assert "/reschedule" in refused.value.errors[0].message


def test_the_same_instant_written_otherwise_is_no_change() -> None:
    move = requested_move(
        an_appointment(), sent(start="2031-03-12T09:30:00-05:00", end="2031-03-12T15:00:00Z")
    )

    assert move.action is None


@pytest.mark.parametrize(
    "changes",
    [
        {"comment": "Bring the scans"},
        {"status": "later"},
        {"minutesDuration": "30"},
        {"participant": []},
        {"cancelationReason": {"text": "x" * 501}},
    ],
)
def test_what_carehub_does_not_serve_is_refused_as_it_is_read(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        sent(**changes)
