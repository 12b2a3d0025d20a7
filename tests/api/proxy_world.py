"""A client that claims another address, and what carehub made of it."""

from __future__ import annotations

import uuid

import httpx

from tests.api.scheduling_world import add_patient
from tests.support.auth import bearer
from tests.support.countries import ensure_country

FORGED = "203.0.113.9"


def spoofing(address: str) -> dict[str, str]:
    """Every header a client might use to claim `address`."""
    return {"X-Forwarded-For": address, "Forwarded": f"for={address}", "X-Real-IP": address}


def wrong_password(base: str, headers: dict[str, str]) -> int:
    """A failed sign-in (a new account each time, so only the per-address limit counts)."""
    body = {"email": f"{uuid.uuid4().hex[:12]}@clinic.test", "password": "not the passphrase"}
    return httpx.post(f"{base}/auth/login", json=body, headers=headers, timeout=30).status_code


def audited_address(base: str, token: str, headers: dict[str, str]) -> str | None:
    """The client address the audit trail writes for a read of a patient sent with `headers`."""
    with httpx.Client(base_url=base, headers=bearer(token), timeout=30) as client:
        ensure_country(client, "PE")
        patient = add_patient(client, "PE")
        request_id = uuid.uuid4().hex
        read = client.get(f"/patients/{patient}", headers={**headers, "X-Request-ID": request_id})
        assert read.status_code == 200, read.text
        entries = client.get("/audit", params={"patientId": patient}).json()["items"]
    [entry] = [e for e in entries if e["requestId"] == request_id]
    address: str | None = entry["clientAddress"]
    return address
