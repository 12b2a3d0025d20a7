"""Tracing over HTTP: one booking is one trace, from the request through its use case and
its statements to the country queue's consumer, and no span carries health data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from carehub.adapters.tracing.opentelemetry import OpenTelemetryTracing
from carehub.bootstrap import Carehub, build
from carehub.config import Settings
from carehub.entrypoints.http.app import create_app
from tests.api.conftest import STORES, ApiServer
from tests.api.scheduling_world import (
    add_country,
    add_doctor,
    add_patient,
    book,
    eventually,
    local_slot,
)
from tests.api.scheduling_world import settled as settled_appointment
from tests.support.answers import ANSWERS
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in
from tests.support.clock import AdjustableClock
from tests.support.dynamodb import new_table
from tests.support.server import free_port, serving
from tests.support.services import empty_postgres, fresh_sqlite

GIVEN, FAMILY = "Traceable", "Nameholder"
EMAIL, PHONE = "traceable.nameholder@example.org", "+56 9 8765 4321"


@dataclass
class TracedServer:
    server: ApiServer
    tracing: OpenTelemetryTracing
    spans: InMemorySpanExporter

    def finished(self) -> list[ReadableSpan]:
        self.tracing.flush()
        return list(self.spans.get_finished_spans())


@pytest.fixture(scope="module", params=STORES)
def traced(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TracedServer]:
    folder = tmp_path_factory.mktemp(f"traced-{request.param}")
    endpoint: str | None = None
    if request.param == "sqlite":
        url = fresh_sqlite(sqlite_template, folder)
    elif request.param == "dynamodb":
        endpoint = request.getfixturevalue("moto_endpoint")
        url = new_table(endpoint)
    else:
        url = request.getfixturevalue("postgres_url")
        empty_postgres(url)
    clock = AdjustableClock()
    port = free_port()
    settings = Settings(
        database_url=url,
        data_dir=folder,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
        rate_limit_per_minute=1_000_000,
        public_url=f"http://127.0.0.1:{port}",
        # Bookings of the countries created later get a consumer of their own.
        booking_queue_countries=["CL"],
        aws_endpoint_url=endpoint,
    )
    spans = InMemorySpanExporter()
    tracing = OpenTelemetryTracing(spans, process="api")

    async def make(s: Settings) -> Carehub:
        return await build(s, clock=clock, tracing=tracing)

    app = ANSWERS.recording(create_app(settings, carehub=make))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with serving(app, port) as base_url:
            token = sign_in(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
            server = ApiServer(base_url, url, clock, token, folder, endpoint)
            yield TracedServer(server, tracing, spans)


def test_one_booking_is_one_trace_from_the_request_to_the_consumer(traced: TracedServer) -> None:
    server = traced.server
    with server.client() as api:
        add_country(api, "CL")
        doctor = add_doctor(api, "CL", timeZone="America/Santiago")
        name = {"given": [GIVEN], "family": FAMILY}
        patient_id = add_patient(api, "CL", name=name, email=EMAIL, phoneNumber=PHONE)
        start = local_slot(server, "CL", "America/Santiago")
        traced.finished()
        traced.spans.clear()

        response = book(api, doctor["doctorId"], patient_id, start, countryId="CL")
        assert response.status_code == 202, response.text
        appointment_id = response.json()["appointmentId"]
        assert settled_appointment(api, appointment_id)["status"] == "confirmed"

    # The consumer's span ends once its delivery is acknowledged, just after the commit.
    eventually(lambda: any(s.name == "consume bookings-CL" for s in traced.finished()))
    spans = traced.finished()
    request = one(spans, "POST /appointments")
    trace_id = request.context.trace_id
    in_trace = [span for span in spans if span.context.trace_id == trace_id]
    names = {span.name for span in in_trace}
    attributes = request.attributes or {}
    assert attributes["http.route"] == "/appointments"
    assert attributes["http.response.status_code"] == 202
    # The use case, inside the request.
    assert any(n.startswith("AppointmentService.") for n in names), names
    # A statement (SQL) or a call (DynamoDB) of its unit of work, inside the request.
    stored = [s for s in in_trace if (s.attributes or {}).get("db.system.name")]
    assert stored, names
    assert "INSERT outbox" in names or "DynamoDB.TransactWriteItems" in names, names
    consumed = [span for span in in_trace if span.name == "consume bookings-CL"]
    assert consumed, names
    # The consumer's span continues the request's trace, and its statements nest in it.
    assert all(span.parent is not None for span in consumed)
    consumer_ids = {span.context.span_id for span in consumed}
    assert any(span.parent and span.parent.span_id in consumer_ids for span in in_trace)
    # The booking made no second trace, and no consumer starts one of its own: each
    # continues the trace of the request that wrote its event.
    assert not [s for s in spans if s.name == "consume bookings-CL" and s not in in_trace]
    assert all(s.parent is not None for s in spans if s.name.startswith("consume "))


def test_no_span_carries_a_name_contact_data_or_a_body(traced: TracedServer) -> None:
    server = traced.server
    with server.client() as api:
        add_country(api, "PE")
        name = {"given": [GIVEN], "family": FAMILY}
        patient_id = add_patient(api, "PE", name=name, email=EMAIL, phoneNumber=PHONE)
        assert api.get(f"/patients/{patient_id}").status_code == 200
        search = api.get("/patients", params={"name": FAMILY})
        assert search.status_code in (200, 422), search.text

    wanted = {"POST /patients", "GET /patients/{patient_id}", "GET /patients"}
    # A request's span ends once its response is sent: just after the client has it.
    eventually(lambda: wanted <= {span.name for span in traced.finished()})
    spans = traced.finished()
    names = {span.name for span in spans}
    assert any(name.startswith("PatientService.") for name in names)
    text = " ".join(
        [span.name for span in spans]
        + [str(value) for span in spans for value in (span.attributes or {}).values()]
    )
    for secret in (GIVEN, FAMILY, EMAIL, PHONE, "jl.quispe", "Diabetes", "Penicillin"):
        assert secret not in text
    # The route template names a request, never its path with the id or a query string.
    assert patient_id not in text
    assert "?" not in text


def one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, [span.name for span in spans]
    return found[0]


def test_tracing_is_off_unless_a_collector_is_set() -> None:
    """Without `CAREHUB_OTEL_ENDPOINT` the process traces nothing (and loads no SDK)."""
    from carehub.bootstrap.tracing import tracing_of
    from carehub.kernel.tracing import NO_TRACING

    assert tracing_of(Settings(), "api") is NO_TRACING
    assert tracing_of(Settings(otel_endpoint="http://127.0.0.1:4318"), "api").enabled
    with pytest.raises(ValueError):
        Settings(otel_endpoint="collector:4318")
