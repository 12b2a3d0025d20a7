"""The access matrix on /fhir/R4: every role sees through FHIR exactly what it sees through
the native API (the same use cases decide), and a patient reads only their own compartment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import ApiServer
from tests.support.world import RECORDS, ROLES, People, enrol_people, seed_records

# The FHIR layer maps records its use cases read; those use cases and their DynamoDB
# adapters are tested on DynamoDB by the native API tests and the contract suites, and the
# FHIR routes themselves on DynamoDB by test_fhir_patients, test_fhir_transactions,
# test_fhir_export and test_fhir_client. These run on the SQL stores.
API_STORES = ("sqlite", "postgres")


@pytest.fixture(scope="module")
def people(api_server: ApiServer) -> Iterator[People]:
    found = enrol_people(api_server)
    yield found
    found.close()


@pytest.fixture
def world(server: ApiServer, people: People) -> People:
    seed_records(people)
    return people


@pytest.mark.parametrize("role", ROLES)
def test_patient_reads_match_the_native_api(world: People, role: str) -> None:
    client = world[role].client
    for record in RECORDS:
        patient_id = world.ids[record]
        native = client.get(f"/patients/{patient_id}").status_code
        fhir = client.get(f"/fhir/R4/Patient/{patient_id}")
        assert fhir.status_code == native, (role, record, fhir.text)
        if native == 200:
            assert fhir.json()["id"] == patient_id


@pytest.mark.parametrize("role", ROLES)
def test_patient_searches_match_the_native_list(world: People, role: str) -> None:
    client = world[role].client
    native = client.get("/patients", params={"limit": 50})
    fhir = client.get("/fhir/R4/Patient", params={"_count": 50})
    assert fhir.status_code == 200, fhir.text
    expected = sorted(p["id"] for p in native.json()["items"])
    assert sorted(e["resource"]["id"] for e in fhir.json().get("entry", [])) == expected


def test_a_patient_finds_only_themselves(world: People) -> None:
    client = world["patient_p1"].client
    found = client.get("/fhir/R4/Patient", params={"family": "quispe"}).json()
    assert [e["resource"]["id"] for e in found.get("entry", [])] == [world.ids["P1"]]
    other = client.get("/fhir/R4/Patient", params={"_id": world.ids["P2"]}).json()
    assert "entry" not in other
