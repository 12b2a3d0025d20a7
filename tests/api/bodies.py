"""Request bodies the API tests send."""

from __future__ import annotations

from typing import Any

# Seed 001's "Create a Patient" example, byte for byte.
SEED_001_PATIENT = """{
  "patientId": "0315",
  "name": "Jorge Moros ",
  "age": 85,
  "address": "123 Main St, Anytown, USA",
  "email": "johndoe@example.com",
  "phoneNumber": "+1-555-555-5555",
  "countryId": "001"
}"""


def structured(**overrides: Any) -> dict[str, Any]:
    """A structured patient body (the documented form)."""
    body: dict[str, Any] = {
        "countryId": "PE",
        "name": {"given": ["José", "Luis"], "family": "Quispe Mamani"},
        "birthDate": "1980-03-14",
        "sex": "male",
        "email": "jl.quispe@example.org",
        "phoneNumber": "+51 987 654 321",
        "address": {
            "lines": ["Av. Arequipa 1234"],
            "city": "Lima",
            "postalCode": "15046",
            "country": "PE",
        },
        "identifiers": [{"system": "urn:pe:dni", "value": "40123456"}],
        "conditions": [
            {
                "code": "44054006",
                "system": "http://snomed.info/sct",
                "display": "Diabetes mellitus type 2",
            }
        ],
        "allergies": ["Penicillin"],
    }
    body.update(overrides)
    return body
