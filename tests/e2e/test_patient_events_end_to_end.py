"""Creating a patient through the API, with every broker: exactly one
`patients.patient_registered.v1` event, which reaches the analytics counter and a
registered webhook, once each."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from carehub.adapters.sql.sqlite import sqlite_path
from carehub.config import Settings
from tests.api.bodies import SEED_001_PATIENT
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, sign_in
from tests.support.clock import AdjustableClock
from tests.support.countries import SEED_001_COUNTRY
from tests.support.receiver import Receiver
from tests.support.redis_space import REDIS_URL, redis_prefix
from tests.support.server import running_server
from tests.support.services import fresh_sqlite
from tests.support.waiting import until

REGISTERED = "patients.patient_registered.v1"
SECRET = "a long enough shared secret"
BROKERS = [
    "memory",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("sqs", marks=pytest.mark.aws),
]


@pytest.fixture(params=BROKERS)
async def broker_settings(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[dict[str, object]]:
    """Settings that point carehub at the broker under test, in a namespace of its own."""
    if request.param == "memory":
        yield {}
    elif request.param == "redis":
        async with redis_prefix() as prefix:
            yield {"broker_url": REDIS_URL, "broker_prefix": prefix}
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        for name, value in (
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
        ):
            monkeypatch.setenv(name, value)
        yield {
            "broker_url": "sqs://?region=us-east-1",
            "aws_endpoint_url": endpoint,
            "broker_prefix": f"carehub-test-{uuid.uuid4().hex[:12]}",
        }


async def test_one_registered_event_reaches_analytics_and_a_webhook(
    broker_settings: dict[str, object], sqlite_template: Path, tmp_path: Path
) -> None:
    url = fresh_sqlite(sqlite_template, tmp_path)
    settings = Settings(
        database_url=url,
        data_dir=tmp_path,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
        serve_runs_consumers=True,
        webhooks_allow_private=True,  # the receiver listens on loopback
        **broker_settings,  # type: ignore[arg-type]
    )
    clock = AdjustableClock()
    async with Receiver() as receiver:
        with running_server(settings, clock) as base_url:
            token = sign_in(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
            async with httpx.AsyncClient(base_url=base_url, headers=bearer(token)) as api:
                hook = await api.post(
                    "/webhooks",
                    json={"url": receiver.url, "eventTypes": [REGISTERED], "secret": SECRET},
                )
                assert hook.status_code == 201, hook.text
                country = await api.post("/countries", json=SEED_001_COUNTRY)
                assert country.status_code == 201, country.text
                created = await api.post(
                    "/patients",
                    content=SEED_001_PATIENT,
                    headers={"Content-Type": "application/json"},
                )
                assert created.status_code == 201, created.text
                today = clock.now().date().isoformat()
                query = {
                    "metric": "patients_registered",
                    "countryId": "001",
                    "from": today,
                    "to": today,
                }

                async def counted() -> int:
                    body = (await api.get("/analytics/daily", params=query)).json()
                    return int(body["days"][0]["count"])

                async def arrived() -> bool:
                    return await counted() == 1 and len(receiver.requests) == 1

                await until(arrived, within=30)
                await asyncio.sleep(1.0)  # nothing arrives twice
                assert await counted() == 1

    [delivery] = receiver.requests
    assert delivery.signature_verifies(SECRET)
    event = json.loads(delivery.body)
    assert event["type"] == REGISTERED
    assert event["data"] == {"patientId": "0315", "countryId": "001"}
    with sqlite3.connect(sqlite_path(url)) as db:
        rows = db.execute(
            "SELECT event_id, published_at FROM outbox WHERE event_type = ?", (REGISTERED,)
        ).fetchall()
    assert len(rows) == 1
    assert rows[0][0] == event["id"]
    assert rows[0][1] is not None
