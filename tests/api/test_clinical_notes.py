"""Clinical notes over HTTP on every store: written, read, listed, amended (never silently
edited) and entered in error, with every refusal answered as a problem."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.api.clinical_world import (
    NOTE,
    SOAP,
    audited,
    body_of,
    error_fields,
    if_match,
    new_note,
    people_fixture,  # noqa: F401 (the fixture `people`)
    problem,
    world_fixture,  # noqa: F401 (the fixture `world`)
)
from tests.api.conftest import ApiServer
from tests.support.world import People


def notes_of(client: httpx.Client, patient_id: str, **params: object) -> list[dict[str, object]]:
    items: list[dict[str, object]] = body_of(
        client.get(f"/patients/{patient_id}/notes", params=params)
    )["items"]
    return items


def test_a_doctor_writes_a_note_that_the_patient_reads(world: People) -> None:
    doctor, p1 = world["doctor_a"], world.ids["P1"]
    response = new_note(doctor.client, p1, **SOAP, appointmentId="appt-1")
    note = body_of(response, 201)
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Location"] == f"/patients/{p1}/notes/{note['id']}"
    assert (note["format"], note["authorId"], note["status"]) == ("soap", doctor.id, "current")
    assert note["soap"] == {**SOAP["soap"], "assessment": ""} and note["text"] is None
    read = world["patient_p1"].client.get(f"/patients/{p1}/notes/{note['id']}")
    assert body_of(read) == note and read.headers["ETag"] == '"v1"'
    assert [n["id"] for n in notes_of(world["patient_p1"].client, p1)] == [note["id"]]
    assert ("note.create", "allowed", "note") in audited(world, p1)
    assert ("note.read", "allowed", "note") in audited(world, p1)


def test_a_replayed_idempotency_key_answers_the_first_note(world: People) -> None:
    staff, p1 = world["staff_pe"].client, world.ids["P1"]
    headers = {"Idempotency-Key": "note-0001"}
    first = staff.post(f"/patients/{p1}/notes", json=NOTE, headers=headers)
    again = staff.post(f"/patients/{p1}/notes", json=NOTE, headers=headers)
    assert body_of(first, 201) == body_of(again, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    other = staff.post(f"/patients/{p1}/notes", json=SOAP, headers=headers)
    assert error_fields(other) == ["Idempotency-Key"]
    assert len(notes_of(staff, p1)) == 1


def test_an_amendment_keeps_the_earlier_text_with_who_when_and_why(world: People) -> None:
    doctor, p1 = world["doctor_a"].client, world.ids["P1"]
    written = new_note(doctor, p1)
    note_id = body_of(written, 201)["id"]
    path = f"/patients/{p1}/notes/{note_id}"
    new_text = {"text": "Cough and fever for four days.", "reason": "Wrong duration"}

    assert problem(doctor.post(f"{path}/amendments", json=new_text), 428)
    stale = doctor.post(f"{path}/amendments", json=new_text, headers={"If-Match": '"v7"'})
    assert problem(stale, 412)
    no_reason = doctor.post(f"{path}/amendments", json={"text": "x"}, headers=if_match(written))
    assert error_fields(no_reason) == ["reason"]
    amended = doctor.post(f"{path}/amendments", json=new_text, headers=if_match(written))
    assert body_of(amended)["text"] == new_text["text"]
    assert amended.headers["ETag"] == '"v2"'
    history = body_of(doctor.get(f"{path}/history"))["items"]
    assert [(h["version"], h["action"], h["reason"]) for h in history] == [
        (1, "written", None),
        (2, "amended", "Wrong duration"),
    ]
    assert history[0]["note"]["text"] == NOTE["text"]
    assert history[1]["actorId"] == world["doctor_a"].id
    assert ("note.amend", "failed", "note") in audited(world, p1)  # the stale one


def test_only_the_author_or_an_admin_amends(world: People) -> None:
    p1 = world.ids["P1"]
    written = new_note(world["doctor_a"].client, p1)
    path = f"/patients/{p1}/notes/{body_of(written, 201)['id']}/amendments"
    body = {"text": "Edited", "reason": "Typo"}
    for role in ("staff_pe", "patient_p1"):
        refused = world[role].client.post(path, json=body, headers=if_match(written))
        assert problem(refused, 403)
    assert ("note.amend", "denied", "note") in audited(world, p1)
    by_admin = world["admin"].client.post(path, json=body, headers=if_match(written))
    assert body_of(by_admin)["version"] == 2


def test_concurrent_amendments_with_one_etag_leave_one_winner(
    server: ApiServer, world: People
) -> None:
    doctor, p1 = world["doctor_a"], world.ids["P1"]
    written = new_note(doctor.client, p1)
    path = f"/patients/{p1}/notes/{body_of(written, 201)['id']}"
    token = doctor.client.headers["Authorization"]

    async def race() -> list[httpx.Response]:
        headers = {"Authorization": token, **if_match(written)}
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        f"{path}/amendments",
                        json={"text": f"Version {n}", "reason": f"Racer {n}"},
                        headers=headers,
                    )
                    for n in (1, 2)
                )
            )

    answers = asyncio.run(race())
    assert sorted(r.status_code for r in answers) == [200, 412], [r.text for r in answers]
    winner = next(r for r in answers if r.status_code == 200).json()
    history = body_of(doctor.client.get(f"{path}/history"))["items"]
    assert [h["version"] for h in history] == [1, 2]
    assert history[1]["note"]["text"] == winner["text"]
    assert body_of(doctor.client.get(path))["text"] == winner["text"]
    assert ("note.amend", "failed", "note") in audited(world, p1)  # the loser's refusal


def test_entered_in_error_hides_a_note_from_the_default_list(world: People) -> None:
    doctor, p1 = world["doctor_a"].client, world.ids["P1"]
    kept = body_of(new_note(doctor, p1), 201)["id"]
    wrong = new_note(doctor, p1, text="Meant for another patient.")
    wrong_id = body_of(wrong, 201)["id"]
    path = f"/patients/{p1}/notes/{wrong_id}/entered-in-error"
    assert problem(doctor.post(path, json={"reason": "Wrong chart"}), 428)
    assert error_fields(doctor.post(path, json={}, headers=if_match(wrong))) == ["reason"]
    marked = doctor.post(path, json={"reason": "Wrong chart"}, headers=if_match(wrong))
    assert body_of(marked)["status"] == "entered_in_error"
    assert body_of(marked)["enteredInErrorReason"] == "Wrong chart"

    assert [n["id"] for n in notes_of(doctor, p1)] == [kept]
    everything = notes_of(doctor, p1, includeEnteredInError="true")
    assert [n["id"] for n in everything] == [wrong_id, kept]
    only_errors = notes_of(doctor, p1, status="entered_in_error")
    assert [n["id"] for n in only_errors] == [wrong_id]
    assert body_of(doctor.get(f"/patients/{p1}/notes/{wrong_id}"))["status"] == "entered_in_error"
    again = doctor.post(path, json={"reason": "Again"}, headers=if_match(marked))
    assert problem(again, 409)
    amend = doctor.post(
        f"/patients/{p1}/notes/{wrong_id}/amendments",
        json={"text": "x", "reason": "y"},
        headers=if_match(marked),
    )
    assert problem(amend, 409)


def test_notes_out_of_reach_look_like_notes_that_do_not_exist(world: People) -> None:
    p1, p2 = world.ids["P1"], world.ids["P2"]
    note_id = body_of(new_note(world["admin"].client, p2), 201)["id"]
    doctor = world["doctor_a"].client
    hidden = doctor.get(f"/patients/{p2}/notes/{note_id}")
    missing = doctor.get(f"/patients/{world.ids['missing']}/notes/{note_id}")
    assert problem(hidden, 404)["detail"] == f"Patient {p2} does not exist"
    assert problem(missing, 404)["detail"] == f"Patient {world.ids['missing']} does not exist"
    # Under a patient the doctor sees, another patient's note is just missing.
    wrong_patient = doctor.get(f"/patients/{p1}/notes/{note_id}")
    assert problem(wrong_patient, 404)["detail"] == f"Note {note_id} does not exist"
    assert problem(doctor.get(f"/patients/{p1}/notes/nope/history"), 404)
    assert problem(new_note(doctor, p2), 404)
    assert ("note.read", "denied", "note") in audited(world, p2)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"text": "a", "soap": {"plan": "b"}}, ["body"]),
        ({}, ["body"]),
        ({"text": "a", "author": "me"}, ["author"]),
        ({"text": 5}, ["text"]),
        ({"text": "x" * 20_001}, ["text"]),
        ({"soap": {"plan": "a", "diagnosis": "b"}}, ["soap.diagnosis"]),
        ({"text": "bad\x00text"}, ["text"]),
        ({"text": "a", "appointmentId": "x" * 65}, ["appointmentId"]),
    ],
)
def test_a_bad_note_is_refused_naming_the_field(
    world: People, body: dict[str, object], fields: list[str]
) -> None:
    p1 = world.ids["P1"]
    response = world["admin"].client.post(f"/patients/{p1}/notes", json=body)
    assert error_fields(response) == fields
    assert notes_of(world["admin"].client, p1, includeEnteredInError="true") == []


def test_a_blank_note_and_unknown_query_parameters_are_refused(world: People) -> None:
    admin, p1 = world["admin"].client, world.ids["P1"]
    assert error_fields(new_note(admin, p1, soap={"plan": "  "})) == ["text"]
    assert error_fields(admin.get(f"/patients/{p1}/notes?state=current")) == ["state"]
    assert error_fields(admin.get(f"/patients/{p1}/notes?status=draft")) == ["status[0]"]
