"""The clinical record over /fhir/R4 on every store: MedicationStatement (read, versions,
search, create and update through the medication use cases), Task, Observation (a
checklist's panel and items), DocumentReference (notes and files, a file created with its
bytes inline), Provenance (a note's changes) and AuditEvent (admins). Every resource served
validates with fhir.resources' R4B models and carehub's own checks; the access matrix is
the native API's."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from tests.api.clinical_world import (
    body_of,
    if_match,
    new_checklist,
    new_medication,
    new_note,
    new_task,
    people_fixture,  # noqa: F401 (the fixture `people`)
    world_fixture,  # noqa: F401 (the fixture `world`)
)
from tests.api.conftest import ApiServer
from tests.api.documents_world import PDF, png, uploaded
from tests.support.fhir_checks import validated
from tests.support.world import RECORDS, ROLES, People

# The FHIR layer maps records its use cases read; those use cases and their DynamoDB
# adapters are tested on DynamoDB by the native API tests and the contract suites, and the
# FHIR routes themselves on DynamoDB by test_fhir_patients, test_fhir_transactions,
# test_fhir_export and test_fhir_client. These run on the SQL stores.
API_STORES = ("sqlite", "postgres")

FHIR = "application/fhir+json"
BASE = "/fhir/R4"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CATEGORY_SYSTEM = "urn:carehub:document-category"


# --- helpers -----------------------------------------------------------------------------


def resource(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The resource answered, once it validated."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR)
    return validated(response.json())


def bundle(response: httpx.Response, kind: str = "searchset") -> dict[str, Any]:
    """The Bundle answered (each resource in it validated)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR)
    body: dict[str, Any] = response.json()
    Bundle.model_validate(body)
    assert body["type"] == kind
    for entry in body.get("entry", []):
        validated(entry["resource"])
    return body


def ids(response: httpx.Response) -> list[str]:
    return [e["resource"]["id"] for e in bundle(response).get("entry", [])]


def outcome(response: httpx.Response, status: int) -> list[str]:
    """The elements an OperationOutcome names (its issues' expressions)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR)
    body = response.json()
    OperationOutcome.model_validate(body)
    return [e for issue in body["issue"] for e in issue.get("expression", [])]


def every_page(client: httpx.Client, path: str, **params: Any) -> list[str]:
    """The ids of every page of a search, following `next` links."""
    found: list[str] = []
    response = client.get(f"{BASE}/{path}", params=params)
    while True:
        found += ids(response)
        links = {link["relation"]: link["url"] for link in response.json()["link"]}
        if "next" not in links:
            return found
        response = client.get(links["next"])


def statement(patient_id: str, **fields: Any) -> dict[str, Any]:
    """A MedicationStatement to create: metformin 500 mg by mouth twice a day."""
    body: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "860975"}],
            "text": "Metformin 500 mg",
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectivePeriod": {"start": "2031-01-05"},
        "dosage": [
            {
                "doseAndRate": [{"doseQuantity": {"value": 500, "unit": "mg"}}],
                "route": {"text": "oral"},
                "timing": {"code": {"text": "twice a day"}},
            }
        ],
    }
    return {**body, **fields}


def post(client: httpx.Client, path: str, body: Any, **headers: str) -> httpx.Response:
    return client.post(f"{BASE}/{path}", json=body, headers={"Content-Type": FHIR, **headers})


def put(client: httpx.Client, path: str, body: Any, **headers: str) -> httpx.Response:
    return client.put(f"{BASE}/{path}", json=body, headers={"Content-Type": FHIR, **headers})


def inline_document(
    patient_id: str, content: bytes, attachment: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    """A DocumentReference of a lab PDF, its bytes inline (with `attachment`'s elements
    and `fields` over the resource's own)."""
    body = {
        "resourceType": "DocumentReference",
        "status": "current",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": "lab"}]}],
        "subject": {"reference": f"Patient/{patient_id}"},
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "data": base64.b64encode(content).decode(),
                    "title": "hba1c.pdf",
                    **(attachment or {}),
                }
            }
        ],
    }
    return {**body, **fields}


# --- the capability statement ------------------------------------------------------------


def test_the_capability_statement_declares_the_clinical_resources(
    anonymous: httpx.Client,
) -> None:
    statement_ = anonymous.get(f"{BASE}/metadata").json()
    served = {r["type"]: r for r in statement_["rest"][0]["resource"]}

    def interactions(kind: str) -> set[str]:
        return {i["code"] for i in served[kind]["interaction"]}

    def params(kind: str) -> dict[str, str]:
        return {p["name"]: p["type"] for p in served[kind].get("searchParam", [])}

    versioned = {"read", "vread", "history-instance", "search-type"}
    assert interactions("MedicationStatement") == versioned | {"create", "update"}
    assert params("MedicationStatement") == {
        "patient": "reference",
        "status": "token",
        "date": "date",
    }
    assert "searchInclude" in served["MedicationStatement"]
    # carehub's medications have no category: none is declared.
    assert served["MedicationStatement"]["conditionalCreate"] is True
    assert interactions("Task") == versioned
    assert params("Task") == {"patient": "reference", "status": "token"}
    assert interactions("Observation") == {"read", "search-type"}
    assert interactions("DocumentReference") == versioned | {"create"}
    assert "conditionalCreate" not in served["DocumentReference"]
    assert params("DocumentReference") == {
        "patient": "reference",
        "category": "token",
        "date": "date",
    }
    assert params("Provenance") == {"target": "reference", "patient": "reference"}
    assert interactions("AuditEvent") == {"read", "search-type"}
    assert params("AuditEvent") == {"patient": "reference", "date": "date"}


# --- MedicationStatement -----------------------------------------------------------------


def test_a_medication_reads_as_a_medication_statement_with_its_versions(world: People) -> None:
    doctor, p1 = world["doctor_a"].client, world.ids["P1"]
    medication = body_of(new_medication(doctor, p1, start="2031-01-05"), 201)
    path = f"MedicationStatement/{medication['id']}"
    read = doctor.get(f"{BASE}/{path}")
    found = resource(read)
    assert read.headers["ETag"] == 'W/"1"'
    assert found["status"] == "active" and found["subject"]["reference"] == f"Patient/{p1}"
    assert found["medicationCodeableConcept"]["coding"][0] == {"system": RXNORM, "code": "860975"}
    assert found["dosage"][0]["text"] == "500 mg oral twice a day"
    # The patient reads their own.
    assert resource(world["patient_p1"].client.get(f"{BASE}/{path}"))["id"] == medication["id"]

    native = f"/patients/{p1}/medications/{medication['id']}"
    stop = doctor.post(f"{native}/stop", json={"reason": "Nausea"})
    assert stop.status_code == 200, stop.text
    history = bundle(doctor.get(f"{BASE}/{path}/_history"), "history")
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]
    assert [e["request"]["method"] for e in history["entry"]] == ["PUT", "POST"]
    first = resource(doctor.get(f"{BASE}/{path}/_history/1"))
    assert first["status"] == "active" and "statusReason" not in first
    second = resource(doctor.get(f"{BASE}/{path}/_history/2"))
    assert second["status"] == "stopped" and second["statusReason"] == [{"text": "Nausea"}]
    assert outcome(doctor.get(f"{BASE}/{path}/_history/3"), 404) == []


def test_medication_statements_are_searched_by_patient_status_and_date(world: People) -> None:
    doctor, p1 = world["doctor_a"].client, world.ids["P1"]
    january = body_of(new_medication(doctor, p1, start="2031-01-05"), 201)["id"]
    march = body_of(new_medication(doctor, p1, start="2031-03-01", code=None), 201)["id"]
    stopped = body_of(new_medication(doctor, p1, start="2030-12-24", code=None), 201)["id"]
    doctor.post(f"/patients/{p1}/medications/{stopped}/stop", json={"reason": "Rash"})

    def search(**params: Any) -> list[str]:
        return ids(doctor.get(f"{BASE}/MedicationStatement", params=params))

    assert search(patient=p1) == [stopped, march, january]
    assert search(patient=f"Patient/{p1}") == [stopped, march, january]
    assert search(patient=p1, status="active") == [march, january]
    assert search(patient=p1, status="stopped,completed") == [stopped]
    assert search(patient=p1, date="2031-01") == [january]
    assert search(patient=p1, date="ge2031-01-05") == [march, january]
    assert search(patient=p1, date=["gt2030-12-31", "lt2031-02"]) == [january]
    assert search(patient=p1, date="ne2031-03-01") == [stopped, january]
    assert every_page(doctor, "MedicationStatement", patient=p1, _count=2) == [
        stopped,
        march,
        january,
    ]
    with_patient = bundle(
        doctor.get(
            f"{BASE}/MedicationStatement",
            params={"patient": p1, "status": "active", "_include": "MedicationStatement:patient"},
        )
    )
    modes = [(e["resource"]["resourceType"], e["search"]["mode"]) for e in with_patient["entry"]]
    assert modes == [
        ("MedicationStatement", "match"),
        ("MedicationStatement", "match"),
        ("Patient", "include"),
    ]
    # A patient's own record by default; everyone else names the patient.
    own = world["patient_p1"].client.get(f"{BASE}/MedicationStatement")
    assert ids(own) == [stopped, march, january]
    assert outcome(doctor.get(f"{BASE}/MedicationStatement"), 422) == ["patient"]


@pytest.mark.parametrize(
    ("params", "element"),
    [
        ({"status": "on-hold"}, "status"),
        ({"date": "2031-13"}, "date"),
        ({"date": "sa2031"}, "date"),
        ({"_include": "MedicationStatement:source"}, "_include"),
        ({"category": "inpatient"}, "category"),
        ({"patient": "Practitioner/1"}, "patient"),
        ({"_count": "0"}, "_count"),
    ],
)
def test_bad_medication_statement_searches_are_refused(
    world: People, params: dict[str, str], element: str
) -> None:
    response = world["admin"].client.get(
        f"{BASE}/MedicationStatement", params={"patient": world.ids["P1"], **params}
    )
    assert element in outcome(response, 422)


def test_a_medication_statement_is_created_stopped_and_read_back(world: People) -> None:
    doctor, p1 = world["doctor_a"], world.ids["P1"]
    created = post(doctor.client, "MedicationStatement", statement(p1))
    made = resource(created, 201)
    assert created.headers["ETag"] == 'W/"1"'
    assert created.headers["Location"].endswith(
        f"{BASE}/MedicationStatement/{made['id']}/_history/1"
    )
    assert made["informationSource"] == {"reference": f"Practitioner/{doctor.practitioner_id}"}
    native = body_of(doctor.client.get(f"/patients/{p1}/medications/{made['id']}"))
    assert (native["dose"], native["doseUnit"], native["route"]) == (500, "mg", "oral")
    assert native["code"] == {"system": "rxnorm", "code": "860975"}
    assert (native["start"], native["frequency"]) == ("2031-01-05", "twice a day")

    path = f"MedicationStatement/{made['id']}"
    stopping = {**made, "status": "stopped", "statusReason": [{"text": "Nausea"}]}
    stopped = put(doctor.client, path, stopping, **{"If-Match": created.headers["ETag"]})
    after = resource(stopped)
    assert stopped.headers["ETag"] == 'W/"2"'
    assert after["status"] == "stopped" and "end" in after["effectivePeriod"]
    assert body_of(doctor.client.get(f"/patients/{p1}/medications/{made['id']}"))["stopReason"] == (
        "Nausea"
    )
    # What was read, sent back unchanged, changes nothing.
    again = put(doctor.client, path, after, **{"If-Match": 'W/"2"'})
    assert resource(again)["meta"]["versionId"] == "2"
    # An admin names the prescriber; a course completed is completed.
    admin = world["admin"].client
    other = statement(p1, informationSource={"reference": "Practitioner/pr-outside"})
    second = resource(post(admin, "MedicationStatement", other), 201)
    completed = put(
        admin,
        f"MedicationStatement/{second['id']}",
        {**second, "status": "completed"},
        **{"If-Match": 'W/"1"'},
    )
    assert resource(completed)["status"] == "completed"


@pytest.mark.parametrize(
    ("change", "element"),
    [
        ({"status": "stopped"}, "status"),
        ({"status": "intended"}, "status"),
        ({"statusReason": [{"text": "Why not"}]}, "statusReason"),
        ({"medicationReference": {"reference": "Medication/1"}}, "medicationReference"),
        ({"note": [{"text": "Take with food"}]}, "note"),
        ({"subject": {"reference": "Group/1"}}, "subject"),
        ({"informationSource": {"reference": "Patient/1"}}, "informationSource"),
        (
            {
                "medicationCodeableConcept": {
                    "coding": [{"system": "http://x.example", "code": "1"}],
                    "text": "Metformin",
                }
            },
            "medicationCodeableConcept.coding[0].system",
        ),
        (
            {"medicationCodeableConcept": {"coding": [{"code": "1"}], "text": "Metformin"}},
            "medicationCodeableConcept.coding[0].system",
        ),
        ({"effectivePeriod": {"start": "2031-01"}}, "effectivePeriod.start"),
        ({"effectiveDateTime": "2031-01-05"}, "effectiveDateTime"),
        ({"dosage": [{"route": {"text": "by mouth"}}]}, "dosage[0].route.text"),
        (
            {"dosage": [{"doseAndRate": [{"doseQuantity": {"value": "500", "unit": "mg"}}]}]},
            "dosage[0].doseAndRate[0].doseQuantity.value",
        ),
        (
            {"dosage": [{"doseAndRate": [{"doseQuantity": {"value": 0, "unit": "mg"}}]}]},
            "dosage[0].doseAndRate[0].doseQuantity.value",
        ),
        ({"dosage": [{"text": "two pills", "route": {"text": "oral"}}]}, "dosage[0].text"),
        ({"dosage": [{}, {}]}, "dosage"),
        ({"resourceType": "MedicationRequest"}, "resourceType"),
    ],
)
def test_a_medication_statement_carehub_cannot_keep_is_refused_naming_the_element(
    world: People, change: dict[str, Any], element: str
) -> None:
    body = statement(world.ids["P1"], **change)
    assert element in outcome(post(world["doctor_a"].client, "MedicationStatement", body), 422)


def test_who_may_create_a_medication_statement(world: People) -> None:
    p1 = world.ids["P1"]
    assert outcome(post(world["staff_pe"].client, "MedicationStatement", statement(p1)), 403) == []
    assert (
        outcome(post(world["patient_p1"].client, "MedicationStatement", statement(p1)), 403) == []
    )
    assert outcome(post(world["doctor_b"].client, "MedicationStatement", statement(p1)), 404) == []
    malformed = world["doctor_a"].client.post(
        f"{BASE}/MedicationStatement", content=b"{", headers={"Content-Type": FHIR}
    )
    assert outcome(malformed, 400) == []


def test_an_update_needs_the_version_read_and_changes_only_the_status(world: People) -> None:
    doctor, p1 = world["doctor_a"].client, world.ids["P1"]
    made = resource(post(doctor, "MedicationStatement", statement(p1)), 201)
    path = f"MedicationStatement/{made['id']}"
    stopping = {**made, "status": "stopped", "statusReason": [{"text": "Nausea"}]}
    assert outcome(put(doctor, path, stopping), 428) == []
    assert outcome(put(doctor, path, stopping, **{"If-Match": 'W/"7"'}), 412) == []
    assert outcome(put(doctor, path, stopping, **{"If-Match": '"v1"'}), 412) == []
    headers = {"If-Match": 'W/"1"'}
    dose = {**made, "dosage": [{"doseAndRate": [{"doseQuantity": {"value": 850, "unit": "mg"}}]}]}
    assert outcome(put(doctor, path, dose, **headers), 422) == [
        "dosage[0].doseAndRate[0].doseQuantity",
        "dosage[0].route",
        "dosage[0].timing",
    ]
    assert outcome(put(doctor, path, {**made, "status": "stopped"}, **headers), 422) == [
        "statusReason"
    ]
    assert outcome(put(doctor, path, {**made, "id": "other"}, **headers), 422) == ["id"]
    assert outcome(put(world["patient_p1"].client, path, stopping, **headers), 403) == []
    assert outcome(put(world["doctor_b"].client, path, stopping, **headers), 404) == []
    stopped = resource(put(doctor, path, stopping, **headers))
    # A stopped medication stays stopped.
    restart = {**stopped, "status": "active"}
    restart.pop("statusReason")
    assert outcome(put(doctor, path, restart, **{"If-Match": 'W/"2"'}), 422) == ["status"]
    assert outcome(
        put(doctor, path, {**stopped, "status": "completed"}, **{"If-Match": 'W/"2"'}), 422
    ) == ["status"]


def test_a_conditional_create_answers_the_active_medication_of_that_code(
    world: People,
) -> None:
    doctor, p1 = world["doctor_a"].client, world.ids["P1"]
    metformin = {"If-None-Exist": f"patient=Patient/{p1}&code={RXNORM}|860975"}
    created = post(doctor, "MedicationStatement", statement(p1), **metformin)
    made = resource(created, 201)
    again = post(doctor, "MedicationStatement", statement(p1), **metformin)
    assert resource(again)["id"] == made["id"]
    assert again.headers["Location"].endswith(f"/MedicationStatement/{made['id']}/_history/1")
    native = body_of(doctor.get(f"/patients/{p1}/medications", params={"status": "active"}))
    assert [m["id"] for m in native["items"]] == [made["id"]]
    # Only an active one matches: once stopped, the same request starts another.
    stopping = {**made, "status": "stopped", "statusReason": [{"text": "Nausea"}]}
    resource(put(doctor, f"MedicationStatement/{made['id']}", stopping, **{"If-Match": 'W/"1"'}))
    restarted = resource(post(doctor, "MedicationStatement", statement(p1), **metformin), 201)
    assert restarted["id"] != made["id"]
    # Two active with the code (the native API only warns of the second): not selective.
    resource(post(doctor, "MedicationStatement", statement(p1)), 201)
    assert outcome(post(doctor, "MedicationStatement", statement(p1), **metformin), 412) == []
    # The condition is the statement's own patient and code, each named once.
    for header in (
        f"patient={p1}&code={RXNORM}|860976",
        f"patient={p1}&code=860975",
        f"patient={p1}",
        f"patient={p1}&code={RXNORM}|860975&status=active",
        f"patient={world.ids['P2']}&code={RXNORM}|860975",
    ):
        refused = post(doctor, "MedicationStatement", statement(p1), **{"If-None-Exist": header})
        assert outcome(refused, 422) == ["If-None-Exist"], header
    outside = post(world["doctor_b"].client, "MedicationStatement", statement(p1), **metformin)
    assert outcome(outside, 404) == []


# --- Task and Observation ----------------------------------------------------------------


def test_tasks_read_search_and_keep_their_versions(world: People) -> None:
    staff, p1 = world["staff_pe"].client, world.ids["P1"]
    first = body_of(new_task(staff, p1, priority="urgent"), 201)
    second = body_of(new_task(staff, p1, title="Book a follow-up"), 201)
    moved = staff.patch(
        f"/patients/{p1}/tasks/{first['id']}",
        json={"status": "in_progress"},
        headers={"If-Match": '"v1"'},
    )
    assert moved.status_code == 200, moved.text
    read = staff.get(f"{BASE}/Task/{first['id']}")
    task = resource(read)
    assert (task["status"], task["priority"], read.headers["ETag"]) == (
        "in-progress",
        "urgent",
        'W/"2"',
    )
    assert resource(staff.get(f"{BASE}/Task/{first['id']}/_history/1"))["status"] == "requested"
    history = bundle(staff.get(f"{BASE}/Task/{first['id']}/_history"), "history")
    assert [e["resource"]["status"] for e in history["entry"]] == ["in-progress", "requested"]
    search = f"{BASE}/Task"
    assert ids(staff.get(search, params={"patient": p1})) == [second["id"], first["id"]]
    assert ids(staff.get(search, params={"patient": p1, "status": "in-progress"})) == [first["id"]]
    assert ids(staff.get(search, params={"patient": p1, "status": "requested"})) == [second["id"]]
    assert "status" in outcome(staff.get(search, params={"patient": p1, "status": "open"}), 422)
    assert "owner" in outcome(staff.get(search, params={"patient": p1, "owner": "x"}), 422)


def test_a_checklist_reads_as_a_panel_and_its_items(world: People) -> None:
    staff, p1 = world["staff_pe"].client, world.ids["P1"]
    checklist = body_of(new_checklist(staff, p1, "discharge"), 201)
    item = checklist["sections"][0]["items"][0]["id"]
    checked = staff.post(f"/patients/{p1}/checklists/{checklist['id']}/items/{item}/check")
    assert checked.status_code == 200, checked.text
    read = staff.get(f"{BASE}/Observation/{checklist['id']}")
    panel = resource(read)
    assert read.headers["ETag"] == 'W/"2"'
    members = [m["reference"] for m in panel["hasMember"]]
    assert members[0] == f"Observation/{checklist['id']}.1"
    first = resource(staff.get(f"{BASE}/{members[0]}"))
    assert (first["status"], first["valueBoolean"]) == ("final", True)
    last = resource(staff.get(f"{BASE}/{members[-1]}"))
    assert last["status"] == "registered" and "valueBoolean" not in last
    beyond = f"{BASE}/Observation/{checklist['id']}.{len(members) + 1}"
    assert outcome(staff.get(beyond), 404) == []
    assert outcome(staff.get(f"{BASE}/Observation/not_an_id!"), 404) == []

    second = body_of(new_checklist(staff, p1, "discharge"), 201)
    expected = [second["id"], *(f"{second['id']}.{n}" for n in range(1, len(members) + 1))]
    expected += [checklist["id"], *(m.removeprefix("Observation/") for m in members)]
    assert every_page(staff, "Observation", patient=p1, _count=3) == expected
    assert every_page(world["patient_p1"].client, "Observation") == expected


# --- DocumentReference and Provenance ----------------------------------------------------


def test_notes_are_document_references_and_their_amendments_provenances(world: People) -> None:
    doctor, p1 = world["doctor_a"].client, world.ids["P1"]
    note = new_note(doctor, p1)
    written = body_of(note, 201)
    amended = doctor.post(
        f"/patients/{p1}/notes/{written['id']}/amendments",
        json={"text": "Cough for five days.", "reason": "Wrong duration"},
        headers=if_match(note),
    )
    assert amended.status_code == 200, amended.text
    path = f"DocumentReference/{written['id']}"
    current = resource(doctor.get(f"{BASE}/{path}"))
    assert current["docStatus"] == "amended"
    text = base64.b64decode(current["content"][0]["attachment"]["data"]).decode()
    assert text == "Cough for five days."
    first = resource(doctor.get(f"{BASE}/{path}/_history/1"))
    assert (
        base64.b64decode(first["content"][0]["attachment"]["data"]).decode().startswith("Cough and")
    )
    history = bundle(doctor.get(f"{BASE}/{path}/_history"), "history")
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]

    change = resource(doctor.get(f"{BASE}/Provenance/{written['id']}.2"))
    assert change["reason"] == [{"text": "Wrong duration"}]
    assert change["target"] == [{"reference": f"{path}/_history/2"}]
    provenance = f"{BASE}/Provenance"
    both = [f"{written['id']}.1", f"{written['id']}.2"]
    assert ids(doctor.get(provenance, params={"target": path})) == both
    assert ids(doctor.get(provenance, params={"target": f"{path}/_history/2"})) == both[1:]
    assert ids(doctor.get(provenance, params={"patient": p1})) == both
    assert ids(doctor.get(provenance, params={"target": path, "patient": world.ids["P2"]})) == []
    assert ids(world["patient_p1"].client.get(provenance)) == both
    assert outcome(doctor.get(f"{provenance}/{written['id']}.3"), 404) == []
    assert "target" in outcome(doctor.get(provenance, params={"target": "Task/x/y"}), 422)


def test_files_are_document_references_with_their_download_url(
    server: ApiServer, world: People
) -> None:
    staff, p1 = world["staff_pe"].client, world.ids["P1"]
    note = body_of(new_note(staff, p1), 201)
    lab = uploaded(staff, p1, PDF, mime_type="application/pdf", filename="a1c.pdf", doc_type="lab")
    image = uploaded(
        staff, p1, png(), mime_type="image/png", filename="x.png", doc_type="radiology"
    )
    read = staff.get(f"{BASE}/DocumentReference/{lab['fileId']}")
    document = resource(read)
    attachment = document["content"][0]["attachment"]
    assert attachment["url"].startswith(server.base_url)
    assert httpx.get(attachment["url"]).content == PDF
    assert (attachment["contentType"], attachment["size"]) == ("application/pdf", len(PDF))
    assert document["category"][0]["coding"][0]["code"] == "lab"
    version = f"{BASE}/DocumentReference/{lab['fileId']}/_history/{document['meta']['versionId']}"
    assert resource(staff.get(version))["meta"] == document["meta"]
    history = bundle(staff.get(f"{BASE}/DocumentReference/{lab['fileId']}/_history"), "history")
    assert len(history["entry"]) == 1
    binary = staff.get(f"{BASE}/Binary/{lab['fileId']}")
    assert binary.status_code == 307, binary.text
    assert httpx.get(binary.headers["location"]).content == PDF
    assert world["staff_cl"].client.get(f"{BASE}/Binary/{lab['fileId']}").status_code == 404

    def search(**params: Any) -> list[str]:
        return ids(staff.get(f"{BASE}/DocumentReference", params={"patient": p1, **params}))

    assert search() == [note["id"], lab["fileId"], image["fileId"]]
    assert search(category="clinical-note") == [note["id"]]
    assert search(category=f"{CATEGORY_SYSTEM}|radiology") == [image["fileId"]]
    assert search(category="lab,clinical-note") == [note["id"], lab["fileId"]]
    assert search(category=f"{CATEGORY_SYSTEM}|") == [lab["fileId"], image["fileId"]]
    today = server.clock.now().date().isoformat()
    assert search(date=today) == [note["id"], lab["fileId"], image["fileId"]]
    assert search(date="lt2000") == []
    assert every_page(staff, "DocumentReference", patient=p1, _count=1) == [
        note["id"],
        lab["fileId"],
        image["fileId"],
    ]
    assert "category" in outcome(
        staff.get(f"{BASE}/DocumentReference", params={"patient": p1, "category": "x"}), 422
    )


def test_a_file_is_created_with_its_bytes_inline_through_the_upload_checks(
    world: People,
) -> None:
    staff, p1 = world["staff_pe"].client, world.ids["P1"]
    sha1 = base64.b64encode(hashlib.sha1(PDF).digest()).decode()
    created = post(
        staff, "DocumentReference", inline_document(p1, PDF, {"size": len(PDF), "hash": sha1})
    )
    made = resource(created, 201)
    version = made["meta"]["versionId"]
    assert created.headers["Location"].endswith(
        f"/DocumentReference/{made['id']}/_history/{version}"
    )
    assert created.headers["ETag"] == f'W/"{version}"'
    assert httpx.get(made["content"][0]["attachment"]["url"]).content == PDF
    listed = body_of(staff.get(f"/patients/{p1}/files", params={"docType": "lab"}))["items"]
    assert [f["fileId"] for f in listed] == [made["id"]]

    medication = body_of(new_medication(world["doctor_a"].client, p1), 201)
    attached = inline_document(
        p1, PDF, context={"related": [{"reference": f"MedicationStatement/{medication['id']}"}]}
    )
    related = resource(post(staff, "DocumentReference", attached), 201)
    assert related["context"]["related"] == [
        {"reference": f"MedicationStatement/{medication['id']}"}
    ]
    newer = inline_document(
        p1,
        PDF,
        relatesTo=[
            {"code": "replaces", "target": {"reference": f"DocumentReference/{made['id']}"}}
        ],
    )
    replacing = resource(post(staff, "DocumentReference", newer), 201)
    assert replacing["identifier"] == made["identifier"]
    assert resource(staff.get(f"{BASE}/DocumentReference/{made['id']}"))["status"] == "superseded"


@pytest.mark.parametrize(
    ("attachment", "element"),
    [
        ({"data": "not base64!"}, "content[0].attachment.data"),
        ({"contentType": "text/html"}, "content[0].attachment.contentType"),
        ({"contentType": "image/png"}, "content[0].attachment.data"),
        ({"size": 1}, "content[0].attachment.size"),
        ({"hash": "AAAA"}, "content[0].attachment.hash"),
        ({"url": "https://example.org/x.pdf"}, "content[0].attachment.url"),
        ({"data": ""}, "content[0].attachment.data"),
    ],
)
def test_an_inline_file_that_fails_a_check_is_refused_naming_the_element(
    world: People, attachment: dict[str, Any], element: str
) -> None:
    body = inline_document(world.ids["P1"], PDF, attachment)
    assert element in outcome(post(world["staff_pe"].client, "DocumentReference", body), 422)


def test_an_inline_file_names_an_item_of_the_patient(world: People) -> None:
    staff, p1 = world["staff_pe"].client, world.ids["P1"]
    other = body_of(new_task(staff, world.ids["P2"]), 201)
    body = inline_document(p1, PDF, context={"related": [{"reference": f"Task/{other['id']}"}]})
    assert outcome(post(staff, "DocumentReference", body), 422) == ["context.related[0]"]
    wrong = inline_document(p1, PDF, context={"related": [{"reference": "Patient/x"}]})
    assert outcome(post(staff, "DocumentReference", wrong), 422) == ["context.related[0]"]
    assert (
        outcome(post(world["doctor_b"].client, "DocumentReference", inline_document(p1, PDF)), 404)
        == []
    )


def test_a_files_create_is_not_conditional(world: People) -> None:
    staff, p1 = world["staff_pe"].client, world.ids["P1"]
    sent = post(
        staff,
        "DocumentReference",
        inline_document(p1, PDF),
        **{"If-None-Exist": f"patient={p1}&identifier=urn:carehub:document|d-1"},
    )
    assert outcome(sent, 422) == ["If-None-Exist"]
    assert body_of(staff.get(f"/patients/{p1}/files"))["items"] == []


# --- AuditEvent --------------------------------------------------------------------------


def test_admins_read_the_trail_as_audit_events(server: ApiServer, world: People) -> None:
    admin, p1 = world["admin"].client, world.ids["P1"]
    medication = body_of(new_medication(world["doctor_a"].client, p1), 201)
    found = bundle(admin.get(f"{BASE}/AuditEvent", params={"patient": f"Patient/{p1}"}))
    events = [e["resource"] for e in found["entry"]]
    start = next(e for e in events if e["subtype"][0]["code"] == "medication.start")
    assert start["entity"][0]["what"] == {"reference": f"MedicationStatement/{medication['id']}"}
    read = admin.get(f"{BASE}/AuditEvent/{start['id']}")
    assert resource(read) == start
    today = server.clock.now().date().isoformat()
    assert start["id"] in ids(
        admin.get(f"{BASE}/AuditEvent", params={"patient": p1, "date": today})
    )
    assert ids(admin.get(f"{BASE}/AuditEvent", params={"patient": p1, "date": "lt2000"})) == []
    assert ids(admin.get(f"{BASE}/AuditEvent", params={"patient": p1, "_count": 1})) == [
        events[0]["id"]
    ]
    assert outcome(admin.get(f"{BASE}/AuditEvent/999.999999"), 404) == []
    for role in ("doctor_a", "staff_pe", "patient_p1"):
        client = world[role].client
        assert outcome(client.get(f"{BASE}/AuditEvent", params={"patient": p1}), 403) == []
        assert outcome(client.get(f"{BASE}/AuditEvent/{start['id']}"), 403) == []


# --- the access matrix -------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_fhir_reads_and_searches_match_the_native_api(world: People, role: str) -> None:
    admin = world["admin"].client
    made: dict[str, dict[str, str]] = {}
    for record in RECORDS[:3]:
        patient_id = world.ids[record]
        made[record] = {
            "medications": body_of(new_medication(admin, patient_id, prescriberId="pr-1"), 201)[
                "id"
            ],
            "tasks": body_of(new_task(admin, patient_id), 201)["id"],
            "notes": body_of(new_note(admin, patient_id), 201)["id"],
            "checklists": body_of(new_checklist(admin, patient_id), 201)["id"],
        }
    fhir_types = {
        "medications": "MedicationStatement",
        "tasks": "Task",
        "notes": "DocumentReference",
        "checklists": "Observation",
    }
    client = world[role].client
    for record in RECORDS:
        patient_id = world.ids[record]
        for kind, fhir_type in fhir_types.items():
            native_list = client.get(f"/patients/{patient_id}/{kind}").status_code
            search = client.get(f"{BASE}/{fhir_type}", params={"patient": patient_id})
            assert search.status_code == native_list, (role, record, kind, search.text)
            if record == "missing":
                continue
            item_id = made[record][kind]
            native = client.get(f"/patients/{patient_id}/{kind}/{item_id}").status_code
            fhir = client.get(f"{BASE}/{fhir_type}/{item_id}")
            assert fhir.status_code == native, (role, record, kind, fhir.text)
            if native == 200:
                resource(fhir)
                assert item_id in ids(search)
