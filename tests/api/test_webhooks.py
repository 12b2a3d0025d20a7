"""Webhook subscriptions over HTTP: admin-only, the secret write-only, URLs that lead to
forbidden addresses refused at once, and every delivery attempt listed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from carehub.bootstrap.event_types import EVENT_TYPES
from carehub.config import Settings
from carehub.webhooks.handlers import QueueDeliveries
from carehub.webhooks.model import AddressPolicy
from carehub.webhooks.ports import SendResult
from carehub.webhooks.service import WebhookService
from tests.adapters.webhooks.conftest import FakeResolver, ScriptedSender, event
from tests.api.conftest import ApiServer
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, sign_in
from tests.support.clock import AdjustableClock
from tests.support.server import running_server
from tests.support.services import fresh_sqlite
from tests.support.world import Account, enrol

REGISTERED = "patients.patient_registered.v1"
SECRET = "whsec_api_test_0123456789"
PUBLIC_URL = "http://203.0.113.7/hooks/carehub"  # an IP literal: no DNS needed in tests


def body(**overrides: object) -> dict[str, object]:
    return {"url": PUBLIC_URL, "eventTypes": [REGISTERED], "secret": SECRET, **overrides}


def register(api: httpx.Client, **overrides: object) -> dict[str, object]:
    response = api.post("/webhooks", json=body(**overrides))
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


@pytest.fixture
def doctor(server: ApiServer) -> Iterator[Account]:
    account = enrol(server, "doctor", "PE")
    yield account
    account.client.close()


def test_registering_answers_201_with_an_id_and_never_the_secret(api: httpx.Client) -> None:
    response = api.post("/webhooks", json=body(eventTypes=[REGISTERED, "identity.user_created.v1"]))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["id"]
    assert response.headers["Location"] == f"/webhooks/{created['id']}"
    assert created["url"] == PUBLIC_URL
    assert created["eventTypes"] == ["identity.user_created.v1", REGISTERED]
    assert created["status"] == "active"
    assert created["consecutiveFailures"] == 0
    reads = [response, api.get(f"/webhooks/{created['id']}"), api.get("/webhooks")]
    for read in reads:
        assert read.status_code in (200, 201)
        assert SECRET not in read.text
        assert "secret" not in read.text.lower()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://203.0.113.7/in", "http"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://127.0.0.1:8080/in", "loopback"),
        ("http://[::1]/in", "loopback"),
        ("http://10.0.0.5/in", "private"),
        ("http://2852039166/", "link-local"),  # 169.254.169.254 written as one number
        ("https://user:pw@203.0.113.7/in", "credentials"),
        ("http://203.0.113.7/" + "a" * 2100, "url"),
    ],
)
def test_urls_that_lead_somewhere_forbidden_are_422(
    api: httpx.Client, url: str, reason: str
) -> None:
    response = api.post("/webhooks", json=body(url=url))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["Content-Type"] == "application/problem+json"
    assert problem["errors"][0]["field"] == "url"
    assert reason in (problem["detail"] + problem["errors"][0]["message"])
    assert api.get("/webhooks").json()["items"] == []


def test_an_unknown_event_type_is_422_naming_it(api: httpx.Client) -> None:
    response = api.post("/webhooks", json=body(eventTypes=[REGISTERED, "patients.exploded.v9"]))
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"] == [
        {
            "field": "eventTypes[1]",
            "message": 'patients.exploded.v9 is not a known event type (or "*" for all)',
        }
    ]


def test_a_short_secret_or_no_event_types_is_422(api: httpx.Client) -> None:
    short = api.post("/webhooks", json=body(secret="too-short"))
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "secret"
    assert "too-short" not in short.text
    empty = api.post("/webhooks", json=body(eventTypes=[]))
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "eventTypes"


def test_only_admins_manage_webhooks(api: httpx.Client, doctor: Account) -> None:
    created = register(api)
    path = f"/webhooks/{created['id']}"
    client = doctor.client
    answers = [
        client.post("/webhooks", json=body()),
        client.get("/webhooks"),
        client.get(path),
        client.post(f"{path}/resume"),
        client.delete(path),
        client.get(f"{path}/deliveries"),
    ]
    assert [r.status_code for r in answers] == [403] * 6
    assert api.get(path).status_code == 200  # nothing was deleted


def test_no_token_is_401(anonymous: httpx.Client, server: ApiServer) -> None:
    assert anonymous.post("/webhooks", json=body()).status_code == 401
    assert anonymous.get("/webhooks").status_code == 401
    bad = anonymous.get("/webhooks", headers=bearer("not-a-token"))
    assert bad.status_code == 401


def test_list_read_resume_and_delete(api: httpx.Client) -> None:
    ids = sorted(str(register(api)["id"]) for _ in range(3))
    first = api.get("/webhooks", params={"limit": 2}).json()
    second = api.get("/webhooks", params={"limit": 2, "cursor": first["nextCursor"]}).json()
    assert [w["id"] for w in first["items"] + second["items"]] == ids
    assert second["nextCursor"] is None

    resumed = api.post(f"/webhooks/{ids[0]}/resume")
    assert resumed.status_code == 200
    assert resumed.json()["status"] == "active"

    assert api.delete(f"/webhooks/{ids[0]}").status_code == 204
    assert api.get(f"/webhooks/{ids[0]}").status_code == 404
    assert api.delete(f"/webhooks/{ids[0]}").status_code == 404
    assert api.post(f"/webhooks/{ids[0]}/resume").status_code == 404
    assert api.get(f"/webhooks/{ids[0]}/deliveries").status_code == 404
    assert api.get("/webhooks/no-such-id").json()["status"] == 404


async def test_deliveries_list_every_attempt(server: ApiServer) -> None:
    headers = bearer(server.admin_token)
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as api:
        response = await api.post("/webhooks", json=body())
        assert response.status_code == 201, response.text
        subscription_id = response.json()["id"]

        # The worker's part, in this process, on the server's database and clock.
        async with server.store() as store:
            uow = store.units_of_work
            message = event(REGISTERED)
            async with uow() as unit:  # as the consumer runner applies an event
                await QueueDeliveries(server.clock)(message, unit)
                await unit.commit()
            sender = ScriptedSender(
                answers=[SendResult(None, 10_000.0, "ReadTimeout: timed out"), SendResult(503, 8.5)]
            )
            service = WebhookService(
                uow,
                server.clock,
                sender=sender,
                resolver=FakeResolver(),
                policy=AddressPolicy(),
                known_event_types=EVENT_TYPES,
            )
            assert await service.deliver_due() == 1
            server.clock.advance(timedelta(seconds=15))
            assert await service.deliver_due() == 1

        listing = await api.get(f"/webhooks/{subscription_id}/deliveries")
    assert listing.status_code == 200, listing.text
    page = listing.json()
    assert page["nextCursor"] is None
    (delivery,) = page["items"]
    assert delivery["eventId"] == message.event_id
    assert delivery["eventType"] == REGISTERED
    assert delivery["status"] == "pending"
    assert delivery["nextAttemptAt"] is not None
    attempts = [
        (a["attempt"], a["statusCode"], a["latencyMs"], a["error"]) for a in delivery["attempts"]
    ]
    assert attempts == [(1, None, 10000.0, "ReadTimeout: timed out"), (2, 503, 8.5, None)]
    with httpx.Client(base_url=server.base_url, headers=headers) as api:
        assert api.get(f"/webhooks/{subscription_id}").json()["consecutiveFailures"] == 2


def test_loopback_receivers_are_accepted_when_private_addresses_are_allowed(
    sqlite_template: Path, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=fresh_sqlite(sqlite_template, tmp_path),
        data_dir=tmp_path,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
        webhooks_allow_private=True,
    )
    with running_server(settings, AdjustableClock()) as base_url:
        headers = bearer(sign_in(base_url, ADMIN_EMAIL, ADMIN_PASSWORD))
        with httpx.Client(base_url=base_url, headers=headers) as api:
            loopback = api.post("/webhooks", json=body(url="http://127.0.0.1:9000/in"))
            assert loopback.status_code == 201, loopback.text
            metadata = api.post("/webhooks", json=body(url="http://169.254.169.254/"))
            assert metadata.status_code == 422


def test_openapi_describes_the_routes_and_hides_the_secret(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/webhooks"]) == {"get", "post"}
    assert set(paths["/webhooks/{subscription_id}"]) == {"get", "delete"}
    assert set(paths["/webhooks/{subscription_id}/resume"]) == {"post"}
    assert set(paths["/webhooks/{subscription_id}/deliveries"]) == {"get"}
    assert {"201", "401", "403", "422"} <= set(paths["/webhooks"]["post"]["responses"])
    assert {"401", "403", "404"} <= set(paths["/webhooks/{subscription_id}"]["get"]["responses"])
    schemas = spec["components"]["schemas"]
    assert "secret" in schemas["WebhookCreate"]["properties"]
    assert "secret" not in schemas["WebhookRead"]["properties"]
    assert paths["/webhooks"]["post"]["description"]
