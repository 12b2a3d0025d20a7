"""The API function called as API Gateway calls it (HTTP API, payload 2.0)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from carehub.entrypoints.aws import http
from tests.entrypoints.aws.events import api_gateway_v2
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.support.world import patient_body


def body_of(response: dict[str, Any]) -> Any:
    raw = response["body"]
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw)


class LambdaApi:
    """Requests through `http.handler`, signed in as the bootstrap admin."""

    def __init__(self) -> None:
        login = self.call("POST", "/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        self.bearer = {"authorization": f"Bearer {login['accessToken']}"}

    def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        """The answer's body, once its status is as expected."""
        response = self.request(method, path, body)
        assert response["statusCode"] == status, response
        return body_of(response)

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """The function's whole answer."""
        headers = getattr(self, "bearer", None)
        response: dict[str, Any] = http.handler(
            api_gateway_v2(method, path, body=body, headers=headers), None
        )
        return response

    def patient(self, country: str = "PE", *, new_country: bool = True) -> str:
        """A patient registered (in a new country unless told otherwise); their id."""
        if new_country:
            self.call("POST", "/countries", {"code": country}, status=201)
        return str(self.call("POST", "/patients", patient_body(country), status=201)["id"])


def doctor_body(doctor_id: str, country: str) -> dict[str, Any]:
    """A doctor working 09:00 to 17:00 (local time) on weekdays."""
    days = ("monday", "tuesday", "wednesday", "thursday", "friday")
    return {
        "doctorId": doctor_id,
        "name": "Dr. Test",
        "specialty": "Cardiology",
        "countryId": country,
        "weeklyAvailability": [{"day": d, "start": "09:00", "end": "17:00"} for d in days],
    }


def booked_weekday(
    api: LambdaApi, doctor_id: str, patient_id: str, zone: ZoneInfo, path: str = "/appointments"
) -> dict[str, Any]:
    """What `path` answered for the first weekday at 11:00 local, a week or more ahead, that
    it accepted (a public holiday it does not)."""
    day = datetime.now(zone).date() + timedelta(days=7)
    for _ in range(14):
        day += timedelta(days=1)
        if day.weekday() >= 5:
            continue
        start = datetime.combine(day, time(11, 0), tzinfo=zone).astimezone(UTC)
        body = {"doctorId": doctor_id, "patientId": patient_id, "start": start.isoformat()}
        response = api.request("POST", path, body)
        if response["statusCode"] in (201, 202):
            answer: dict[str, Any] = body_of(response)
            return {**answer, "request": body}
    raise AssertionError(f"no weekday slot was accepted by {path}")
