"""Medications over HTTP on every store: doctors and admins start them (the same active
code is a warning, never a refusal), stop them with a reason or complete them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.clinical_world import (
    METFORMIN,
    audited,
    body_of,
    error_fields,
    if_match,
    new_medication,
    people_fixture,  # noqa: F401 (the fixture `people`)
    problem,
    world_fixture,  # noqa: F401 (the fixture `world`)
)
from tests.api.conftest import ApiServer
from tests.support.world import People


def test_a_doctor_starts_a_medication_they_prescribe(server: ApiServer, world: People) -> None:
    doctor, p1 = world["doctor_a"], world.ids["P1"]
    response = new_medication(doctor.client, p1, start="2031-01-05", end="2031-02-05")
    medication = body_of(response, 201)
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Location"] == f"/patients/{p1}/medications/{medication['id']}"
    assert medication["prescriberId"] == doctor.practitioner_id
    assert (medication["status"], medication["dose"], medication["warnings"]) == ("active", 500, [])
    assert '"dose":500,' in response.text  # the number as sent, not 500.0
    assert (medication["start"], medication["end"]) == ("2031-01-05", "2031-02-05")
    today = server.clock.now().date().isoformat()
    assert body_of(new_medication(doctor.client, p1, code=None), 201)["start"] == today
    read = world["patient_p1"].client.get(f"/patients/{p1}/medications/{medication['id']}")
    assert body_of(read)["name"] == METFORMIN["name"] and read.headers["ETag"] == '"v1"'
    assert ("medication.start", "allowed", "medication") in audited(world, p1)


def test_the_same_active_code_twice_is_a_warning(world: People) -> None:
    doctor, p1 = world["doctor_a"].client, world.ids["P1"]
    first = body_of(new_medication(doctor, p1), 201)
    second = body_of(new_medication(doctor, p1, dose=850), 201)
    assert second["warnings"] == [{"code": "duplicate-active-code", "medicationId": first["id"]}]
    active = body_of(doctor.get(f"/patients/{p1}/medications", params={"status": "active"}))
    assert [m["id"] for m in active["items"]] == [second["id"], first["id"]]


def test_only_doctors_and_admins_start_one_and_admins_name_the_prescriber(world: People) -> None:
    p1 = world.ids["P1"]
    for role in ("staff_pe", "patient_p1"):
        assert problem(new_medication(world[role].client, p1), 403)
    assert ("medication.start", "denied", "medication") in audited(world, p1)
    admin = world["admin"].client
    assert error_fields(new_medication(admin, p1)) == ["prescriberId"]
    named = body_of(new_medication(admin, p1, prescriberId="pr-outside"), 201)
    assert named["prescriberId"] == "pr-outside"
    assert problem(new_medication(world["doctor_b"].client, p1), 404)


def test_stop_needs_a_reason_and_a_stopped_medication_stays_stopped(
    server: ApiServer, world: People
) -> None:
    doctor, p1 = world["doctor_a"].client, world.ids["P1"]
    started = new_medication(doctor, p1)
    path = f"/patients/{p1}/medications/{body_of(started, 201)['id']}"
    assert error_fields(doctor.post(f"{path}/stop", json={})) == ["reason"]
    assert error_fields(doctor.post(f"{path}/stop", json={"reason": " "})) == ["reason"]
    assert problem(
        doctor.post(f"{path}/stop", json={"reason": "x"}, headers={"If-Match": '"v9"'}), 412
    )
    assert problem(world["staff_pe"].client.post(f"{path}/stop", json={"reason": "x"}), 403)
    server.clock.offset += timedelta(days=3)
    stopped = doctor.post(f"{path}/stop", json={"reason": "Nausea"}, headers=if_match(started))
    body = body_of(stopped)
    assert (body["status"], body["stopReason"], stopped.headers["ETag"]) == (
        "stopped",
        "Nausea",
        '"v2"',
    )
    assert body["end"] == server.clock.now().date().isoformat()
    assert problem(doctor.post(f"{path}/complete"), 409)
    assert problem(doctor.post(f"{path}/stop", json={"reason": "Again"}), 409)
    history = body_of(doctor.get(f"{path}/history"))["items"]
    assert [(h["action"], h["reason"], h["medication"]["status"]) for h in history] == [
        ("started", None, "active"),
        ("stopped", "Nausea", "stopped"),
    ]
    active = body_of(doctor.get(f"/patients/{p1}/medications", params={"status": "active"}))
    assert active["items"] == []
    stopped_list = doctor.get(f"/patients/{p1}/medications", params={"status": "stopped"})
    assert len(body_of(stopped_list)["items"]) == 1


def test_a_course_is_completed_once(world: People) -> None:
    admin, p1 = world["admin"].client, world.ids["P1"]
    started = body_of(new_medication(admin, p1, prescriberId="pr-1"), 201)
    path = f"/patients/{p1}/medications/{started['id']}"
    done = admin.post(f"{path}/complete", headers={"If-Match": "*"})
    assert body_of(done)["status"] == "completed" and done.headers["ETag"] == '"v2"'
    assert problem(admin.post(f"{path}/complete"), 409)
    assert problem(admin.post(f"/patients/{p1}/medications/nope/complete"), 404)
    assert problem(world["patient_p1"].client.post(f"{path}/complete"), 403)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"dose": "500"}, ["dose"]),
        ({"dose": True}, ["dose"]),
        ({"dose": -1}, ["dose"]),
        ({"doseUnit": None}, ["doseUnit"]),  # a dose needs its unit
        ({"route": "by mouth"}, ["route"]),
        ({"code": {"system": "icd10", "code": "E11"}}, ["code.system"]),
        ({"start": "2031-02-01", "end": "2031-01-01"}, ["end"]),
        ({"start": "2031-02-01T10:00:00Z"}, ["start"]),
        ({"name": ""}, ["name"]),
        ({"status": "stopped"}, ["status"]),
    ],
)
def test_a_bad_medication_is_refused_naming_the_field(
    world: People, fields: dict[str, object], errors: list[str]
) -> None:
    p1 = world.ids["P1"]
    assert error_fields(new_medication(world["doctor_a"].client, p1, **fields)) == errors
    assert body_of(world["admin"].client.get(f"/patients/{p1}/medications"))["items"] == []
