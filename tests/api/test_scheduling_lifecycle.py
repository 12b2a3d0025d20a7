"""An appointment's life over HTTP: check-in and completion, refused moves, cancellations
and their window, rescheduling, double bookings, and what availability shows."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api.conftest import ApiServer
from tests.api.scheduling_world import (
    WEEKDAYS,
    account,
    add_country,
    add_doctor,
    add_patient,
    book,
    booked,
    iso,
    local_slot,
    slot_starts,
)

ZONE = "America/Mexico_City"
RULES = {
    "slotMinutes": 30,
    "minLeadMinutes": 60,
    "horizonDays": 90,
    "businessHours": ["Monday-Friday 08:00-20:00"],
    "cancellationWindowHours": 24,
    "bookingMode": "sync",
}


@pytest.fixture
def clinic(server: ApiServer, api: httpx.Client) -> dict[str, Any]:
    """Mexico (synchronous, 30-minute slots, a 24 h cancellation window), two doctors
    working 09:00-17:00 on weekdays, two patients and a Monday at 10:00 local time."""
    add_country(api, "MX", timeZones=[ZONE], rules=RULES)
    return {
        "doctor": add_doctor(api, "MX", timeZone=ZONE)["doctorId"],
        "other_doctor": add_doctor(api, "MX", timeZone=ZONE)["doctorId"],
        "patient": add_patient(api, "MX"),
        "other_patient": add_patient(api, "MX"),
        "start": local_slot(server, "MX", ZONE, weekday=0, at=time(10, 0)),
    }


def act(client: httpx.Client, appointment_id: str, action: str, **body: Any) -> httpx.Response:
    return client.post(f"/appointments/{appointment_id}/{action}", json=body)


def test_check_in_then_complete(api: httpx.Client, clinic: dict[str, Any]) -> None:
    appointment = booked(api, clinic["doctor"], clinic["patient"], clinic["start"])
    appointment_id = appointment["appointmentId"]

    checked_in = act(api, appointment_id, "check-in")
    assert checked_in.status_code == 200, checked_in.text
    assert checked_in.json()["status"] == "checked_in"
    completed = act(api, appointment_id, "complete", reason="seen")
    assert completed.status_code == 200, completed.text

    final = api.get(f"/appointments/{appointment_id}").json()
    assert final["status"] == "completed"
    assert [(h["action"], h["toStatus"]) for h in final["history"]][-2:] == [
        ("check-in", "checked_in"),
        ("complete", "completed"),
    ]
    assert final["history"][-1]["reason"] == "seen"
    assert final["version"] == appointment["version"] + 2


def test_an_illegal_move_is_refused_naming_the_allowed_actions(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    appointment_id = booked(api, clinic["doctor"], clinic["patient"], clinic["start"])[
        "appointmentId"
    ]

    refused = act(api, appointment_id, "complete")

    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert "confirmed" in detail and "complete" in detail
    assert "allowed: cancel, check-in, no-show, reschedule" in detail
    assert api.get(f"/appointments/{appointment_id}").json()["status"] == "confirmed"

    assert act(api, appointment_id, "no-show").status_code == 200
    after = act(api, appointment_id, "check-in")
    assert after.status_code == 409
    assert "allowed: none" in after.json()["detail"]
    # Reject belongs to the country's queue; reschedule has a route of its own.
    assert act(api, appointment_id, "reject").status_code == 422


def test_cancelling_inside_the_window_needs_an_admin_override(
    server: ApiServer, api: httpx.Client, clinic: dict[str, Any]
) -> None:
    staff = account(server, "staff", "MX")
    early = booked(api, clinic["doctor"], clinic["patient"], clinic["start"])["appointmentId"]
    later_start = clinic["start"] + timedelta(hours=2)
    late = booked(api, clinic["doctor"], clinic["other_patient"], later_start)["appointmentId"]
    # Well before the window, staff cancel freely.
    assert act(staff, late, "cancel", reason="patient asked").status_code == 200

    # Three hours before the start: inside the 24 h window.
    server.clock.offset = clinic["start"] - timedelta(hours=3) - datetime.now(UTC)

    refused = act(staff, early, "cancel", reason="patient asked")
    assert refused.status_code == 409, refused.text
    assert "24 h" in refused.json()["detail"]
    assert act(staff, early, "cancel", override=True).status_code == 403
    assert act(api, early, "cancel").status_code == 409  # an admin must ask for the override
    assert api.get(f"/appointments/{early}").json()["status"] == "confirmed"

    overridden = act(api, early, "cancel", reason="doctor ill", override=True)
    assert overridden.status_code == 200, overridden.text
    assert overridden.json()["status"] == "cancelled"
    assert overridden.json()["statusReason"] == "doctor ill"

    trail = api.get("/audit", params={"patientId": clinic["patient"]}).json()["items"]
    steps = [(e["action"], e["outcome"], e["actorRole"]) for e in trail if e["resourceId"] == early]
    assert ("appointment.cancel_override", "allowed", "admin") in steps
    assert ("appointment.cancel", "failed", "staff") in steps
    assert ("appointment.cancel", "denied", "staff") in steps


def test_reschedule_frees_the_old_slot_and_takes_the_new_one(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    start = clinic["start"]
    new_start = start + timedelta(hours=3)
    appointment_id = booked(api, clinic["doctor"], clinic["patient"], start)["appointmentId"]
    day = (start - timedelta(hours=2), start + timedelta(hours=6))
    assert start not in slot_starts(api, clinic["doctor"], *day)

    moved = api.post(
        f"/appointments/{appointment_id}/reschedule",
        json={"start": iso(new_start), "reason": "clash"},
    )

    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert datetime.fromisoformat(body["start"]) == new_start
    assert datetime.fromisoformat(body["end"]) == new_start + timedelta(minutes=30)
    assert body["status"] == "confirmed"
    assert body["history"][-1]["action"] == "reschedule"
    free = slot_starts(api, clinic["doctor"], *day)
    assert start in free
    assert new_start not in free
    # The old time is bookable again, the new one is not.
    booked(api, clinic["doctor"], clinic["other_patient"], start)
    taken = book(api, clinic["doctor"], clinic["other_patient"], new_start)
    assert taken.status_code == 409, taken.text


def test_a_rescheduling_onto_a_taken_slot_is_refused_and_keeps_the_old_time(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    start = clinic["start"]
    mine = booked(api, clinic["doctor"], clinic["patient"], start)["appointmentId"]
    booked(api, clinic["doctor"], clinic["other_patient"], start + timedelta(hours=1))

    refused = api.post(
        f"/appointments/{mine}/reschedule", json={"start": iso(start + timedelta(hours=1))}
    )

    assert refused.status_code == 409, refused.text
    kept = api.get(f"/appointments/{mine}").json()
    assert datetime.fromisoformat(kept["start"]) == start
    assert book(api, clinic["doctor"], clinic["other_patient"], start).status_code == 409


def test_a_slot_is_booked_once(api: httpx.Client, clinic: dict[str, Any]) -> None:
    booked(api, clinic["doctor"], clinic["patient"], clinic["start"])

    second = book(api, clinic["doctor"], clinic["other_patient"], clinic["start"])
    overlapping = book(
        api, clinic["doctor"], clinic["other_patient"], clinic["start"] + timedelta(minutes=15)
    )

    assert second.status_code == 409, second.text
    assert "doctor" in second.json()["detail"].lower()
    assert overlapping.status_code == 409, overlapping.text
    listed = api.get("/appointments", params={"doctorId": clinic["doctor"]}).json()["items"]
    assert [a["patientId"] for a in listed] == [clinic["patient"]]


def test_a_patient_is_not_double_booked_with_another_doctor(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    booked(api, clinic["doctor"], clinic["patient"], clinic["start"])

    overlapping = book(
        api, clinic["other_doctor"], clinic["patient"], clinic["start"] + timedelta(minutes=15)
    )

    assert overlapping.status_code == 409, overlapping.text
    assert "patient" in overlapping.json()["detail"].lower()
    # Right after the first one ends is fine.
    booked(api, clinic["other_doctor"], clinic["patient"], clinic["start"] + timedelta(minutes=30))


def test_availability_leaves_out_booked_slots_and_shows_local_times(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    start = clinic["start"]
    zone = ZoneInfo(ZONE)
    local_day = start.astimezone(zone).replace(hour=0)
    window = {"from": iso(local_day), "to": iso(local_day + timedelta(days=1))}
    before = api.get(f"/doctors/{clinic['doctor']}/availability", params=window)
    assert before.status_code == 200, before.text
    slots = before.json()["slots"]
    assert before.json()["timeZone"] == ZONE
    assert before.json()["slotMinutes"] == 30
    # 09:00-17:00 in 30-minute slots, shown in the doctor's zone.
    local = [datetime.fromisoformat(s["startLocal"]) for s in slots]
    assert [t.strftime("%H:%M") for t in local][:3] == ["09:00", "09:30", "10:00"]
    assert len(slots) == 16
    for slot, shown in zip(slots, local, strict=True):
        assert shown == datetime.fromisoformat(slot["start"])
        assert (
            shown.utcoffset() == datetime.fromisoformat(slot["start"]).astimezone(zone).utcoffset()
        )

    booked(api, clinic["doctor"], clinic["patient"], start)

    after = slot_starts(api, clinic["doctor"], local_day, local_day + timedelta(days=1))
    assert len(after) == 15
    assert start not in after
    by_specialty = api.get(
        "/availability", params={"countryId": "MX", "specialty": "cardiology", **window}
    )
    assert by_specialty.status_code == 200, by_specialty.text
    doctors = {d["doctorId"]: d for d in by_specialty.json()["items"]}
    assert set(doctors) == {clinic["doctor"], clinic["other_doctor"]}
    assert len(doctors[clinic["doctor"]]["slots"]) == 15
    assert len(doctors[clinic["other_doctor"]]["slots"]) == 16


def test_availability_across_a_change_of_offset_shows_each_slot_in_its_own_offset(
    server: ApiServer, api: httpx.Client
) -> None:
    zone = ZoneInfo("America/New_York")
    always = {
        "minLeadMinutes": 0,
        "horizonDays": 730,
        "businessHours": ["Monday-Sunday 00:00-24:00"],
    }
    add_country(api, "US", timeZones=[zone.key], rules={**RULES, **always})
    doctor = add_doctor(api, "US", hours="00:00-24:00", days=WEEKDAYS, timeZone=zone.key)
    # the first UTC day, three or more days ahead, during which New York changes offset
    day = server.clock.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day += timedelta(days=3)
    while (
        day.astimezone(zone).utcoffset() == (day + timedelta(days=1)).astimezone(zone).utcoffset()
    ):
        day += timedelta(days=1)
    window = {"from": iso(day - timedelta(days=1)), "to": iso(day + timedelta(days=2))}

    response = api.get(f"/doctors/{doctor['doctorId']}/availability", params=window)

    assert response.status_code == 200, response.text
    slots = response.json()["slots"]
    assert len(slots) > 100
    for slot in slots:
        start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        assert slot["start"].endswith("Z")
        assert slot["startLocal"] == start.astimezone(zone).isoformat()
        assert slot["endLocal"] == end.astimezone(zone).isoformat()
    assert {s["startLocal"][-6:] for s in slots} == {"-05:00", "-04:00"}


def test_the_override_flag_is_audited_as_an_override_only_on_a_cancellation(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    appointment_id = booked(api, clinic["doctor"], clinic["patient"], clinic["start"])[
        "appointmentId"
    ]

    assert act(api, appointment_id, "check-in", override=True).status_code == 200

    trail = api.get("/audit", params={"patientId": clinic["patient"]}).json()["items"]
    actions = [e["action"] for e in trail if e["resourceId"] == appointment_id]
    assert "appointment.check_in" in actions
    assert "appointment.cancel_override" not in actions
