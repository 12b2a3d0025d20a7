"""PATCH with If-Match (optimistic locking) and DELETE as deactivation."""

from __future__ import annotations

import httpx
import pytest

from tests.api.bodies import structured

# Patients here live in the shipped countries.
pytestmark = pytest.mark.usefixtures("shipped_countries")


def create(api: httpx.Client, **overrides: object) -> dict[str, object]:
    response = api.post("/patients", json=structured(**overrides))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_patch_needs_if_match(api: httpx.Client) -> None:
    patient = create(api)
    response = api.patch(f"/patients/{patient['id']}", json={"email": "new@example.org"})
    assert response.status_code == 428
    assert api.get(f"/patients/{patient['id']}").json()["email"] == "jl.quispe@example.org"


def test_patch_with_current_etag_changes_only_sent_fields(api: httpx.Client) -> None:
    patient = create(api)
    response = api.patch(
        f"/patients/{patient['id']}",
        json={"email": "new@example.org", "address": None},
        headers={"If-Match": '"v1"', "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert response.headers["ETag"] == '"v2"'
    assert updated["version"] == 2
    assert updated["email"] == "new@example.org"
    assert updated["address"] is None
    assert updated["name"] == patient["name"]
    assert updated["identifiers"] == patient["identifiers"]
    assert api.get(f"/patients/{patient['id']}").json() == updated


def test_stale_etag_is_412_and_nothing_changes(api: httpx.Client) -> None:
    patient = create(api)
    url = f"/patients/{patient['id']}"
    assert api.patch(url, json={"sex": "other"}, headers={"If-Match": '"v1"'}).status_code == 200
    stale = api.patch(url, json={"email": "lost@example.org"}, headers={"If-Match": '"v1"'})
    assert stale.status_code == 412
    current = api.get(url).json()
    assert current["email"] == "jl.quispe@example.org"
    assert current["version"] == 2


def test_unreadable_or_wildcard_if_match(api: httpx.Client) -> None:
    patient = create(api)
    url = f"/patients/{patient['id']}"
    assert api.patch(url, json={"sex": "other"}, headers={"If-Match": "*"}).status_code == 428
    assert api.patch(url, json={"sex": "other"}, headers={"If-Match": "abc"}).status_code == 412


def test_patch_refuses_unknown_immutable_and_null_required_fields(api: httpx.Client) -> None:
    patient = create(api)
    url = f"/patients/{patient['id']}"
    headers = {"If-Match": '"v1"'}
    for body, field in (
        ({"countryId": "CL"}, "countryId"),
        ({"mrn": "1"}, "mrn"),
        ({"name": None}, "name"),
    ):
        response = api.patch(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert field in {e["field"] for e in response.json()["errors"]}
    assert api.get(url).json()["version"] == 1


def test_patch_of_missing_patient_is_404(api: httpx.Client) -> None:
    response = api.patch("/patients/ghost", json={"sex": "other"}, headers={"If-Match": '"v1"'})
    assert response.status_code == 404


@pytest.mark.parametrize("age", [40, 150])
def test_patch_age_replaces_birth_date_with_estimate(api: httpx.Client, age: int) -> None:
    patient = create(api)
    response = api.patch(
        f"/patients/{patient['id']}", json={"age": age}, headers={"If-Match": '"v1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["age"] == age
    assert response.json()["birthDateEstimated"] is True


def test_delete_deactivates_but_keeps_the_record(api: httpx.Client) -> None:
    patient = create(api)
    url = f"/patients/{patient['id']}"
    response = api.delete(url)
    assert response.status_code == 200
    assert response.json()["active"] is False
    read = api.get(url)
    assert read.status_code == 200
    assert read.json()["active"] is False
    assert read.json()["name"] == patient["name"]
    assert api.get("/patients").json()["items"] == []
    listed = api.get("/patients?includeInactive=true").json()["items"]
    assert [p["id"] for p in listed] == [patient["id"]]
    assert api.delete(url).status_code == 200  # repeating it changes nothing
    assert api.get(url).json()["version"] == 2
    assert api.delete("/patients/ghost").status_code == 404
