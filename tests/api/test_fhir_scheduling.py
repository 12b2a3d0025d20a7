"""/fhir/R4 Appointment, Schedule, Slot, Practitioner, PractitionerRole, Organization,
Location, Condition and AllergyIntolerance on every store: each validates with the R4B
models, and each search parameter narrows as FHIR says."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome

from tests.api.clinical_world import new_checklist, new_medication, new_note, new_task
from tests.api.conftest import ApiServer
from tests.api.scheduling_world import (
    WEEKDAY_SYNC_RULES,
    account,
    add_country,
    add_doctor,
    add_patient,
    booked,
    iso,
    local_slot,
)
from tests.support.fhir_checks import check_resource

# The FHIR layer maps records its use cases read; those use cases and their DynamoDB
# adapters are tested on DynamoDB by the native API tests and the contract suites, and the
# FHIR routes themselves on DynamoDB by test_fhir_patients, test_fhir_transactions,
# test_fhir_export and test_fhir_client. These run on the SQL stores.
API_STORES = ("sqlite", "postgres")

ZONE = "America/Mexico_City"


@pytest.fixture
def clinic(server: ApiServer, api: httpx.Client) -> dict[str, Any]:
    add_country(api, "MX", timeZones=[ZONE], rules=WEEKDAY_SYNC_RULES)
    doctor = add_doctor(api, "MX", timeZone=ZONE, license="MX-12345")
    first = add_patient(
        api,
        "MX",
        conditions=[
            {"code": "38341003", "system": "http://snomed.info/sct", "display": "Hypertension"}
        ],
        allergies=[{"display": "Penicillin"}],
    )
    second = add_patient(api, "MX", conditions=[], allergies=[])
    start = local_slot(server, "MX", ZONE)
    a1 = booked(api, doctor["doctorId"], first, start)
    a2 = booked(api, doctor["doctorId"], second, start + timedelta(days=7))
    return {
        "doctor": doctor["doctorId"],
        "patients": (first, second),
        "appointments": (a1, a2),
        "start": start,
    }


def resources(response: httpx.Response, mode: str = "match") -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    check_resource(body)
    return [e["resource"] for e in body.get("entry", []) if e["search"]["mode"] == mode]


def ids(response: httpx.Response, mode: str = "match") -> list[str]:
    return [r["id"] for r in resources(response, mode)]


def test_appointments_search_by_each_parameter(api: httpx.Client, clinic: dict[str, Any]) -> None:
    first, second = clinic["patients"]
    a1, a2 = (a["appointmentId"] for a in clinic["appointments"])
    day = clinic["start"].date()

    def found(**params: Any) -> list[str]:
        # Every search names a patient or a practitioner: DynamoDB refuses to scan.
        params.setdefault("practitioner", clinic["doctor"])
        return ids(api.get("/fhir/R4/Appointment", params=params))

    assert found(patient=f"Patient/{first}") == [a1]
    assert found(patient=second) == [a2]
    assert found(practitioner=clinic["doctor"], _sort="date") == [a1, a2]
    assert found(date=f"ge{day + timedelta(days=1)}") == [a2]
    assert found(date=[f"ge{day}", f"lt{day + timedelta(days=1)}"]) == [a1]
    assert found(date=day.isoformat()) == [a1]
    assert found(status="booked", practitioner=clinic["doctor"]) == [a1, a2]
    assert found(status="cancelled") == []
    assert found(practitioner=clinic["doctor"], _count=1) == [a1]


def test_appointment_includes_its_patient(api: httpx.Client, clinic: dict[str, Any]) -> None:
    first = clinic["patients"][0]
    response = api.get(
        "/fhir/R4/Appointment", params={"patient": first, "_include": "Appointment:patient"}
    )
    assert ids(response, "include") == [first]


def test_appointment_read_and_pages(api: httpx.Client, clinic: dict[str, Any]) -> None:
    a1 = clinic["appointments"][0]
    response = api.get(f"/fhir/R4/Appointment/{a1['appointmentId']}")
    assert response.status_code == 200, response.text
    body = response.json()
    check_resource(body)
    assert body["status"] == "booked" and body["start"].startswith(iso(clinic["start"])[:16])
    page = api.get("/fhir/R4/Appointment", params={"practitioner": clinic["doctor"], "_count": 1})
    links = {link["relation"]: link["url"] for link in page.json()["link"]}
    assert ids(api.get(links["next"])) == [clinic["appointments"][1]["appointmentId"]]


def test_slots_of_a_schedule_are_the_free_ones(api: httpx.Client, clinic: dict[str, Any]) -> None:
    doctor, start = clinic["doctor"], clinic["start"]
    day = start.date()
    response = api.get(
        "/fhir/R4/Slot",
        params={
            "schedule": f"Schedule/{doctor}",
            "start": [f"ge{day}", f"lt{day + timedelta(days=1)}"],
            "_count": 100,
        },
    )
    slots = resources(response)
    starts = {s["start"][:16] for s in slots}
    assert slots and all(s["status"] == "free" for s in slots)
    assert iso(start)[:16] not in starts  # booked
    assert iso(start + timedelta(minutes=30))[:16] in starts
    one = api.get(f"/fhir/R4/Slot/{slots[0]['id']}")
    assert one.status_code == 200 and one.json() == slots[0]
    taken = slots[0]["id"][:-12] + start.strftime("%Y%m%d%H%M")
    assert api.get(f"/fhir/R4/Slot/{taken}").status_code == 404


def test_directory_resources_read(api: httpx.Client, clinic: dict[str, Any]) -> None:
    doctor = clinic["doctor"]
    for path in (
        f"Practitioner/{doctor}",
        f"PractitionerRole/{doctor}",
        f"Schedule/{doctor}",
        "Organization/MX",
        "Location/MX",
    ):
        response = api.get(f"/fhir/R4/{path}")
        assert response.status_code == 200, (path, response.text)
        check_resource(response.json())
    assert ids(api.get("/fhir/R4/Organization")) == ["MX"]
    assert api.get("/fhir/R4/Practitioner/nobody").status_code == 404


def test_conditions_and_allergies_of_a_patient(api: httpx.Client, clinic: dict[str, Any]) -> None:
    first, second = clinic["patients"]
    conditions = resources(api.get("/fhir/R4/Condition", params={"patient": first}))
    assert [c["code"]["coding"][0]["code"] for c in conditions] == ["38341003"]
    one = api.get(f"/fhir/R4/Condition/{conditions[0]['id']}")
    assert one.status_code == 200 and one.json() == conditions[0]
    assert ids(api.get("/fhir/R4/Condition", params={"patient": second})) == []
    assert (
        ids(
            api.get(
                "/fhir/R4/Condition", params={"patient": first, "category": "encounter-diagnosis"}
            )
        )
        == []
    )
    assert (
        len(
            ids(
                api.get(
                    "/fhir/R4/Condition", params={"patient": first, "category": "problem-list-item"}
                )
            )
        )
        == 1
    )
    allergies = resources(api.get("/fhir/R4/AllergyIntolerance", params={"patient": first}))
    assert [a["code"]["text"] for a in allergies] == ["Penicillin"]
    with_patient = api.get(
        "/fhir/R4/AllergyIntolerance",
        params={"patient": first, "_include": "AllergyIntolerance:patient"},
    )
    assert ids(with_patient, "include") == [first]
    assert api.get(f"/fhir/R4/Condition/{first}.0000000000000000").status_code == 404


def test_everything_reads_a_whole_record_page_by_page(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    first = clinic["patients"][0]
    for body in (
        new_medication(api, first, prescriberId=clinic["doctor"]),
        new_note(api, first),
        new_task(api, first),
    ):
        assert body.status_code == 201, body.text
    assert new_checklist(api, first).status_code == 201
    seen: list[dict[str, Any]] = []
    response = api.get(f"/fhir/R4/Patient/{first}/$everything", params={"_count": 1})
    pages = 0
    while True:
        seen += resources(response)
        pages += 1
        links = {link["relation"]: link["url"] for link in response.json()["link"]}
        if "next" not in links:
            break
        response = api.get(links["next"])
    kinds = [r["resourceType"] for r in seen]
    assert kinds[:4] == ["Patient", "Condition", "AllergyIntolerance", "Appointment"]
    assert {"MedicationStatement", "DocumentReference", "Task", "Observation"} <= set(kinds)
    assert len({(r["resourceType"], r["id"]) for r in seen}) == len(seen)
    assert pages >= 6
    whole = resources(api.get(f"/fhir/R4/Patient/{first}/$everything", params={"_count": 100}))
    assert whole[0]["id"] == first
    assert api.get("/fhir/R4/Patient/nobody/$everything").status_code == 404


def appointment(doctor: str, patient: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "participant": [
            {"actor": {"reference": f"Patient/{patient}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{doctor}"}, "status": "accepted"},
        ],
        **fields,
    }


def post_appointment(api: httpx.Client, body: dict[str, Any], **headers: str) -> httpx.Response:
    return api.post(
        "/fhir/R4/Appointment",
        content=orjson.dumps(body),
        headers={"Content-Type": "application/fhir+json", **headers},
    )


def test_booking_through_fhir_never_double_books(api: httpx.Client, clinic: dict[str, Any]) -> None:
    doctor, (first, second) = clinic["doctor"], clinic["patients"]
    start = clinic["start"] + timedelta(hours=1)
    made = post_appointment(api, appointment(doctor, first, start=iso(start)))
    assert made.status_code == 201, made.text
    body = made.json()
    check_resource(body)
    assert body["status"] == "booked" and made.headers["location"].endswith("/_history/1")
    taken = post_appointment(api, appointment(doctor, second, start=iso(start)))
    assert taken.status_code == 409, taken.text
    assert taken.json()["resourceType"] == "OperationOutcome"
    assert taken.json()["issue"][0]["code"] == "conflict"
    slot = f"{doctor}.{(start + timedelta(minutes=30)).strftime('%Y%m%d%H%M')}"
    by_slot = post_appointment(
        api, appointment(doctor, second, slot=[{"reference": f"Slot/{slot}"}])
    )
    assert by_slot.status_code == 201, by_slot.text
    assert by_slot.json()["start"].startswith(iso(start + timedelta(minutes=30))[:16])
    mine = ids(api.get("/fhir/R4/Appointment", params={"patient": second}))
    assert by_slot.json()["id"] in mine


@pytest.mark.parametrize(
    "change",
    [
        {"status": "fulfilled"},
        {"participant": [{"actor": {"reference": "Patient/x"}}]},
        {"start": "tomorrow"},
        {"reasonCode": [{"text": "check-up"}]},
        {"slot": [{"reference": "Slot/nobody.203001010900"}]},
    ],
)
def test_bad_bookings_are_refused(
    api: httpx.Client, clinic: dict[str, Any], change: dict[str, Any]
) -> None:
    body = {**appointment(clinic["doctor"], clinic["patients"][0]), **change}
    response = post_appointment(api, body)
    assert response.status_code == 422, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


def test_conditions_and_allergies_are_added_once(api: httpx.Client, clinic: dict[str, Any]) -> None:
    second = clinic["patients"][1]
    asthma = {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {
            "coding": [
                {"system": "http://snomed.info/sct", "code": "195967001", "display": "Asthma"}
            ]
        },
        "subject": {"reference": f"Patient/{second}"},
        "onsetDateTime": "2015-04-01",
    }

    def post(path: str, body: dict[str, Any]) -> httpx.Response:
        return api.post(
            f"/fhir/R4/{path}",
            content=orjson.dumps(body),
            headers={"Content-Type": "application/fhir+json"},
        )

    made = post("Condition", asthma)
    assert made.status_code == 201, made.text
    check_resource(made.json())
    again = post("Condition", asthma)
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    listed = ids(api.get("/fhir/R4/Condition", params={"patient": second}))
    assert listed == [made.json()["id"]]
    resolved = {
        **asthma,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "resolved",
                }
            ]
        },
    }
    assert post("Condition", resolved).status_code == 422
    allergy = {
        "resourceType": "AllergyIntolerance",
        "code": {"text": "Latex"},
        "patient": {"reference": f"Patient/{second}"},
    }
    assert post("AllergyIntolerance", allergy).status_code == 201
    assert post("AllergyIntolerance", allergy).status_code == 200
    other = {**asthma, "subject": {"reference": "Patient/nobody"}}
    assert post("Condition", other).status_code == 404


def condition(patient: str, doctor: str, start: datetime) -> dict[str, str]:
    return {"If-None-Exist": f"patient={patient}&practitioner={doctor}&date={iso(start)}"}


def expressions(response: httpx.Response, status: int) -> list[str]:
    assert response.status_code == status, response.text
    body = response.json()
    OperationOutcome.model_validate(body)
    return [e for issue in body["issue"] for e in issue.get("expression", [])]


def test_a_conditional_booking_answers_the_appointment_already_booked_then(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    doctor, (first, second) = clinic["doctor"], clinic["patients"]
    start = clinic["start"] + timedelta(hours=2)
    body = appointment(doctor, first, start=iso(start))
    made = post_appointment(api, body, **condition(first, doctor, start))
    assert made.status_code == 201, made.text
    again = post_appointment(api, body, **condition(first, doctor, start))
    assert again.status_code == 200, again.text
    check_resource(again.json())
    assert again.json()["id"] == made.json()["id"] and again.headers["etag"] == 'W/"1"'
    by_slot = appointment(
        doctor, first, slot=[{"reference": f"Slot/{doctor}.{start.strftime('%Y%m%d%H%M')}"}]
    )
    assert post_appointment(api, by_slot, **condition(first, doctor, start)).status_code == 200
    on_the_day = api.get(
        "/fhir/R4/Appointment", params={"patient": first, "date": start.date().isoformat()}
    )
    assert made.json()["id"] in ids(on_the_day) and len(ids(on_the_day)) == 2
    # One booked natively is found the same way.
    native = clinic["appointments"][0]["appointmentId"]
    body = appointment(doctor, first, start=iso(clinic["start"]))
    found = post_appointment(api, body, **condition(first, doctor, clinic["start"]))
    assert (found.status_code, found.json()["id"]) == (200, native)
    # A condition is the appointment sent's own, named once each, and nothing else.
    for header in (
        f"patient={second}&practitioner={doctor}&date={iso(start)}",
        f"patient={first}&practitioner={doctor}&date={iso(start + timedelta(hours=1))}",
        f"patient={first}&practitioner={doctor}",
        f"patient={first}&practitioner={doctor}&date={iso(start)}&status=booked",
        f"patient={first}&patient={first}&practitioner={doctor}&date={iso(start)}",
        f"patient={first}&practitioner={doctor}&date=ge{start.date()}",
    ):
        refused = post_appointment(api, body, **{"If-None-Exist": header})
        assert expressions(refused, 422) == ["If-None-Exist"], header


def test_a_conditional_booking_matching_several_is_refused(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    doctor, first = clinic["doctor"], clinic["patients"][0]
    start = clinic["start"] + timedelta(hours=3)
    body = appointment(doctor, first, start=iso(start))
    cancelled = post_appointment(api, body).json()
    assert api.post(f"/appointments/{cancelled['id']}/cancel").status_code == 200
    # A cancelled appointment is a match, as the search finds it.
    found = post_appointment(api, body, **condition(first, doctor, start))
    assert (found.status_code, found.json()["status"]) == (200, "cancelled")
    assert post_appointment(api, body).status_code == 201  # the time was given back
    assert expressions(post_appointment(api, body, **condition(first, doctor, start)), 412) == []


def put_appointment(api: httpx.Client, body: dict[str, Any], **headers: str) -> httpx.Response:
    return api.put(
        f"/fhir/R4/Appointment/{body['id']}",
        content=orjson.dumps(body),
        headers={"Content-Type": "application/fhir+json", **headers},
    )


def test_an_appointment_is_moved_along_its_lifecycle_by_update(
    server: ApiServer, api: httpx.Client, clinic: dict[str, Any]
) -> None:
    a1, a2 = (a["appointmentId"] for a in clinic["appointments"])
    read = api.get(f"/fhir/R4/Appointment/{a1}")
    current, tag = read.json(), read.headers["etag"]
    # What the lifecycle refuses is a conflict: a booked visit is checked in first.
    refused = put_appointment(api, {**current, "status": "fulfilled"}, **{"If-Match": tag})
    assert expressions(refused, 409) == []
    checked_in = put_appointment(api, {**current, "status": "checked-in"}, **{"If-Match": tag})
    assert checked_in.status_code == 200, checked_in.text
    check_resource(checked_in.json())
    assert checked_in.json()["status"] == "checked-in"
    assert checked_in.headers["etag"] == f'W/"{int(current["meta"]["versionId"]) + 1}"'
    stale = put_appointment(api, {**current, "status": "checked-in"}, **{"If-Match": tag})
    assert expressions(stale, 412) == []
    # Without If-Match, the version the client read is the one it sends back.
    done = put_appointment(api, {**checked_in.json(), "status": "fulfilled"})
    assert (done.status_code, done.json()["status"]) == (200, "fulfilled")
    assert api.get(f"/appointments/{a1}").json()["status"] == "completed"

    other = api.get(f"/fhir/R4/Appointment/{a2}").json()
    unversioned = {k: v for k, v in other.items() if k != "meta"}
    assert expressions(put_appointment(api, {**unversioned, "status": "cancelled"}), 428) == []
    moved = put_appointment(api, {**other, "start": iso(clinic["start"] + timedelta(days=8))})
    assert expressions(moved, 422) == ["start"]
    assert "/reschedule" in moved.json()["issue"][0]["diagnostics"]
    someone_else = [
        {"actor": {"reference": f"Patient/{clinic['patients'][0]}"}, "status": "accepted"},
        *other["participant"][1:],
    ]
    assert expressions(put_appointment(api, {**other, "participant": someone_else}), 422) == [
        "participant"
    ]
    assert expressions(put_appointment(api, {**other, "status": "arrived"}), 422) == ["status"]
    assert expressions(put_appointment(api, {**other, "comment": "Fasting"}), 422) == ["comment"]
    assert expressions(put_appointment(api, {**other, "id": "nobody"}), 404) == []
    # A patient cancels their own appointment, and may not check themselves in.
    patient = account(server, "patient", patient_id=clinic["patients"][1])
    assert expressions(put_appointment(patient, {**other, "status": "checked-in"}), 403) == []
    cancelling = {**other, "status": "cancelled", "cancelationReason": {"text": "Travelling"}}
    cancelled = put_appointment(patient, cancelling)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancelationReason"] == {"text": "Travelling"}
    native = api.get(f"/appointments/{a2}").json()
    assert native["status"] == "cancelled"
    # The stored appointment sent back as read changes nothing.
    again = put_appointment(api, cancelled.json())
    assert (again.status_code, again.headers["etag"]) == (200, cancelled.headers["etag"])


def test_the_capability_statement_declares_the_appointment_writes(
    anonymous: httpx.Client,
) -> None:
    statement = anonymous.get("/fhir/R4/metadata").json()
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    appointment_ = served["Appointment"]
    assert {i["code"] for i in appointment_["interaction"]} >= {"create", "update", "read"}
    assert appointment_["conditionalCreate"] is True
    assert appointment_["versioning"] == "versioned-update"
    assert served["Patient"]["conditionalCreate"] is True
