"""POST /patients and GET /patients/{id}, on every SQL backend."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from carehub.patients.mrn import is_valid_mrn
from tests.api.bodies import SEED_001_PATIENT, structured
from tests.api.conftest import ApiServer
from tests.support.countries import SEED_001_COUNTRY, create_countries

# Patients here live in the shipped countries.
pytestmark = pytest.mark.usefixtures("shipped_countries")


def post(api: httpx.Client, body: dict[str, object], **headers: str) -> httpx.Response:
    return api.post("/patients", json=body, headers=headers)


def test_seed_001_example_is_created_and_read_back(api: httpx.Client) -> None:
    create_countries(api, SEED_001_COUNTRY)
    created = api.post(
        "/patients", content=SEED_001_PATIENT, headers={"Content-Type": "application/json"}
    )
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/patients/0315"
    assert created.headers["ETag"] == '"v1"'
    patient = created.json()
    assert patient["id"] == "0315"
    assert patient["name"] == {"text": "Jorge Moros", "given": ["Jorge"], "family": "Moros"}
    assert patient["age"] == 85
    assert patient["birthDateEstimated"] is True
    assert patient["address"]["text"] == "123 Main St, Anytown, USA"
    assert patient["email"] == "johndoe@example.com"
    assert patient["phoneNumber"] == "+1-555-555-5555"
    assert patient["countryId"] == "001"
    assert is_valid_mrn(patient["mrn"])
    read = api.get("/patients/0315")
    assert read.status_code == 200
    assert read.json() == patient
    assert read.headers["ETag"] == '"v1"'


@pytest.mark.parametrize("age", [0, 150])
def test_any_allowed_age_becomes_an_estimated_birth_date(api: httpx.Client, age: int) -> None:
    created = post(api, structured(age=age, birthDate=None, identifiers=[]))
    assert created.status_code == 201, created.text
    patient = created.json()
    assert patient["age"] == age
    assert patient["birthDateEstimated"] is True


def test_structured_body_round_trips(api: httpx.Client) -> None:
    created = post(api, structured())
    assert created.status_code == 201, created.text
    patient = created.json()
    uuid_value = uuid.UUID(patient["id"])
    assert uuid_value.version == 7
    assert patient["name"]["text"] == "José Luis Quispe Mamani"
    assert patient["birthDate"] == "1980-03-14"
    assert patient["birthDateEstimated"] is False
    assert patient["address"]["city"] == "Lima"
    assert patient["address"]["postalCode"] == "15046"
    assert patient["identifiers"] == [{"system": "urn:pe:dni", "value": "40123456"}]
    assert patient["conditions"][0]["code"] == "44054006"
    assert patient["allergies"] == [{"code": None, "system": None, "display": "Penicillin"}]
    assert api.get(f"/patients/{patient['id']}").json() == patient


def test_mrn_is_unique_and_sequential_per_country(api: httpx.Client) -> None:
    first_pe = post(api, structured(identifiers=[])).json()["mrn"]
    second_pe = post(api, structured(identifiers=[])).json()["mrn"]
    first_cl = post(api, structured(countryId="CL", identifiers=[])).json()["mrn"]
    assert first_pe != second_pe
    assert first_cl == first_pe  # numbering restarts in every country
    assert int(second_pe[:-1]) == int(first_pe[:-1]) + 1


def test_taken_id_is_409_and_the_first_patient_is_untouched(api: httpx.Client) -> None:
    assert post(api, structured(patientId="p-1", identifiers=[])).status_code == 201
    again = post(api, structured(patientId="p-1", name="Someone Else", identifiers=[]))
    assert again.status_code == 409
    assert again.headers["Content-Type"] == "application/problem+json"
    assert again.json()["status"] == 409
    assert api.get("/patients/p-1").json()["name"]["family"] == "Quispe Mamani"
    assert len(api.get("/patients").json()["items"]) == 1


def test_taken_identifier_is_409_without_leaking_its_value(api: httpx.Client) -> None:
    assert post(api, structured()).status_code == 201
    clash = post(api, structured(name="Ana Torres"))
    assert clash.status_code == 409
    assert "40123456" not in clash.text
    assert len(api.get("/patients").json()["items"]) == 1


def test_unknown_patient_is_404_problem(api: httpx.Client) -> None:
    response = api.get("/patients/nope")
    assert response.status_code == 404
    problem = response.json()
    assert problem["type"].endswith(":not-found")
    assert problem["instance"] == "/patients/nope"
    assert problem["requestId"] == response.headers["X-Request-ID"]


def test_request_id_from_the_client_is_kept(api: httpx.Client) -> None:
    response = api.get("/patients/nope", headers={"X-Request-ID": "trace-123"})
    assert response.headers["X-Request-ID"] == "trace-123"
    assert response.json()["requestId"] == "trace-123"


def test_concurrent_creates_all_succeed_with_distinct_mrns(
    api: httpx.Client, server: ApiServer
) -> None:
    def create(i: int) -> int:
        with server.client() as client:
            body = structured(identifiers=[{"system": "urn:t", "value": str(i)}])
            return client.post("/patients", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(create, range(40)))
    assert statuses == [201] * 40
    mrns = {p["mrn"] for p in api.get("/patients?limit=200").json()["items"]}
    assert len(mrns) == 40
