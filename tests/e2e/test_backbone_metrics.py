"""What the metrics page reads from the event backbone and the database when it is
rendered: the outbox's backlog and lag (non-zero while events wait, zero once the relay has
moved them), the dead letters waiting, each consumer's queue depth where the broker can
tell, and the PostgreSQL pool; and a trace that survives Redis Streams and SNS + SQS."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from carehub.adapters.tracing.opentelemetry import OpenTelemetryTracing
from carehub.bootstrap import Carehub, build
from carehub.config import Settings
from carehub.kernel.actor import Actor
from carehub.patients.model import HumanName, PatientDetails
from carehub.patients.service import PatientDraft
from tests.support.clock import AdjustableClock
from tests.support.metrics import samples, value
from tests.support.redis_space import REDIS_URL, redis_prefix
from tests.support.services import empty_postgres, fresh_sqlite

SYSTEM = Actor.system("test")


DURABLE = [
    pytest.param("redis-sqlite", marks=pytest.mark.redis),
    pytest.param("sqs-sqlite", marks=pytest.mark.aws),
]


@pytest.fixture(
    params=["memory-sqlite", *DURABLE, pytest.param("memory-postgres", marks=pytest.mark.postgres)]
)
async def settings(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_template: Path,
    tmp_path: Path,
) -> AsyncIterator[Settings]:
    async for made in settings_for(request, monkeypatch, sqlite_template, tmp_path):
        yield made


@pytest.fixture(params=DURABLE)
async def durable(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_template: Path,
    tmp_path: Path,
) -> AsyncIterator[Settings]:
    """A durable broker's settings: its messages carry the trace beside the envelope."""
    async for made in settings_for(request, monkeypatch, sqlite_template, tmp_path):
        yield made


async def settings_for(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_template: Path,
    tmp_path: Path,
) -> AsyncIterator[Settings]:
    broker, database = request.param.split("-")
    if database == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        empty_postgres(url)
    else:
        url = fresh_sqlite(sqlite_template, tmp_path)
    base = Settings(database_url=url, data_dir=tmp_path)
    if broker == "memory":
        yield base
    elif broker == "redis":
        async with redis_prefix() as prefix:
            yield base.model_copy(update={"broker_url": REDIS_URL, "broker_prefix": prefix})
    else:
        for name, value_ in (
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
        ):
            monkeypatch.setenv(name, value_)
        yield base.model_copy(
            update={
                "broker_url": "sqs://?region=us-east-1",
                "aws_endpoint_url": request.getfixturevalue("moto_endpoint"),
                "broker_prefix": f"carehub-test-{uuid.uuid4().hex[:12]}",
            }
        )


async def register(carehub: Carehub) -> str:
    if not await carehub.countries.list_all():
        await carehub.countries.load_shipped(actor=SYSTEM)
    draft = PatientDraft(
        country_id="PE", details=PatientDetails(name=HumanName.from_text("Ana Ruiz"))
    )
    return (await carehub.patients.register(actor=SYSTEM, draft=draft)).id


async def test_the_outbox_lag_and_backlog_show_waiting_events_until_the_relay_moves_them(
    settings: Settings,
) -> None:
    clock = AdjustableClock()
    # No background loop runs: the events wait until the test drains the relay.
    carehub = await build(settings, clock=clock)
    try:
        await register(carehub)
        await register(carehub)
        clock.offset += timedelta(seconds=42)

        waiting = (await carehub.metrics.page()).decode()
        assert value(waiting, "carehub_outbox_backlog") >= 2
        assert value(waiting, "carehub_outbox_lag_seconds") >= 42
        assert value(waiting, "carehub_dead_letters_waiting") == 0
        names = {sample.name for sample in samples(waiting)}
        assert "carehub_consumer_queue_depth" in names or not carehub.events.runners

        # The in-process broker hands events over only to running consumers; a durable
        # one keeps them for consumers that are not running here.
        in_process = settings.broker_url.startswith("memory:")
        stopping = asyncio.Event()
        runners = carehub.events.runners if in_process else []
        running = [asyncio.create_task(runner.run(stopping)) for runner in runners]
        try:
            assert await carehub.events.relay.drain() >= 2
        finally:
            stopping.set()
            await asyncio.gather(*running)
        moved = (await carehub.metrics.page()).decode()
        assert value(moved, "carehub_outbox_backlog") == 0
        assert value(moved, "carehub_outbox_lag_seconds") == 0
        depths = {
            sample.labels["consumer"]: sample.value
            for sample in samples(moved)
            if sample.name == "carehub_consumer_queue_depth"
        }
        consumers = {runner.name for runner in carehub.events.runners}
        assert set(depths) == consumers
        if in_process:
            assert set(depths.values()) == {0}  # every copy was settled
        else:  # the analytics consumer's queue holds both registrations
            assert depths["analytics"] >= 2
        if settings.resolved_database_url.startswith("postgresql"):
            assert value(moved, "carehub_db_pool_max_connections") >= 1
            assert value(moved, "carehub_db_pool_connections", state="idle") >= 1
        else:
            assert "carehub_db_pool_connections" not in {s.name for s in samples(moved)}
    finally:
        await carehub.close()


async def test_a_trace_survives_the_broker(durable: Settings) -> None:
    spans = InMemorySpanExporter()
    tracing = OpenTelemetryTracing(spans, process="worker")
    carehub = await build(durable, clock=AdjustableClock(), tracing=tracing)
    try:
        with tracing.span("test", {}):
            await register(carehub)
        await carehub.events.relay.drain()
        analytics = next(r for r in carehub.events.runners if r.name == "analytics")
        deliveries = await analytics.subscription.receive(10, 5.0)
        assert deliveries
        assert all(d.message.trace_context.get("traceparent") for d in deliveries)
        await analytics.handle(deliveries)
    finally:
        await carehub.close()
    tracing.flush()
    finished = spans.get_finished_spans()
    root = next(span for span in finished if span.name == "test")
    consumed = [span for span in finished if span.name == "consume analytics"]
    assert consumed
    assert {span.context.trace_id for span in consumed} == {root.context.trace_id}
