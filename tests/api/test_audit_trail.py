"""The audit trail over HTTP: one entry per health-data request, the patient's access log,
and hash chains (one per shard) that name the first entry someone changed or removed in
the database, on every store."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from carehub.audit.shards import STAY, TRUSTED_FOR
from carehub.audit.verification import Verification
from carehub.bootstrap import build
from carehub.config import Settings
from tests.api.audit_tampering import stored_trail
from tests.api.conftest import ApiServer
from tests.support.world import (
    HEALTH_DATA_ROUTES,
    Account,
    People,
    enrol,
    enrol_people,
    patient_body,
    seed_records,
)

AUDIT_PAGE = 200


@pytest.fixture(scope="module")
def people(api_server: ApiServer) -> Iterator[People]:
    found = enrol_people(api_server)
    # The patient behind another record, to look at P1's log.
    found.accounts["patient_p2"] = enrol(api_server, "patient", "PE", patient_id=found.ids["P2"])
    yield found
    found.close()


@pytest.fixture
def world(server: ApiServer, people: People) -> People:
    seed_records(people)
    return people


# --- (a) every health-data request leaves exactly one entry -----------------------------------


@dataclass(frozen=True)
class Step:
    """One request and the audit entry it must leave."""

    who: str
    method: str
    path: str  # formatted with the world's ids: {P1}, {P2}, {P3}, {missing}
    status: int
    action: str
    outcome: str
    patients: tuple[str, ...] = ()  # record keys the entry names ("new": the one created)
    body: dict[str, Any] | None = None
    if_match: bool = False  # send the ETag an admin reads just before
    keeps: str | None = None  # the id of what it creates, for later paths: {note}, {task}...


NOTE = {"text": "Seen today."}
REASON = {"reason": "Audit check"}
P1 = "/patients/{P1}"
ITEM = "discharge.summary"
# What created things are called in the steps' paths, and in the OpenAPI path templates.
CREATED = {
    "note": "note_id",
    "med": "medication_id",
    "task": "task_id",
    "checklist": "checklist_id",
}


CARE = {"practitionerId": "pr-audit"}
STEPS = [
    Step("admin", "GET", "/patients/{P1}", 200, "patient.read", "allowed", ("P1",)),
    Step("patient_p1", "GET", "/patients/{P1}", 200, "patient.read", "allowed", ("P1",)),
    Step("staff_pe", "GET", "/patients/{P3}", 404, "patient.read", "denied", ("P3",)),
    Step("doctor_b", "GET", "/patients/{missing}", 404, "patient.read", "not_found"),
    Step("staff_pe", "GET", "/patients", 200, "patient.list", "allowed", ("P1", "P2")),
    Step("doctor_b", "GET", "/patients", 200, "patient.list", "allowed"),
    Step("patient_p1", "GET", "/patients", 200, "patient.list", "allowed", ("P1",)),
    # A doctor with no patient in their care finds nobody, whatever the index holds yet.
    Step("doctor_b", "GET", "/patients/search?q=ana", 200, "patient.search", "allowed"),
    Step("staff_cl", "POST", "/patients", 403, "patient.create", "denied", body=patient_body("PE")),
    Step(
        "patient_p1", "POST", "/patients", 403, "patient.create", "denied", body=patient_body("PE")
    ),
    Step(
        "staff_pe",
        "POST",
        "/patients",
        201,
        "patient.create",
        "allowed",
        ("new",),
        body=patient_body("PE"),
    ),
    Step(
        "admin",
        "POST",
        "/patients",
        409,
        "patient.create",
        "failed",
        (),  # a refused create never names the id the caller sent
        body=patient_body("CL", patientId="{P3}"),
    ),
    Step(
        "staff_pe",
        "PATCH",
        "/patients/{P1}",
        200,
        "patient.update",
        "allowed",
        ("P1",),
        body={"phoneNumber": "+51 900 111 222"},
        if_match=True,
    ),
    Step(
        "patient_p1",
        "PATCH",
        "/patients/{P1}",
        403,
        "patient.update",
        "denied",
        ("P1",),
        body={"birthDate": "1970-01-01"},
        if_match=True,
    ),
    Step(
        "staff_pe",
        "PATCH",
        "/patients/{P2}",
        412,
        "patient.update",
        "failed",
        ("P2",),
        body={"sex": "other"},
    ),
    Step(
        "doctor_a",
        "PATCH",
        "/patients/{P2}",
        404,
        "patient.update",
        "denied",
        ("P2",),
        body={"sex": "other"},
        if_match=True,
    ),
    Step(
        "admin",
        "PATCH",
        "/patients/{missing}",
        404,
        "patient.update",
        "not_found",
        body={"sex": "other"},
        if_match=True,
    ),
    Step("doctor_a", "DELETE", "/patients/{P1}", 403, "patient.deactivate", "denied", ("P1",)),
    Step("staff_pe", "DELETE", "/patients/{P3}", 404, "patient.deactivate", "denied", ("P3",)),
    Step("staff_cl", "DELETE", "/patients/{P3}", 200, "patient.deactivate", "allowed", ("P3",)),
    Step(
        "staff_pe",
        "POST",
        "/patients/{P2}/care-team",
        204,
        "patient.care_assign",
        "allowed",
        ("P2",),
        body=CARE,
    ),
    Step(
        "doctor_a",
        "POST",
        "/patients/{P1}/care-team",
        403,
        "patient.care_assign",
        "denied",
        ("P1",),
        body=CARE,
    ),
    Step(
        "staff_pe",
        "DELETE",
        "/patients/{P2}/care-team/pr-audit",
        204,
        "patient.care_unassign",
        "allowed",
        ("P2",),
    ),
    Step(
        "admin",
        "DELETE",
        "/patients/{missing}/care-team/pr-audit",
        404,
        "patient.care_unassign",
        "not_found",
    ),
    Step(
        "patient_p1",
        "GET",
        "/patients/{P1}/access-log",
        200,
        "patient.access_log",
        "allowed",
        ("P1",),
    ),
    Step(
        "admin", "GET", "/patients/{P2}/access-log", 200, "patient.access_log", "allowed", ("P2",)
    ),
    Step("staff_pe", "GET", "/patients/{P1}/access-log", 404, "patient.access_log", "denied"),
    Step("patient_p1", "GET", "/patients/{P2}/access-log", 404, "patient.access_log", "denied"),
    Step("patient_p1", "GET", "/patients/{P1}/timeline", 200, "timeline.read", "allowed", ("P1",)),
    Step("staff_cl", "GET", "/patients/{P1}/timeline", 404, "timeline.read", "denied", ("P1",)),
    Step("doctor_b", "GET", "/patients/{missing}/timeline", 404, "timeline.read", "not_found"),
    Step("staff_pe", "GET", "/audit", 403, "audit.search", "denied"),
    Step("admin", "GET", "/audit?action=patient.read", 200, "audit.search", "allowed"),
    # The clinical record: every kind of item, read and written, allowed and refused.
    Step(
        "doctor_a",
        "POST",
        f"{P1}/notes",
        201,
        "note.create",
        "allowed",
        ("P1",),
        NOTE,
        keeps="note",
    ),
    Step("patient_p1", "GET", f"{P1}/notes", 200, "note.list", "allowed", ("P1",)),
    Step("staff_cl", "GET", f"{P1}/notes/{{note}}", 404, "note.read", "denied", ("P1",)),
    Step(
        "admin",
        "POST",
        f"{P1}/notes/{{note}}/amendments",
        200,
        "note.amend",
        "allowed",
        ("P1",),
        {"text": "Seen today, twice.", **REASON},
        if_match=True,
    ),
    Step(
        "doctor_a", "GET", f"{P1}/notes/{{note}}/history", 200, "note.history", "allowed", ("P1",)
    ),
    Step(
        "doctor_a",
        "POST",
        f"{P1}/notes/{{note}}/entered-in-error",
        412,  # the ETag read from the amendments' path is the default "v1": stale
        "note.entered_in_error",
        "failed",
        ("P1",),
        REASON,
        if_match=True,
    ),
    Step(
        "doctor_a",
        "POST",
        f"{P1}/medications",
        201,
        "medication.start",
        "allowed",
        ("P1",),
        {"name": "Paracetamol 500 mg"},
        keeps="med",
    ),
    Step("staff_pe", "GET", f"{P1}/medications", 200, "medication.list", "allowed", ("P1",)),
    Step(
        "patient_p1", "GET", f"{P1}/medications/{{med}}", 200, "medication.read", "allowed", ("P1",)
    ),
    Step(
        "staff_pe",
        "POST",
        f"{P1}/medications/{{med}}/stop",
        403,
        "medication.stop",
        "denied",
        ("P1",),
        REASON,
    ),
    Step(
        "doctor_a",
        "POST",
        f"{P1}/medications/{{med}}/complete",
        200,
        "medication.complete",
        "allowed",
        ("P1",),
    ),
    Step(
        "admin",
        "GET",
        f"{P1}/medications/{{med}}/history",
        200,
        "medication.history",
        "allowed",
        ("P1",),
    ),
    Step(
        "staff_pe",
        "POST",
        f"{P1}/tasks",
        201,
        "task.create",
        "allowed",
        ("P1",),
        {"title": "Call"},
        keeps="task",
    ),
    Step("doctor_b", "GET", f"{P1}/tasks", 404, "task.list", "denied", ("P1",)),
    Step("admin", "GET", "/patients/{missing}/tasks/{task}", 404, "task.read", "not_found"),
    Step(
        "doctor_a",
        "PATCH",
        f"{P1}/tasks/{{task}}",
        200,
        "task.update",
        "allowed",
        ("P1",),
        {"status": "in_progress"},
        if_match=True,
    ),
    Step(
        "patient_p1", "GET", f"{P1}/tasks/{{task}}/history", 200, "task.history", "allowed", ("P1",)
    ),
    Step("staff_pe", "GET", "/tasks", 200, "task.list", "allowed"),
    Step(
        "doctor_a",
        "POST",
        f"{P1}/checklists",
        201,
        "checklist.start",
        "allowed",
        ("P1",),
        {"templateId": "discharge"},
        keeps="checklist",
    ),
    Step("staff_pe", "GET", f"{P1}/checklists", 200, "checklist.list", "allowed", ("P1",)),
    Step(
        "staff_cl",
        "GET",
        f"{P1}/checklists/{{checklist}}",
        404,
        "checklist.read",
        "denied",
        ("P1",),
    ),
    Step(
        "doctor_a",
        "POST",
        f"{P1}/checklists/{{checklist}}/items/{ITEM}/check",
        200,
        "checklist.check",
        "allowed",
        ("P1",),
    ),
    Step(
        "patient_p1",
        "POST",
        f"{P1}/checklists/{{checklist}}/items/{ITEM}/uncheck",
        403,
        "checklist.uncheck",
        "denied",
        ("P1",),
        REASON,
    ),
    Step(
        "admin",
        "GET",
        f"{P1}/checklists/{{checklist}}/history",
        200,
        "checklist.history",
        "allowed",
        ("P1",),
    ),
]


def test_the_steps_cover_every_health_data_route() -> None:
    assert {route_of(step) for step in STEPS} == HEALTH_DATA_ROUTES


def test_each_health_data_request_leaves_exactly_one_entry(world: People) -> None:
    ids = dict(world.ids)
    sent = []
    for step in STEPS:
        response = perform(world, step, ids)
        if step.keeps is not None:
            ids[step.keeps] = response.json()["id"]
        sent.append((step, response))

    entries, searches = read_whole_trail(world["admin"])
    by_request = Counter(entry["requestId"] for entry in entries)
    for step, response in sent:
        request_id = response.headers["X-Request-ID"]
        assert by_request[request_id] == 1, (step, by_request[request_id])
        entry = next(e for e in entries if e["requestId"] == request_id)
        account = world[step.who]
        assert (entry["actorId"], entry["actorRole"]) == (account.id, account.role), step
        assert (entry["action"], entry["outcome"]) == (step.action, step.outcome), step
        assert entry["patientIds"] == named_patients(step, response, world), step

    # Reading the trail is audited too: one entry per page read above.
    audited_searches, _ = read_whole_trail(world["admin"], action="audit.search")
    search_entries = Counter(e["requestId"] for e in audited_searches)
    for request_id in searches:
        assert search_entries[request_id] == 1


def test_requests_refused_before_touching_data_leave_no_entry(
    world: People, anonymous: httpx.Client
) -> None:
    p1 = world.ids["P1"]
    admin = world["admin"].client
    refused = [
        anonymous.get(f"/patients/{p1}"),
        anonymous.get("/patients"),
        anonymous.post("/patients", json=patient_body("PE")),
        anonymous.get("/audit"),
        anonymous.get(f"/patients/{p1}/access-log"),
        admin.post("/patients", json={}),
        admin.get("/patients", params={"limit": 0}),
        admin.patch(f"/patients/{p1}", json={"shoeSize": 44}, headers={"If-Match": '"v1"'}),
        admin.post(f"/patients/{p1}/care-team", json={}),
        admin.get("/audit", params={"from": "yesterday"}),
        admin.get(f"/patients/{p1}/access-log", params={"limit": 100_000}),
    ]
    assert [r.status_code for r in refused] == [401] * 5 + [422] * 6
    refused_ids = {r.headers["X-Request-ID"] for r in refused}

    entries, _ = read_whole_trail(world["admin"])
    assert entries, "the seeding itself is audited"
    assert not [e for e in entries if e["requestId"] in refused_ids]


def test_the_trail_is_searchable_by_patient_actor_action_and_time(world: People) -> None:
    admin, staff = world["admin"], world["staff_pe"]
    p3 = world.ids["P3"]
    staff.client.get(f"/patients/{p3}")
    world["staff_cl"].client.get(f"/patients/{p3}")
    snapshot, _ = read_whole_trail(admin)
    entries = {position(e) for e in snapshot}
    assert len(entries) == len(snapshot)  # (shard, seq) names one entry

    def search(**criteria: str) -> list[dict[str, Any]]:
        found, _ = read_whole_trail(admin, **criteria)
        return [e for e in found if position(e) in entries]  # leave out the searches since

    def expected(keep: Callable[[dict[str, Any]], bool]) -> list[tuple[int, int]]:
        return [position(e) for e in snapshot if keep(e)]

    def seq_of(found: list[dict[str, Any]]) -> list[tuple[int, int]]:
        return [position(e) for e in found]

    about_p3 = search(patientId=p3)
    assert {e["actorId"] for e in about_p3} >= {admin.id, staff.id, world["staff_cl"].id}
    assert seq_of(about_p3) == expected(lambda e: p3 in e["patientIds"])
    assert seq_of(search(actorId=staff.id)) == expected(lambda e: e["actorId"] == staff.id)
    care = expected(lambda e: e["action"] == "patient.care_assign")
    assert care and seq_of(search(action="patient.care_assign")) == care
    assert seq_of(search(patientId=p3, actorId=staff.id)) == expected(
        lambda e: p3 in e["patientIds"] and e["actorId"] == staff.id
    )

    middle = snapshot[len(snapshot) // 2]["at"]
    assert seq_of(search(**{"from": middle})) == expected(lambda e: at(e) >= at_text(middle))
    assert seq_of(search(to=middle)) == expected(lambda e: at(e) < at_text(middle))
    naive = admin.client.get("/audit", params={"to": "2030-01-01T00:00:00"})
    assert naive.status_code == 422


# --- (b) the patient's access log ---------------------------------------------------------------


def test_patients_see_who_accessed_their_record(world: People) -> None:
    p1 = world.ids["P1"]
    for who in ("staff_pe", "doctor_a", "staff_cl"):
        world[who].client.get(f"/patients/{p1}")
    world["staff_cl"].client.get(f"/patients/{world.ids['P3']}")  # somebody else's record

    response = world["patient_p1"].client.get(f"/patients/{p1}/access-log")
    assert response.status_code == 200, response.text
    log = {
        (e["actorId"], e["actorRole"], e["action"], e["outcome"]) for e in response.json()["items"]
    }
    staff, doctor, other_staff = world["staff_pe"], world["doctor_a"], world["staff_cl"]
    assert (staff.id, "staff", "patient.read", "allowed") in log
    assert (doctor.id, "doctor", "patient.read", "allowed") in log
    assert (staff.id, "staff", "patient.care_assign", "allowed") in log  # the seeding
    # A refused look is shown too; the same account reading another record is not.
    assert (other_staff.id, "staff", "patient.read", "denied") in log
    assert (other_staff.id, "staff", "patient.read", "allowed") not in log
    assert set(response.json()["items"][0]) == {"at", "actorId", "actorRole", "action", "outcome"}


def test_the_patient_of_another_record_cannot_read_the_log(world: People) -> None:
    p1, p2 = world.ids["P1"], world.ids["P2"]
    other = world["patient_p2"].client
    assert other.get(f"/patients/{p1}/access-log").status_code == 404
    assert other.get(f"/patients/{p2}/access-log").status_code == 200


# --- (c) tampering ------------------------------------------------------------------------------


@pytest.fixture
def tamper_world(server: ApiServer, people: People) -> People:
    """The world, seeded once the server no longer trusts what it remembers of the shards'
    heads: the tables were emptied under it, and its links must not name entries that
    were removed with them."""
    if not server.database_url.startswith("sqlite"):  # SQLite keeps to its one shard
        time.sleep(TRUSTED_FOR + 0.1)
    seed_records(people)
    return people


async def test_the_database_refuses_to_change_or_remove_entries(
    tamper_world: People, server: ApiServer
) -> None:
    with stored_trail(server) as trail:
        trail.assert_append_only()
    verification = await verify(server)
    assert verification.intact, verification


async def test_verify_names_a_changed_entry(tamper_world: People, server: ApiServer) -> None:
    make_some_entries(tamper_world)
    before = await verify(server)
    assert before.intact and before.checked >= 8, before

    with stored_trail(server) as trail:
        shard = trail.fullest()
        original = trail.set_actor(shard, 5, "someone-else")
    changed = await verify(server)
    assert (changed.intact, changed.first_bad_shard, changed.first_bad_seq) == (False, shard, 5)
    assert changed.problem == "entry 5 was changed"

    with stored_trail(server) as trail:
        trail.set_actor(shard, 5, original)
        trail.assert_append_only()  # the guards are back
    assert (await verify(server)).intact


async def test_verify_names_a_removed_entry(tamper_world: People, server: ApiServer) -> None:
    make_some_entries(tamper_world)

    with stored_trail(server) as trail:
        shard = trail.fullest()
        trail.remove(shard, [4])
    removed = await verify(server)
    assert (removed.intact, removed.first_bad_shard, removed.first_bad_seq) == (False, shard, 4)
    assert removed.problem == "entry 4 is missing or out of order"


async def test_verify_notices_the_last_entries_removed(
    tamper_world: People, server: ApiServer
) -> None:
    make_some_entries(tamper_world)
    with stored_trail(server) as trail:
        if server.on_dynamodb:
            # No head is kept apart from the entries there: an entry another shard's link
            # names shows its shard's tail. The writer moves on (and links) every STAY.
            for _ in range(2 * STAY):
                if trail.named():
                    break
                tamper_world["admin"].client.get("/patients")
            shard, first = trail.named()[0]
        else:  # the shard's head row shows it
            shard = trail.fullest()
            first = trail.seqs()[shard][-2]
        last = trail.seqs()[shard][-1]
        trail.remove(shard, range(first, last + 1))
    # What is left of the shard is a valid chain; only the head or a link shows what went.
    cut = await verify(server)
    assert (cut.intact, cut.first_bad_shard, cut.first_bad_seq) == (False, shard, first), cut
    assert cut.problem is not None
    assert cut.problem.startswith(f"entries after {first - 1} are missing")


# --- helpers ------------------------------------------------------------------------------------


def perform(world: People, step: Step, ids: dict[str, str] | None = None) -> httpx.Response:
    """Send the step's request as its account (`ids`: the world's, and what earlier steps
    created)."""
    ids = ids or world.ids
    path = step.path.format(**ids)
    body = _formatted(step.body, ids)
    headers = {}
    if step.if_match:
        headers["If-Match"] = world["admin"].client.get(path).headers.get("ETag", '"v1"')
    elif step.method == "PATCH":
        headers["If-Match"] = '"v99"'
    response = world[step.who].client.request(step.method, path, json=body, headers=headers)
    assert response.status_code == step.status, (step, response.text)
    return response


def route_of(step: Step) -> tuple[str, str]:
    """The OpenAPI path template a step's request goes to."""
    path = step.path.split("?")[0].replace(CARE["practitionerId"], "{practitioner_id}")
    path = path.replace(ITEM, "{item_id}")
    for key, name in CREATED.items():
        path = path.replace(f"{{{key}}}", f"{{{name}}}")
    return step.method, re.sub(r"\{(P\d|missing)\}", "{patient_id}", path)


def named_patients(step: Step, response: httpx.Response, world: People) -> list[str]:
    """The patient ids the step's audit entry must name."""
    return [response.json()["id"] if key == "new" else world.ids[key] for key in step.patients]


def _formatted(body: dict[str, Any] | None, ids: dict[str, str]) -> dict[str, Any] | None:
    if body is None:
        return None
    return {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}


def read_whole_trail(admin: Account, **criteria: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every entry (newest first) and the request ids of the page reads that fetched them."""
    entries: list[dict[str, Any]] = []
    request_ids: list[str] = []
    params: dict[str, Any] = {"limit": AUDIT_PAGE, **criteria}
    while True:
        response = admin.client.get("/audit", params=params)
        assert response.status_code == 200, response.text
        request_ids.append(response.headers["X-Request-ID"])
        page = response.json()
        entries.extend(page["items"])
        if page["nextCursor"] is None:
            return entries, request_ids
        params["cursor"] = page["nextCursor"]


def at(entry: dict[str, Any]) -> datetime:
    return at_text(entry["at"])


def at_text(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def make_some_entries(world: People) -> None:
    for who in ("admin", "staff_pe", "doctor_a", "patient_p1", "staff_cl"):
        world[who].client.get(f"/patients/{world.ids['P1']}")
        world[who].client.get("/patients")


async def verify(server: ApiServer) -> Verification:
    """`carehub audit verify`, as another process of the deployment runs it."""
    settings = Settings(database_url=server.database_url, aws_endpoint_url=server.aws_endpoint)
    carehub = await build(settings)
    try:
        return await carehub.audit.verify()
    finally:
        await carehub.close()


def position(entry: dict[str, Any]) -> tuple[int, int]:
    return entry["shard"], entry["seq"]
