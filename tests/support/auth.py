"""Signing in over HTTP in tests."""

from __future__ import annotations

import httpx

ADMIN_EMAIL = "admin@clinic.test"
ADMIN_PASSWORD = "correct horse battery staple"


def sign_in(base_url: str, email: str, password: str) -> str:
    """An access token for the account (raises unless sign-in succeeds)."""
    response = httpx.post(
        f"{base_url}/auth/login", json={"email": email, "password": password}, timeout=30
    )
    response.raise_for_status()
    token: str = response.json()["accessToken"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
