"""Country records the HTTP tests create, through the API, before they register patients
(a patient's countryId names an existing country)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from carehub.countries.rulesets import SHIPPED

# The walkthrough's first country: seed 001's patients name country "001".
SEED_001_COUNTRY = {"countryId": "001", "name": "PERU", "code": "PE"}


def create_countries(client: httpx.Client, *bodies: Mapping[str, str]) -> None:
    """POST each country body; each must be created."""
    for body in bodies:
        response = client.post("/countries", json=dict(body))
        assert response.status_code == 201, response.text


def create_shipped_countries(client: httpx.Client) -> None:
    """What `carehub countries load` adds: one record per shipped rule set, id = code."""
    create_countries(client, *({"code": rules.code} for rules in SHIPPED))
