"""The API function called as API Gateway calls it (HTTP API, payload 2.0)."""

from __future__ import annotations

import base64
import json
from typing import Any

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
