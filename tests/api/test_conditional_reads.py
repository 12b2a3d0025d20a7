"""Conditional reads over HTTP: If-None-Match answers 304 (no body, the ETag) while the
resource is unchanged and 200 once it changed; a 304 read is authorised and audited like
a 200, on every store."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

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

ZONE = "America/Mexico_City"
RULES = WEEKDAY_SYNC_RULES


@pytest.fixture
def clinic(server: ApiServer, api: httpx.Client) -> dict[str, Any]:
    """Mexico, one doctor working 09:00-17:00 on weekdays, one patient, and a window of
    one working day."""
    add_country(api, "MX", timeZones=[ZONE], rules=RULES)
    start = local_slot(server, "MX", ZONE, weekday=0)
    day = start.replace(hour=0, minute=0)
    return {
        "doctor": add_doctor(api, "MX", timeZone=ZONE)["doctorId"],
        "patient": add_patient(api, "MX"),
        "start": start,
        "window": {"from": iso(day), "to": iso(day + timedelta(days=1))},
    }


def read(client: httpx.Client, path: str, etag: str | None, **params: str) -> httpx.Response:
    headers = {} if etag is None else {"If-None-Match": etag}
    return client.get(path, headers=headers, params=params)


def not_modified(response: httpx.Response, etag: str) -> bool:
    return (
        response.status_code == 304
        and response.content == b""
        and response.headers["ETag"] == etag
        and "content-type" not in response.headers
    )


def test_a_patient_read_is_304_while_unchanged_and_200_after_a_change(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    path = f"/patients/{clinic['patient']}"
    first = read(api, path, None)
    assert first.status_code == 200 and first.headers["ETag"] == '"v1"'
    assert not_modified(read(api, path, '"v1"'), '"v1"')

    changed = api.patch(path, json={"sex": "other"}, headers={"If-Match": '"v1"'})
    assert changed.status_code == 200, changed.text

    again = read(api, path, '"v1"')
    assert again.status_code == 200 and again.headers["ETag"] == '"v2"'
    assert again.json() == changed.json()
    assert not_modified(read(api, path, '"v2"'), '"v2"')


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("*", 304),
        ('"v7", "v1"', 304),
        ('"v7","v1"', 304),
        ('W/"v1"', 304),  # If-None-Match compares weakly
        ('W/"v7", W/"v1"', 304),
        ('"v7"', 200),
        ('"v7", W/"v8"', 200),
        ("v1", 200),  # not an entity tag: ignored
        ("", 200),
    ],
)
def test_if_none_match_takes_star_lists_and_weak_tags(
    api: httpx.Client, clinic: dict[str, Any], header: str, status: int
) -> None:
    response = read(api, f"/patients/{clinic['patient']}", header)
    assert response.status_code == status, response.text
    assert response.headers["ETag"] == '"v1"'
    assert (response.content == b"") == (status == 304)


def test_an_over_long_if_none_match_is_422(api: httpx.Client, clinic: dict[str, Any]) -> None:
    tags = ", ".join(f'"v{n}"' for n in range(1, 500))
    response = read(api, f"/patients/{clinic['patient']}", tags)
    assert response.status_code == 422, response.text


def test_a_304_read_is_audited_like_a_200(api: httpx.Client, clinic: dict[str, Any]) -> None:
    path = f"/patients/{clinic['patient']}"
    sent = [read(api, path, tag) for tag in (None, '"v1"', "*", 'W/"v1"', '"v9"')]
    assert [r.status_code for r in sent] == [200, 304, 304, 304, 200]

    trail = api.get("/audit", params={"action": "patient.read", "limit": 200})
    assert trail.status_code == 200, trail.text
    entries = {e["requestId"]: e for e in trail.json()["items"]}
    per_request = Counter(e["requestId"] for e in trail.json()["items"])
    for response in sent:
        request_id = response.headers["X-Request-ID"]
        assert per_request[request_id] == 1, response.status_code
        entry = entries[request_id]
        assert (entry["outcome"], entry["patientIds"]) == ("allowed", [clinic["patient"]])


def test_a_conditional_read_is_still_authorised(
    server: ApiServer, api: httpx.Client, clinic: dict[str, Any]
) -> None:
    other = add_patient(api, "MX")
    with account(server, "patient", patient_id=other) as stranger:
        for tag in ("*", '"v1"'):
            response = read(stranger, f"/patients/{clinic['patient']}", tag)
            assert response.status_code == 404, response.text
            assert "ETag" not in response.headers


def test_a_birthday_ends_the_304s_of_an_unchanged_patient(
    server: ApiServer, api: httpx.Client
) -> None:
    """The age in the body moves on without a new version: no stale age is confirmed."""
    add_country(api, "MX", timeZones=[ZONE], rules=RULES)
    today = server.clock.now().date()
    born = _years_before(today + timedelta(days=2), 30)
    patient = add_patient(api, "MX", birthDate=born.isoformat())
    path = f"/patients/{patient}"
    first = read(api, path, None)
    assert first.json()["age"] == 29
    assert not_modified(read(api, path, '"v1"'), '"v1"')

    server.clock.offset += timedelta(days=3)

    later = read(api, path, '"v1"')
    assert later.status_code == 200 and later.json()["age"] == 30


def test_a_doctor_read_is_304_until_their_hours_change(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    path = f"/doctors/{clinic['doctor']}"
    etag = read(api, path, None).headers["ETag"]
    assert not_modified(read(api, path, etag), etag)
    assert not_modified(read(api, path, f"W/{etag}"), etag)
    _change_hours(api, clinic["doctor"], etag)

    changed = read(api, path, etag)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.json()["weeklyAvailability"][0]["start"] == "10:00"


@pytest.mark.parametrize("every_doctor", [False, True])
def test_availability_is_304_until_the_doctors_hours_change(
    api: httpx.Client, clinic: dict[str, Any], every_doctor: bool
) -> None:
    if every_doctor:
        path, params = "/availability", {"countryId": "MX", **clinic["window"]}
    else:
        path, params = f"/doctors/{clinic['doctor']}/availability", clinic["window"]
    first = read(api, path, None, **params)
    assert first.status_code == 200, first.text
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')  # strong: the bytes are the same
    assert read(api, path, None, **params).headers["ETag"] == etag
    assert not_modified(read(api, path, etag, **params), etag)
    assert not_modified(read(api, path, f'"other", W/{etag}', **params), etag)

    _change_hours(api, clinic["doctor"], read(api, f"/doctors/{clinic['doctor']}", None))

    changed = read(api, path, etag, **params)
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] != etag and changed.json() != first.json()
    assert not_modified(read(api, path, changed.headers["ETag"], **params), changed.headers["ETag"])


def test_availability_is_200_once_a_slot_is_booked(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    path = f"/doctors/{clinic['doctor']}/availability"
    etag = read(api, path, None, **clinic["window"]).headers["ETag"]
    booked(api, clinic["doctor"], clinic["patient"], clinic["start"])
    assert read(api, path, etag, **clinic["window"]).status_code == 200


def test_countries_and_appointments_answer_304_too(
    api: httpx.Client, clinic: dict[str, Any]
) -> None:
    appointment = booked(api, clinic["doctor"], clinic["patient"], clinic["start"])
    for path in ("/countries/MX", f"/appointments/{appointment['appointmentId']}"):
        first = read(api, path, None)
        assert first.status_code == 200, first.text
        etag = first.headers["ETag"]
        assert not_modified(read(api, path, etag), etag), path


def _change_hours(api: httpx.Client, doctor_id: str, current: str | httpx.Response) -> None:
    etag = current if isinstance(current, str) else current.headers["ETag"]
    hours = [{"day": "monday", "start": "10:00", "end": "12:00"}]
    response = api.patch(
        f"/doctors/{doctor_id}", json={"weeklyAvailability": hours}, headers={"If-Match": etag}
    )
    assert response.status_code == 200, response.text


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
