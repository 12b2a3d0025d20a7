"""The metrics page off the API: on a port of its own (`CAREHUB_METRICS_PORT`), and on the
worker's health port, with the counts of the worker's own relay and consumers."""

from __future__ import annotations

from pathlib import Path

import httpx

from carehub.config import Settings
from carehub.entrypoints.worker import create_worker_app
from tests.support.clock import AdjustableClock
from tests.support.event_world import ANALYTICS, event_world
from tests.support.metrics import samples, value
from tests.support.server import free_port, running_server, serving
from tests.support.services import fresh_sqlite
from tests.support.waiting import until


def test_the_metrics_port_serves_the_page_and_the_api_does_not(
    sqlite_template: Path, tmp_path: Path
) -> None:
    port = free_port()
    settings = Settings(
        database_url=fresh_sqlite(sqlite_template, tmp_path), data_dir=tmp_path, metrics_port=port
    )
    with running_server(settings, AdjustableClock()) as base_url:
        assert httpx.get(f"{base_url}/health/live").status_code == 200
        assert httpx.get(f"{base_url}/metrics").status_code == 404
        assert "/metrics" not in httpx.get(f"{base_url}/openapi.json").json()["paths"]

        page = httpx.get(f"http://127.0.0.1:{port}/metrics")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/plain; version=0.0.4")
        live = {"method": "GET", "route": "/health/live", "status": "200"}
        assert value(page.text, "carehub_http_requests_total", **live) == 1
        assert httpx.get(f"http://127.0.0.1:{port}/other").status_code == 404


async def test_the_worker_serves_its_own_counts(database_url: str, tmp_path: Path) -> None:
    async with event_world(database_url, tmp_path, [ANALYTICS]) as world:
        patient = await world.register()  # its event waits in the outbox for the worker
    settings = Settings(database_url=database_url, data_dir=tmp_path)
    handled = {"consumer": "analytics", "outcome": "handled"}
    with serving(create_worker_app(settings)) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as worker:

            async def relayed_and_counted() -> bool:
                page = (await worker.get("/metrics")).text
                return value(page, "carehub_events_published_total") >= 1 and bool(
                    value(page, "carehub_consumer_deliveries_total", **handled)
                )

            await until(relayed_and_counted, within=20)
            page = (await worker.get("/metrics")).text
    assert value(page, "carehub_outbox_backlog") == 0
    assert all(patient.id not in label for s in samples(page) for label in s.labels.values())
