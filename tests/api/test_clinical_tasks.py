"""Medical tasks over HTTP on every store: given to a user who may see the patient (and
told by mail, without the task's content), moved along with If-Match, listed per assignee."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.clinical_world import (
    audited,
    body_of,
    error_fields,
    if_match,
    new_task,
    people_fixture,  # noqa: F401 (the fixture `people`)
    problem,
    world_fixture,  # noqa: F401 (the fixture `world`)
)
from tests.api.conftest import ApiServer
from tests.api.scheduling_world import eventually, iso
from tests.support.mailbox import messages_to
from tests.support.world import People


def email_of(world: People, role: str) -> str:
    user = body_of(world["admin"].client.get(f"/users/{world[role].id}"))
    return str(user["email"])


def mine(world: People, role: str, **params: object) -> list[str]:
    page = body_of(world[role].client.get("/tasks", params=params))
    return [task["id"] for task in page["items"]]


def test_a_task_given_to_a_doctor_who_is_told_without_its_content(
    server: ApiServer, world: People
) -> None:
    p1, doctor = world.ids["P1"], world["doctor_a"]
    due = server.clock.now() + timedelta(hours=4)
    response = new_task(
        world["staff_pe"].client,
        p1,
        title="Change dressing",
        details="Left leg ulcer",
        assigneeId=doctor.id,
        dueAt=iso(due),
        priority="urgent",
    )
    task = body_of(response, 201)
    assert response.headers["Location"] == f"/patients/{p1}/tasks/{task['id']}"
    assert (task["status"], task["assigneeId"], task["priority"]) == ("open", doctor.id, "urgent")
    assert response.headers["ETag"] == '"v1"'
    address = email_of(world, "doctor_a")
    eventually(lambda: len(messages_to(server.data_dir, address)) == 1)
    [mail] = messages_to(server.data_dir, address)
    text = f"{mail['Subject']}\n{mail.get_content()}"
    assert mail["Subject"] == "A task was assigned to you" and task["id"] in text
    for secret in ("dressing", "ulcer", p1):
        assert secret not in text
    read = world["patient_p1"].client.get(f"/patients/{p1}/tasks/{task['id']}")
    assert body_of(read)["title"] == "Change dressing" and read.headers["ETag"] == '"v1"'


def test_a_task_moves_along_with_if_match_and_keeps_each_change(world: People) -> None:
    p1, staff, doctor = world.ids["P1"], world["staff_pe"], world["doctor_a"]
    created = new_task(staff.client, p1, assigneeId=doctor.id)
    path = f"/patients/{p1}/tasks/{body_of(created, 201)['id']}"
    start = {"status": "in_progress"}
    assert problem(doctor.client.patch(path, json=start), 428)
    assert problem(doctor.client.patch(path, json=start, headers={"If-Match": '"v3"'}), 412)
    started = doctor.client.patch(path, json=start, headers=if_match(created))
    assert body_of(started)["status"] == "in_progress" and started.headers["ETag"] == '"v2"'
    handed = doctor.client.patch(
        path, json={"assigneeId": staff.id, "dueAt": None}, headers=if_match(started)
    )
    assert body_of(handed)["assigneeId"] == staff.id
    done = staff.client.patch(path, json={"status": "done"}, headers=if_match(handed))
    assert body_of(done)["status"] == "done"
    reopen = staff.client.patch(path, json={"status": "open"}, headers=if_match(done))
    assert problem(reopen, 409)
    history = body_of(staff.client.get(f"{path}/history"))["items"]
    assert [(h["actorId"], h["task"]["status"], h["task"]["assigneeId"]) for h in history] == [
        (staff.id, "open", doctor.id),
        (doctor.id, "in_progress", doctor.id),
        (doctor.id, "in_progress", staff.id),
        (staff.id, "done", staff.id),
    ]
    assert ("task.update", "failed", "task") in audited(world, p1)


@pytest.mark.parametrize("assignee", ["doctor_b", "staff_cl", "patient_p1", "nobody"])
def test_a_task_goes_only_to_an_active_carer_who_may_see_the_patient(
    world: People, assignee: str
) -> None:
    p1 = world.ids["P1"]
    user_id = "no-such-user" if assignee == "nobody" else world[assignee].id
    assert error_fields(new_task(world["staff_pe"].client, p1, assigneeId=user_id)) == [
        "assigneeId"
    ]
    created = new_task(world["staff_pe"].client, p1)
    path = f"/patients/{p1}/tasks/{body_of(created, 201)['id']}"
    refused = world["staff_pe"].client.patch(
        path, json={"assigneeId": user_id}, headers=if_match(created)
    )
    assert error_fields(refused) == ["assigneeId"]


def test_patients_read_their_tasks_but_never_change_them(world: People) -> None:
    p1, patient = world.ids["P1"], world["patient_p1"].client
    created = new_task(world["admin"].client, p1)
    path = f"/patients/{p1}/tasks/{body_of(created, 201)['id']}"
    assert problem(new_task(patient, p1), 403)
    assert problem(patient.patch(path, json={"status": "done"}, headers=if_match(created)), 403)
    listed = body_of(patient.get(f"/patients/{p1}/tasks", params={"status": "open"}))
    assert [t["id"] for t in listed["items"]] == [body_of(created, 201)["id"]]
    assert problem(world["doctor_b"].client.get(path), 404)
    assert problem(world["staff_pe"].client.get(f"/patients/{p1}/tasks/nope"), 404)


def test_my_tasks_soonest_due_first_and_the_overdue_ones(server: ApiServer, world: People) -> None:
    staff = world["staff_pe"]
    now = server.clock.now()
    late = new_task(
        staff.client, world.ids["P2"], assigneeId=staff.id, dueAt=iso(now - timedelta(hours=2))
    )
    soon = new_task(
        staff.client, world.ids["P1"], assigneeId=staff.id, dueAt=iso(now + timedelta(hours=1))
    )
    undated = new_task(staff.client, world.ids["P1"], assigneeId=staff.id)
    new_task(staff.client, world.ids["P1"], assigneeId=world["doctor_a"].id)
    ids = [body_of(r, 201)["id"] for r in (late, soon, undated)]
    assert mine(world, "staff_pe") == ids
    assert mine(world, "staff_pe", assignee="me", overdue="true") == ids[:1]
    later = iso(now + timedelta(hours=2))
    assert mine(world, "staff_pe", status="open", dueBefore=later) == ids[:2]
    assert mine(world, "staff_pe", status="done") == []
    assert mine(world, "admin", assignee=staff.id) == ids
    assert len(mine(world, "doctor_a")) == 1


def test_only_admins_list_another_users_tasks_and_patients_have_none(world: People) -> None:
    staff_id = world["staff_pe"].id
    assert problem(world["doctor_a"].client.get("/tasks", params={"assignee": staff_id}), 403)
    assert problem(world["patient_p1"].client.get("/tasks"), 403)
    assert error_fields(world["admin"].client.get("/tasks?assignedTo=me")) == ["assignedTo"]
    assert error_fields(world["admin"].client.get("/tasks?dueBefore=2031-01-01")) == ["dueBefore"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"title": ""}, ["title"]),
        ({"title": "a\nb"}, ["title"]),
        ({"title": "x", "priority": "whenever"}, ["priority"]),
        ({"title": "x", "dueAt": "2031-01-01T10:00:00"}, ["dueAt"]),
        ({"title": "x", "status": "done"}, ["status"]),
    ],
)
def test_a_bad_task_is_refused_naming_the_field(
    world: People, body: dict[str, object], errors: list[str]
) -> None:
    p1 = world.ids["P1"]
    response = world["staff_pe"].client.post(f"/patients/{p1}/tasks", json=body)
    assert error_fields(response) == errors


def test_a_bad_change_is_refused_naming_the_field(world: People) -> None:
    p1, staff = world.ids["P1"], world["staff_pe"].client
    created = new_task(staff, p1)
    path = f"/patients/{p1}/tasks/{body_of(created, 201)['id']}"
    for body, errors in (
        ({"status": None}, ["status"]),
        ({"status": "finished"}, ["status"]),
        ({"title": "New"}, ["title"]),
    ):
        assert error_fields(staff.patch(path, json=body, headers=if_match(created))) == errors
