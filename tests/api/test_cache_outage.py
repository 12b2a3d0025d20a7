"""Redis going away and coming back, behind a TCP proxy the test cuts: reads and writes
still succeed from the store, readiness names the cache, sign-in attempts are refused
(they cannot be counted), and once Redis is back its cache is used again, without a
restart and without an old value kept from before the outage."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from carehub.config import Settings
from tests.api.scheduling_world import add_country, add_patient
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in
from tests.support.clock import AdjustableClock
from tests.support.metrics import value
from tests.support.redis_space import REDIS_URL
from tests.support.server import running_server
from tests.support.services import fresh_sqlite
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.redis

# What the cache is left alone for after a failure (carehub.kernel.cached_reads), and a bit.
REST = 1.3


class ProxyThread:
    """A TcpProxy on an event loop of its own, so the blocking test can cut it."""

    def __init__(self) -> None:
        target = urlsplit(REDIS_URL)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
        self.url = f"redis://127.0.0.1:{self.proxy.port}/0"

    def run(self, step: str) -> None:
        done: Future[None] = asyncio.run_coroutine_threadsafe(
            getattr(self.proxy, step)(), self.loop
        )
        done.result(timeout=10)

    def close(self) -> None:
        self.run("cut")
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def outage(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[httpx.Client, ProxyThread]]:
    proxy = ProxyThread()
    proxy.run("start")
    settings = Settings(
        database_url=fresh_sqlite(sqlite_template, tmp_path),
        data_dir=tmp_path,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
        auth_limit_per_address=100_000,
        rate_limit_per_minute=1_000_000,
        cache_url=proxy.url,
    )
    try:
        with running_server(settings, AdjustableClock()) as base_url:
            token = sign_in(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api:
                yield api, proxy
    finally:
        proxy.close()


def hits(api: httpx.Client) -> float:
    page = api.get("/metrics").text
    return value(page, "carehub_cache_lookups_total", cache="patient", outcome="hit")


def read(api: httpx.Client, path: str) -> dict[str, Any]:
    response = api.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_reads_and_writes_go_on_while_redis_is_away_and_its_cache_returns_fresh(
    outage: tuple[httpx.Client, ProxyThread],
) -> None:
    api, proxy = outage
    add_country(api, "MX", timeZones=["America/Mexico_City"])
    path = f"/patients/{add_patient(api, 'MX', sex='female')}"
    read(api, path)
    before = hits(api)
    assert read(api, path)["sex"] == "female"
    assert hits(api) == before + 1  # the cache answered (Redis holds the record)
    assert api.get("/health/ready").status_code == 200

    proxy.run("cut")
    assert read(api, path)["sex"] == "female"  # from the store
    etag = api.get(path).headers["ETag"]
    changed = api.patch(path, json={"sex": "male"}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text  # its invalidation is lost
    assert read(api, path)["sex"] == "male"
    ready = api.get("/health/ready")
    assert ready.status_code == 503, ready.text
    assert ready.headers["content-type"] == "application/problem+json"
    assert "cache" in ready.json()["detail"]
    assert api.get("/health/live").status_code == 200
    refused = httpx.post(
        f"{api.base_url}/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert refused.status_code == 429, refused.text  # attempts cannot be counted: refused
    assert "Retry-After" in refused.headers
    page = api.get("/metrics").text
    assert value(page, "carehub_cache_errors_total") >= 1

    proxy.run("start")  # Redis is back, still holding the record from before the change
    time.sleep(REST)
    assert read(api, path)["sex"] == "male"  # the cache was cleared before its use
    before = hits(api)
    assert read(api, path)["sex"] == "male"
    assert hits(api) == before + 1  # and it answers again, without a restart
    assert api.get("/health/ready").status_code == 200
