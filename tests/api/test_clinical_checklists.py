"""Checklists over HTTP on every store: the shipped templates and those admins define, a
patient's checklist ticked until its last required item completes it (read-only then),
unchecking with a reason, and checks made at the same time all kept."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.api.clinical_world import (
    audited,
    body_of,
    error_fields,
    if_match,
    new_checklist,
    people_fixture,  # noqa: F401 (the fixture `people`)
    problem,
    world_fixture,  # noqa: F401 (the fixture `world`)
)
from tests.support.world import People

MINOR = {
    "id": "minor-procedure",
    "name": "Minor procedure",
    "sections": [
        {
            "id": "before",
            "title": "Before",
            "items": [
                {"id": "before.consent", "text": "Consent signed"},
                {"id": "before.photo", "text": "Photo taken", "required": False},
            ],
        },
        {"id": "after", "title": "After", "items": [{"id": "after.dressing", "text": "Dressing"}]},
    ],
}


def required_items(checklist: dict[str, Any]) -> list[str]:
    return [i["id"] for s in checklist["sections"] for i in s["items"] if i["required"]]


def test_the_shipped_templates_are_listed_and_admins_define_more(world: People) -> None:
    admin = world["admin"].client
    shipped = body_of(world["staff_pe"].client.get("/checklist-templates"))["items"]
    assert [(t["id"], t["builtIn"]) for t in shipped] == [
        ("surgical-safety", True),
        ("discharge", True),
    ]
    surgical = shipped[0]
    assert [s["id"] for s in surgical["sections"]] == ["sign-in", "time-out", "sign-out"]
    response = admin.post("/checklist-templates", json=MINOR)
    defined = body_of(response, 201)
    assert response.headers["Location"] == "/checklist-templates/minor-procedure"
    assert (defined["builtIn"], defined["sections"][0]["items"][1]["required"]) == (False, False)
    listed = body_of(admin.get("/checklist-templates"))["items"]
    assert [t["id"] for t in listed] == ["surgical-safety", "discharge", "minor-procedure"]
    assert body_of(admin.get("/checklist-templates/minor-procedure")) == defined
    assert problem(admin.get("/checklist-templates/nope"), 404)
    assert problem(admin.post("/checklist-templates", json=MINOR), 409)
    assert problem(admin.post("/checklist-templates", json={**MINOR, "id": "discharge"}), 409)
    assert problem(
        world["staff_pe"].client.post("/checklist-templates", json={**MINOR, "id": "x"}), 403
    )
    assert problem(world["patient_p1"].client.post("/checklist-templates", json=MINOR), 403)


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"sections": []}, ["sections"]),
        ({"id": "Has Spaces"}, ["id"]),
        ({"sections": [{**MINOR["sections"][0], "items": []}]}, ["sections[0].items"]),  # type: ignore[dict-item]
        ({"sections": [MINOR["sections"][0], MINOR["sections"][0]]}, ["sections"]),  # type: ignore[index]
        ({"owner": "me"}, ["owner"]),
    ],
)
def test_a_bad_template_is_refused_naming_the_field(
    world: People, change: dict[str, object], errors: list[str]
) -> None:
    response = world["admin"].client.post("/checklist-templates", json={**MINOR, **change})
    assert error_fields(response) == errors


def test_the_last_required_item_completes_a_surgical_safety_checklist(world: People) -> None:
    p1, doctor, staff = world.ids["P1"], world["doctor_a"].client, world["staff_pe"].client
    response = new_checklist(doctor, p1)
    checklist = body_of(response, 201)
    assert response.headers["Location"] == f"/patients/{p1}/checklists/{checklist['id']}"
    assert (checklist["status"], checklist["templateId"]) == ("in_progress", "surgical-safety")
    required = required_items(checklist)
    assert checklist["missing"] == required
    path = f"/patients/{p1}/checklists/{checklist['id']}"
    for n, item_id in enumerate(required):
        client = doctor if n % 2 else staff
        answer = client.post(f"{path}/items/{item_id}/check")
        body = body_of(answer)
        assert answer.headers["ETag"] == f'"v{n + 2}"'
    assert (body["status"], body["missing"]) == ("completed", [])
    assert body["completedAt"] is not None
    assert problem(doctor.post(f"{path}/items/time-out.imaging/check"), 409)
    refused = doctor.post(f"{path}/items/sign-in.identity/uncheck", json={"reason": "Oops"})
    assert problem(refused, 409)
    read = world["patient_p1"].client.get(path)
    assert body_of(read)["status"] == "completed" and read.headers["ETag"] == answer.headers["ETag"]
    assert ("checklist.check", "failed", "checklist") in audited(world, p1)
    listed = body_of(doctor.get(f"/patients/{p1}/checklists", params={"status": "completed"}))
    assert [c["id"] for c in listed["items"]] == [checklist["id"]]


def test_unchecking_needs_a_reason_and_keeps_who_when_and_why(world: People) -> None:
    p1, doctor, staff = world.ids["P1"], world["doctor_a"], world["staff_pe"]
    started = new_checklist(doctor.client, p1, "discharge")
    checklist_path = f"/patients/{p1}/checklists/{body_of(started, 201)['id']}"
    path = f"{checklist_path}/items/discharge.summary"
    never = doctor.client.post(f"{path}/uncheck", json={"reason": "x"})
    assert problem(never, 409)
    checked = doctor.client.post(f"{path}/check", headers=if_match(started))
    assert body_of(checked)["version"] == 2
    stale = doctor.client.post(f"{path}/uncheck", json={"reason": "x"}, headers=if_match(started))
    assert problem(stale, 412)
    assert error_fields(doctor.client.post(f"{path}/uncheck", json={})) == ["reason"]
    unchecked = staff.client.post(f"{path}/uncheck", json={"reason": "Draft only"})
    item = body_of(unchecked)["sections"][0]["items"][0]
    assert item["id"] == "discharge.summary" and item["checked"] is False
    change = item["lastChange"]
    assert (change["checked"], change["by"], change["reason"]) == (False, staff.id, "Draft only")
    history = body_of(doctor.client.get(f"{checklist_path}/history"))["items"]
    assert [(h["action"], h["actorId"], h["reason"]) for h in history] == [
        ("started", doctor.id, None),
        ("checked", doctor.id, None),
        ("unchecked", staff.id, "Draft only"),
    ]
    assert problem(doctor.client.post(f"{checklist_path}/items/nope/check"), 404)
    assert problem(world["patient_p1"].client.post(f"{path}/check"), 403)
    assert problem(world["doctor_b"].client.post(f"{path}/check"), 404)


def test_a_checklist_starts_only_from_a_template_that_exists(world: People) -> None:
    p1, doctor = world.ids["P1"], world["doctor_a"].client
    assert error_fields(new_checklist(doctor, p1, "no-such-template")) == ["templateId"]
    assert problem(new_checklist(world["patient_p1"].client, p1), 403)
    assert problem(new_checklist(world["staff_cl"].client, p1), 404)
    assert body_of(doctor.get(f"/patients/{p1}/checklists"))["items"] == []


def test_checks_of_different_items_at_the_same_time_are_all_kept(world: People) -> None:
    p1, doctor = world.ids["P1"], world["doctor_a"].client
    checklist = body_of(new_checklist(doctor, p1), 201)
    path = f"/patients/{p1}/checklists/{checklist['id']}"
    items = [i["id"] for i in checklist["sections"][0]["items"]]

    def check(item_id: str) -> httpx.Response:
        return doctor.post(f"{path}/items/{item_id}/check")

    with ThreadPoolExecutor(len(items)) as pool:
        answers = list(pool.map(check, items))
    assert [a.status_code for a in answers] == [200] * len(items), [a.text for a in answers]
    final = body_of(doctor.get(path))
    assert final["version"] == 1 + len(items)
    states = {i["id"]: i["checked"] for i in final["sections"][0]["items"]}
    assert states == dict.fromkeys(items, True)
