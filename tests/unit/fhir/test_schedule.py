"""A doctor's Schedule, its Slots and their ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from carehub.fhir.resources.schedule import (
    parse_slot_id,
    schedule_resource,
    slot_id,
    slot_resource,
)
from carehub.kernel.ids import new_id
from tests.support.doctor_records import a_doctor
from tests.support.fhir_checks import validated

START = datetime(2031, 3, 12, 9, 30, tzinfo=ZoneInfo("America/Lima"))


def test_a_schedule_is_the_doctors_at_their_countrys_clinics() -> None:
    resource = validated(schedule_resource(a_doctor()))

    assert resource["id"] == "dr-ana"
    assert resource["active"] is True
    assert resource["actor"] == [
        {"reference": "Practitioner/dr-ana"},
        {"reference": "Location/PE"},
    ]
    assert resource["specialty"] == [{"text": "Cardiología"}]
    assert "planningHorizon" not in resource


def test_a_schedules_horizon_is_there_when_the_caller_knows_it() -> None:
    today = datetime(2031, 3, 10, tzinfo=UTC)

    resource = validated(
        schedule_resource(a_doctor(), planning_horizon=(today, today + timedelta(days=60)))
    )

    assert resource["planningHorizon"] == {
        "start": "2031-03-10T00:00:00.000Z",
        "end": "2031-05-09T00:00:00.000Z",
    }


def test_a_slot_is_in_the_doctors_schedule_with_its_times_in_utc() -> None:
    resource = validated(slot_resource("dr-ana", START, START + timedelta(minutes=30), "free"))

    assert resource["id"] == "dr-ana.203103121430"
    assert resource["schedule"] == {"reference": "Schedule/dr-ana"}
    assert (resource["start"], resource["end"]) == (
        "2031-03-12T14:30:00.000Z",
        "2031-03-12T15:00:00.000Z",
    )
    assert resource["status"] == "free"


def test_a_slot_id_reads_back_as_its_doctor_and_start() -> None:
    doctor_id = new_id()

    resource_id = slot_id(doctor_id, START)

    assert len(resource_id) == 49
    assert parse_slot_id(resource_id) == (doctor_id, START.astimezone(UTC))
    assert parse_slot_id(slot_id("dr.ana", START)) == ("dr.ana", START)
    assert parse_slot_id(slot_id("d" * 51, START)) == ("d" * 51, START)


@pytest.mark.parametrize(
    "resource_id",
    [
        "dr-ana",
        "dr-ana.2031031214",
        ".203103121430",
        "dr_ana.203103121430",
        "dr-ana.203113121430",  # a 13th month
        "dr-ana.203103121430.5",
        f"{'d' * 52}.203103121430",
    ],
)
def test_what_is_not_a_slot_id_is_not_read(resource_id: str) -> None:
    assert parse_slot_id(resource_id) is None
