"""`GET /metrics` on the API: Prometheus's page, for admins only, counting each request under
its route template and status, never under an id."""

from __future__ import annotations

import time
import uuid

import httpx

from tests.api.conftest import ApiServer
from tests.support.metrics import samples, value
from tests.support.world import enrol, patient_body

PAGE_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def test_a_request_shows_under_its_route_template_and_status(
    server: ApiServer, api: httpx.Client, shipped_countries: None
) -> None:
    patient_id, missing_id = f"pt-{uuid.uuid4().hex}", f"pt-{uuid.uuid4().hex}"
    created = api.post("/patients", json=patient_body("PE", patientId=patient_id))
    assert created.status_code == 201, created.text
    assert api.get(f"/patients/{patient_id}").status_code == 200
    assert api.get(f"/patients/{missing_id}").status_code == 404

    page = api.get("/metrics")
    assert page.status_code == 200
    assert page.headers["content-type"] == PAGE_TYPE
    read = {"method": "GET", "route": "/patients/{patient_id}"}
    assert value(page.text, "carehub_http_requests_total", **read, status="200") >= 1
    assert value(page.text, "carehub_http_requests_total", **read, status="404") >= 1
    assert value(page.text, "carehub_http_request_duration_seconds_count", **read) >= 2
    assert value(page.text, "carehub_audit_entries_written_total") >= 3
    # No id in any label (nor anywhere on the page).
    labels = {label for sample in samples(page.text) for label in sample.labels.values()}
    assert not [label for label in labels if patient_id in label or missing_id in label]
    assert patient_id not in page.text and missing_id not in page.text

    # The relay and the consumers count too, as soon as they have run.
    deadline = time.monotonic() + 15
    while True:
        text = api.get("/metrics").text
        if value(text, "carehub_events_published_total") >= 1 and value(
            text, "carehub_consumer_deliveries_total", outcome="handled"
        ):
            break
        assert time.monotonic() < deadline, "the relay and consumers were not counted"
        time.sleep(0.05)
    assert "carehub_outbox_backlog" in {sample.name for sample in samples(page.text)}


def test_only_admins_read_the_metrics(server: ApiServer, anonymous: httpx.Client) -> None:
    assert anonymous.get("/metrics").status_code == 401
    staff = enrol(server, "staff", "PE")
    try:
        refused = staff.client.get("/metrics")
    finally:
        staff.client.close()
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "/metrics" in anonymous.get("/openapi.json").json()["paths"]
