"""What the benchmark sends: ids, name prefixes and bodies taken from the loaded patients."""

from __future__ import annotations

import json
import random
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from bench.baseline import TOKEN as BASELINE_TOKEN
from bench.loadgen import SEQ_MARK, Request, Scenario
from bench.server import ADMIN_EMAIL, ADMIN_PASSWORD

FLOOR, READ, COUNTRY, NAME, CREATE = "floor", "read", "list-country", "name-prefix", "create"
NOTE = "note-write"
SIGN_IN, READ_BASELINE = "sign-in", "read-unguarded"
COUNTRIES = ("PE", "CL", "CO", "MX", "US")
PAGE_LIMIT = 20
_SEQ = SEQ_MARK.decode()


def auth_headers(base_url: str) -> dict[str, str]:
    """Headers sent with every request but the floor's: the bench admin's bearer token.

    Access tokens live 15 minutes; the bench signs in again for each backend.
    """
    response = httpx.post(
        f"{base_url}/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


def sign_in_scenario() -> Scenario:
    """Password sign-in (argon2id verification, session row, ES256 token) as fast as it goes."""
    body = json.dumps({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).encode()
    return Scenario(SIGN_IN, (Request("POST", "/auth/login", (), body),))


def baseline_read(dataset: Dataset, *, seed: int = 7) -> Scenario:
    """Read by id on the baseline server: a token nobody checks, no access rules, no audit
    entry; the same ids as the measured read."""
    ids = random.Random(seed).sample(dataset.ids, min(10_000, len(dataset.ids)))
    headers = (("Authorization", f"Bearer {BASELINE_TOKEN}"),)
    return Scenario(
        READ_BASELINE, tuple(Request("GET", f"/patients/{quote(i)}", headers) for i in ids)
    )


@dataclass(frozen=True)
class Dataset:
    """What the server holds: every id, every name word, and some whole records."""

    ids: list[str]
    name_words: list[str]
    samples: list[dict[str, Any]]


def collect(
    base_url: str, headers: dict[str, str], *, samples: int = 500, page_size: int = 200
) -> Dataset:
    """Walk every list page (`page_size` at a time); this also warms the server's caches."""
    ids: list[str] = []
    words: set[str] = set()
    kept: list[dict[str, Any]] = []
    cursor: str | None = None
    with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
        while True:
            params: dict[str, str | int] = {"limit": page_size}
            if cursor:
                params["cursor"] = cursor
            response = client.get("/patients", params=params)
            response.raise_for_status()
            page = response.json()
            for patient in page["items"]:
                ids.append(patient["id"])
                name = patient["name"]
                words.update(
                    w for part in [*name["given"], name["family"] or ""] for w in part.split()
                )
                if len(kept) < samples:
                    kept.append(patient)
            cursor = page["nextCursor"]
            if not cursor:
                break
    return Dataset(ids=ids, name_words=sorted(words), samples=kept)


def build(dataset: Dataset, headers: dict[str, str], *, seed: int = 7) -> list[Scenario]:
    """The six scenarios, in the order they run at each concurrency (the writes last)."""
    rng = random.Random(seed)
    extra = tuple(headers.items())
    ids = rng.sample(dataset.ids, min(10_000, len(dataset.ids)))
    prefixes = name_prefixes(dataset.name_words, rng)
    limit = f"limit={PAGE_LIMIT}"
    return [
        Scenario(FLOOR, (Request("GET", "/health/live"),)),
        Scenario(READ, tuple(Request("GET", f"/patients/{quote(i)}", extra) for i in ids)),
        Scenario(
            COUNTRY,
            tuple(Request("GET", f"/patients?countryId={c}&{limit}", extra) for c in COUNTRIES),
        ),
        Scenario(
            NAME,
            tuple(Request("GET", f"/patients?name={quote(p)}&{limit}", extra) for p in prefixes),
        ),
        Scenario(
            CREATE,
            tuple(Request("POST", "/patients", extra, create_body(p)) for p in dataset.samples),
        ),
        Scenario(
            NOTE,
            tuple(
                Request("POST", f"/patients/{quote(i)}/notes", extra, NOTE_BODY) for i in ids[:500]
            ),
        ),
    ]


# A SOAP note of a usual size (about 600 characters), the same for every patient.
NOTE_BODY = json.dumps(
    {
        "soap": {
            "subjective": "Cough and low-grade fever for three days; no shortness of breath. "
            "Sleeping poorly, eating normally. No recent travel.",
            "objective": "T 37.9 C, HR 88, RR 16, SpO2 98% on room air. Chest clear on "
            "auscultation; mild pharyngeal erythema, no exudate.",
            "assessment": "Probable viral upper respiratory tract infection.",
            "plan": "Fluids, paracetamol as needed, return if breathing worsens or fever lasts "
            "beyond five days. Review in one week.",
        }
    },
    separators=(",", ":"),
).encode()


def name_prefixes(words: list[str], rng: random.Random, count: int = 300) -> list[str]:
    """2-4 letter prefixes of real name words: as written, lower-case, and without accents."""
    pool: set[str] = set()
    for word in words:
        for size in (2, 3, 4):
            prefix = word[:size]
            if len(prefix) == size and prefix.isalpha():
                pool.update((prefix, prefix.lower(), _strip_accents(prefix).lower()))
    return rng.sample(sorted(pool), min(count, len(pool)))


def create_body(patient: dict[str, Any]) -> bytes:
    """A POST /patients body shaped like a real record, unique by its email and identifier."""
    address = patient.get("address") or {}
    body = {
        "countryId": patient["countryId"],
        "name": {"given": patient["name"]["given"], "family": patient["name"]["family"]},
        "birthDate": patient["birthDate"],
        "sex": patient["sex"],
        "email": f"bench.{_SEQ}@example.org",
        "phoneNumber": patient["phoneNumber"],
        "address": {
            k: address[k] for k in ("lines", "city", "postalCode", "country") if address.get(k)
        },
        "identifiers": [{"system": "urn:carehub:bench:national-id", "value": _SEQ}],
        "conditions": patient["conditions"],
        "allergies": patient["allergies"],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
