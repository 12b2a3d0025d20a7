"""Bad input gets a clear 4xx problem and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.api.bodies import structured


def count(api: httpx.Client) -> int:
    return len(api.get("/patients?includeInactive=true&limit=200").json()["items"])


def test_unknown_field_is_422_naming_it(api: httpx.Client) -> None:
    response = api.post("/patients", json=structured(favouriteColour="blue"))
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"] == [{"field": "favouriteColour", "message": "is not a known field"}]
    assert "favouriteColour" in problem["detail"]
    assert count(api) == 0


def test_nested_unknown_field_is_named_with_its_path(api: httpx.Client) -> None:
    body = structured(address={"city": "Lima", "planet": "Earth"})
    response = api.post("/patients", json=body)
    assert response.status_code == 422
    assert {"field": "address.planet", "message": "is not a known field"} in response.json()[
        "errors"
    ]


def test_malformed_json_is_400(api: httpx.Client) -> None:
    response = api.post(
        "/patients",
        content=b'{"countryId": "PE", "name": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert count(api) == 0


def test_missing_required_fields_are_named(api: httpx.Client) -> None:
    response = api.post("/patients", json={"age": 3})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"countryId", "name"}


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"birthDate": "2999-01-01"}, "birthDate"),
        ({"phoneNumber": "call me"}, "phoneNumber"),
        ({"patientId": "has space"}, "patientId"),
        ({"countryId": "P E"}, "countryId"),
        ({"age": 200, "birthDate": None}, "age"),
        ({"age": 30}, "age"),  # with a birthDate as well
        (
            {"identifiers": [{"system": "s", "value": "1"}, {"system": "s", "value": "1"}]},
            "identifiers[1]",
        ),
    ],
)
def test_rule_violations_are_422_naming_the_field(
    api: httpx.Client, override: dict[str, object], field: str
) -> None:
    response = api.post("/patients", json=structured(**override))
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}
    assert count(api) == 0


def test_body_over_one_mebibyte_is_413(api: httpx.Client) -> None:
    body = structured(allergies=["x" * 200] * 6000)
    response = api.post("/patients", json=body)
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    assert count(api) == 0


def test_chunked_body_over_the_limit_is_413(api: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"countryId": "PE", "name": "A B", "allergies": ['
        for _ in range(1100):
            yield b'"' + b"x" * 1000 + b'",'
        yield b'"y"]}'

    response = api.post("/patients", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert count(api) == 0


def test_no_stack_trace_reaches_the_client(api: httpx.Client) -> None:
    response = api.post(
        "/patients", content=b"\xff\xfe", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "Traceback" not in response.text
    assert 'File "' not in response.text


def test_bad_query_parameters_are_422(api: httpx.Client) -> None:
    assert api.get("/patients?limit=201").status_code == 422
    assert api.get("/patients?limit=0").status_code == 422
    assert api.get("/patients?cursor=garbage!!").status_code == 422
    assert api.get("/patients?identifier=no-bar").status_code == 422
    assert api.get("/patients?birthDate=yesterday").status_code == 422
    assert api.get("/patients?name=%20").status_code == 422
