"""The patient timeline over HTTP on every store: a registration, an appointment booked and
checked in, and a lab document reach it through the relay and the timeline consumer,
newest first; pages, the type and time filters, who may read it, bad queries, and a
rebuild from the journal that gives back the live timeline."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from typing import Any

import httpx
import pytest

from carehub.kernel.actor import Actor
from carehub.timeline.service import TimelineService
from tests.api.clinical_world import METFORMIN
from tests.api.conftest import ApiServer
from tests.api.documents_world import PDF, uploaded
from tests.api.scheduling_world import (
    account,
    add_country,
    add_doctor,
    add_patient,
    booked,
    eventually,
    local_slot,
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
SUMMARIES = [
    "Lab document uploaded",
    "Appointment checked in",
    "Appointment booked",
    "Patient registered",
]


def timeline(client: httpx.Client, patient: str, **params: Any) -> httpx.Response:
    return client.get(f"/patients/{patient}/timeline", params=params)


def entries(client: httpx.Client, patient: str, **params: Any) -> list[dict[str, Any]]:
    response = timeline(client, patient, **params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.fixture
def story(server: ApiServer, api: httpx.Client) -> dict[str, Any]:
    """A Mexican patient registered, booked and checked in, and a lab report uploaded;
    returned once the timeline shows all four."""
    add_country(api, "MX", timeZones=[ZONE], rules=RULES)
    add_country(api, "CL")
    doctor = add_doctor(api, "MX", timeZone=ZONE)["doctorId"]
    patient = add_patient(api, "MX")
    other = add_patient(api, "MX")
    start = local_slot(server, "MX", ZONE, weekday=0, at=time(10, 0))
    appointment = booked(api, doctor, patient, start)["appointmentId"]
    checked_in = api.post(f"/appointments/{appointment}/check-in", json={})
    assert checked_in.status_code == 200, checked_in.text
    file = uploaded(api, patient, PDF, mime_type="application/pdf", doc_type="lab")
    eventually(lambda: len(entries(api, patient)) == len(SUMMARIES))
    return {
        "patient": patient,
        "other": other,
        "appointment": appointment,
        "file": file["fileId"],
        "doctor": doctor,
    }


def test_the_timeline_shows_what_happened_newest_first(
    api: httpx.Client, story: dict[str, Any]
) -> None:
    patient, appointment = story["patient"], story["appointment"]
    found = entries(api, patient)
    assert [e["summary"] for e in found] == SUMMARIES
    assert [e["type"] for e in found] == ["document", "appointment", "appointment", "patient"]
    assert [e["action"] for e in found] == ["uploaded", "checked_in", "requested", "registered"]
    assert [e["itemId"] for e in found] == [story["file"], appointment, appointment, patient]
    assert [e["link"] for e in found] == [
        f"/patients/{patient}/documents",
        f"/appointments/{appointment}",
        f"/appointments/{appointment}",
        f"/patients/{patient}",
    ]
    assert [e["status"] for e in found[1:3]] == ["checked_in", "confirmed"]
    times = [datetime.fromisoformat(e["occurredAt"]) for e in found]
    assert times == sorted(times, reverse=True)
    # Each link is the item's own route, and answers.
    for entry in found:
        assert api.get(entry["link"]).status_code == 200, entry["link"]
    # Nothing arrives twice.
    assert len({e["eventId"] for e in found}) == len(found)


def test_pages_types_and_times(api: httpx.Client, story: dict[str, Any]) -> None:
    patient = story["patient"]
    whole = entries(api, patient)
    first = timeline(api, patient, limit=3).json()
    assert first["items"] == whole[:3]
    assert first["nextCursor"]
    rest = timeline(api, patient, limit=3, cursor=first["nextCursor"]).json()
    assert rest == {"items": whole[3:], "nextCursor": None}

    appointments = entries(api, patient, types="appointment")
    assert appointments == whole[1:3]
    both = entries(api, patient, types="patient,document")
    assert both == [whole[0], whole[3]]

    middle = whole[2]["occurredAt"]
    assert entries(api, patient, **{"from": middle, "to": middle}) == [whole[2]]
    assert entries(api, patient, **{"from": middle}) == whole[:3]
    assert entries(api, patient, to=middle) == whole[2:]
    later = datetime.fromisoformat(whole[0]["occurredAt"]) + timedelta(seconds=1)
    assert entries(api, patient, **{"from": later.isoformat()}) == []


@pytest.mark.parametrize(
    "params",
    [
        {"types": "appointment,birthday"},
        {"types": ""},
        {"from": "2031-03-10T12:00:00Z", "to": "2031-03-10T11:00:00Z"},
        {"from": "2031-03-10T12:00:00"},  # no offset
        {"to": "yesterday"},
        {"limit": "0"},
        {"limit": "201"},
        {"cursor": "not-a-cursor"},
        {"type": "appointment"},  # not a parameter of this route
    ],
)
def test_bad_queries_are_problems(
    api: httpx.Client, story: dict[str, Any], params: dict[str, str]
) -> None:
    response = timeline(api, story["patient"], **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_who_may_read_a_timeline(
    server: ApiServer, api: httpx.Client, anonymous: httpx.Client, story: dict[str, Any]
) -> None:
    patient, other = story["patient"], story["other"]
    staff_mx = account(server, "staff", "MX")
    staff_cl = account(server, "staff", "CL")
    own = account(server, "patient", patient_id=patient)
    stranger = account(server, "doctor", "MX")
    assert timeline(anonymous, patient).status_code == 401
    assert len(entries(staff_mx, patient)) == len(SUMMARIES)
    assert len(entries(own, patient)) == len(SUMMARIES)
    # Out of reach looks exactly like missing.
    for client, whose in ((staff_cl, patient), (own, other), (stranger, patient)):
        refused = timeline(client, whose)
        assert refused.status_code == 404, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert timeline(api, "pt-nobody").status_code == 404
    # The doctor the patient booked with has them in care (the care-team consumer).
    theirs = account(server, "doctor", "MX", practitioner_id=story["doctor"])
    eventually(lambda: timeline(theirs, patient).status_code == 200)
    for client in (staff_mx, staff_cl, own, stranger, theirs):
        client.close()
    trail = api.get("/audit", params={"patientId": patient}).json()["items"]
    reads = {(e["actorRole"], e["outcome"]) for e in trail if e["action"] == "timeline.read"}
    assert {("staff", "allowed"), ("patient", "allowed"), ("staff", "denied")} <= reads
    assert ("doctor", "denied") in reads


def test_the_clinical_record_reaches_the_timeline(
    server: ApiServer, api: httpx.Client, story: dict[str, Any]
) -> None:
    patient = story["patient"]
    base = f"/patients/{patient}"
    note = api.post(f"{base}/notes", json={"text": "Cough and fever for three days."})
    assert note.status_code == 201, note.text
    amended = api.post(
        f"{base}/notes/{note.json()['id']}/amendments",
        json={"text": "Cough and fever for four days.", "reason": "Wrong duration"},
        headers={"If-Match": note.headers["ETag"]},
    )
    assert amended.status_code == 200, amended.text
    # A file attached to the note is part of the note's story.
    uploaded(api, patient, PDF, mime_type="application/pdf", kind="note", itemId=note.json()["id"])
    prescribed = {**METFORMIN, "prescriberId": story["doctor"]}
    medication = api.post(f"{base}/medications", json=prescribed)
    assert medication.status_code == 201, medication.text
    stopped = api.post(
        f"{base}/medications/{medication.json()['id']}/stop",
        json={"reason": "Nausea"},
        headers={"If-Match": medication.headers["ETag"]},
    )
    assert stopped.status_code == 200, stopped.text
    staff = account(server, "staff", "MX")
    staff_id = staff.get("/users/me").json()["id"]
    task = api.post(f"{base}/tasks", json={"title": "Check wound"})
    assert task.status_code == 201, task.text
    assigned = api.patch(
        f"{base}/tasks/{task.json()['id']}",
        json={"assigneeId": staff_id},
        headers={"If-Match": task.headers["ETag"]},
    )
    assert assigned.status_code == 200, assigned.text
    checklist = api.post(f"{base}/checklists", json={"templateId": "discharge"})
    assert checklist.status_code == 201, checklist.text
    required = checklist.json()["missing"]
    checked = api.post(f"{base}/checklists/{checklist.json()['id']}/items/{required[0]}/check")
    assert checked.status_code == 200, checked.text

    eventually(lambda: len(entries(api, patient)) == len(SUMMARIES) + 9)
    found = entries(api, patient)
    assert [e["summary"] for e in found] == [
        f"Checklist item checked ({len(required) - 1} required left)",
        f"Checklist started ({len(required)} required left)",
        "Task assigned",
        "Task created",
        "Medication stopped",
        "Medication started",
        "File attached to the note",
        "Note amended",
        "Note written",
        *SUMMARIES,
    ]
    clinical = found[:9]
    assert [e["type"] for e in clinical] == ["checklist"] * 2 + ["task"] * 2 + [
        "medication"
    ] * 2 + ["note"] * 3
    assert [e["version"] for e in clinical] == [2, 1, 2, 1, 2, 1, None, 2, 1]
    assert clinical[6]["itemId"] == note.json()["id"]
    for entry in clinical:  # each links to its item's own route, which answers
        assert entry["link"] == f"{base}/{entry['type']}s/{entry['itemId']}"
        assert api.get(entry["link"]).status_code == 200, entry["link"]
    # The staff member the task went to may read the timeline; no note text, medication
    # name or reason reaches it.
    assert entries(staff, patient) == found
    text = str(found)
    for secret in ("Cough", "Metformin", "Nausea", "Wrong duration", "Check wound"):
        assert secret not in text
    assert entries(api, patient, types="note,medication") == clinical[4:]
    staff.close()


def test_a_rebuild_from_the_journal_gives_back_the_live_timeline(
    server: ApiServer, api: httpx.Client, story: dict[str, Any]
) -> None:
    patient = story["patient"]
    live = entries(api, patient)
    asyncio.run(rebuild(server, patient))
    assert entries(api, patient) == live
    asyncio.run(rebuild(server, None))
    assert entries(api, patient) == live
    assert len(entries(api, story["other"])) == 1  # their registration, rebuilt too


async def rebuild(server: ApiServer, patient: str | None) -> None:
    """`carehub timeline rebuild` as another process of the deployment runs it."""
    async with server.store() as store:
        service = TimelineService(store.units_of_work, server.clock)
        await service.rebuild(actor=Actor.system("test"), patient_id=patient)
