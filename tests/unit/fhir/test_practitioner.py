"""Doctors as Practitioner and PractitionerRole."""

from __future__ import annotations

from carehub.fhir.resources.practitioner import (
    LICENSE_SYSTEM,
    practitioner_name,
    practitioner_resource,
    practitioner_role_resource,
)
from carehub.fhir.wire import DOCTOR_SYSTEM
from carehub.kernel.calendar import TimeWindow, WeeklyWindow
from tests.support.doctor_records import a_doctor
from tests.support.fhir_checks import validated


def test_a_practitioner_has_the_doctors_identifiers_name_and_contact() -> None:
    resource = validated(practitioner_resource(a_doctor()))

    assert resource["id"] == "dr-ana"
    assert resource["meta"] == {"versionId": "3", "lastUpdated": "2031-03-10T12:00:00.000Z"}
    assert resource["active"] is True
    assert [(i["system"], i["value"]) for i in resource["identifier"]] == [
        (LICENSE_SYSTEM, "CMP 012345"),
        (DOCTOR_SYSTEM, "dr-ana"),
    ]
    assert resource["identifier"][0]["type"]["coding"][0]["code"] == "MD"
    assert resource["name"] == [
        {
            "text": "Dra. Ana María Pérez",
            "family": "Pérez",
            "given": ["Ana", "María"],
            "prefix": ["Dra."],
        }
    ]
    assert resource["telecom"] == [
        {"system": "email", "value": "ana.perez@clinic.example", "use": "work"},
        {"system": "phone", "value": "+51 1 555 0100", "use": "work"},
    ]


def test_what_a_doctor_lacks_is_absent() -> None:
    doctor = a_doctor(license=None, email=None, phone=None, weekly=(), overrides=(), active=False)

    practitioner = validated(practitioner_resource(doctor))
    role = validated(practitioner_role_resource(doctor))

    assert practitioner["identifier"] == [{"system": DOCTOR_SYSTEM, "value": "dr-ana"}]
    assert "telecom" not in practitioner
    assert practitioner["active"] is False and role["active"] is False
    assert "availableTime" not in role and "notAvailable" not in role


def test_a_name_is_split_into_its_parts() -> None:
    assert practitioner_name("Dr  House") == {
        "text": "Dr House",
        "family": "House",
        "prefix": ["Dr"],
    }
    assert practitioner_name("Dr") == {"text": "Dr", "family": "Dr"}
    assert practitioner_name("Luis Gómez") == {
        "text": "Luis Gómez",
        "family": "Gómez",
        "given": ["Luis"],
    }


def test_a_role_names_the_doctor_the_country_and_the_specialty() -> None:
    role = validated(practitioner_role_resource(a_doctor()))

    assert role["id"] == "dr-ana"
    assert role["practitioner"] == {"reference": "Practitioner/dr-ana"}
    assert role["organization"] == {"reference": "Organization/PE"}
    assert role["location"] == [{"reference": "Location/PE"}]
    assert role["specialty"] == [{"text": "Cardiología"}]


def test_a_roles_weekly_hours_group_the_days_sharing_a_window() -> None:
    role = validated(practitioner_role_resource(a_doctor()))

    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    assert role["availableTime"] == [
        {"daysOfWeek": weekdays, "availableStartTime": "08:00:00", "availableEndTime": "13:00:00"},
        {"daysOfWeek": weekdays, "availableStartTime": "14:00:00", "availableEndTime": "18:00:00"},
        {"daysOfWeek": ["sat"], "availableStartTime": "09:00:00", "availableEndTime": "13:00:00"},
    ]
    # Only a whole day off is "not available"; changed hours are the slots' business.
    assert role["notAvailable"] == [
        {"description": "Day off", "during": {"start": "2031-03-18", "end": "2031-03-18"}}
    ]


def test_hours_to_midnight_end_at_the_last_second_and_a_whole_day_is_all_day() -> None:
    doctor = a_doctor(
        weekly=(
            WeeklyWindow(0, TimeWindow(20 * 60, 24 * 60)),
            WeeklyWindow(6, TimeWindow(0, 24 * 60)),
        )
    )

    role = validated(practitioner_role_resource(doctor))

    assert role["availableTime"] == [
        {"daysOfWeek": ["mon"], "availableStartTime": "20:00:00", "availableEndTime": "23:59:59"},
        {"daysOfWeek": ["sun"], "allDay": True},
    ]
