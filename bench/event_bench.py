"""`make bench`, events: relay throughput and commit-to-effect latency on SQLite, with the
in-process broker and with Redis Streams.

The relay, the consumer and the producer share one process (as `carehub serve` runs them
with the in-process broker). The consumer is the real analytics consumer; an event counts
as consumed when its effect has committed and the broker has been acknowledged.

Environment:
  CAREHUB_BENCH_EVENTS         events relayed for the throughput figure (20000)
  CAREHUB_BENCH_EVENT_RATE     events/s produced for the latency figure (500)
  CAREHUB_BENCH_EVENT_SECONDS  seconds of production for the latency figure (10)
  CAREHUB_BENCH_REDIS_URL      Redis for the Redis Streams runs (redis://127.0.0.1:6379/0);
                               "none" skips them
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from rich.console import Console
from rich.table import Table

from bench.report import write_json
from carehub.adapters.sql import migrate
from carehub.analytics.handlers import count_event
from carehub.analytics.model import COUNTED_EVENTS
from carehub.bootstrap import (
    EventBackbone,
    connect,
    connect_broker,
    event_backbone,
    units_of_work,
)
from carehub.config import Settings
from carehub.countries.service import CountryService
from carehub.events.model import Consumer, ConsumerSpec
from carehub.events.ports import Delivery, Subscription
from carehub.events.runner import ConsumerRunner
from carehub.kernel.actor import Actor
from carehub.kernel.clock import SystemClock
from carehub.kernel.ids import new_id
from carehub.patients.model import HumanName, PatientDetails
from carehub.patients.service import PatientDraft, PatientService

ANALYTICS = Consumer(ConsumerSpec("analytics", frozenset(COUNTED_EVENTS)), count_event)
ACTOR = Actor.system("bench")
TICK_SECONDS = 0.01  # the producer commits a small batch every tick


@dataclass(frozen=True)
class EventFigures:
    broker: str
    relay_events: int
    relay_seconds: float
    relay_events_per_s: float
    latency_rate_asked: int
    latency_rate_reached: float
    latency_events: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


class Acknowledged:
    """A subscription that notes when each event was acknowledged (after its effect)."""

    def __init__(self, inner: Subscription) -> None:
        self.inner = inner
        self.at: dict[str, float] = {}
        self.done = asyncio.Event()
        self.expected = 0

    async def receive(self, max_messages: int, wait_seconds: float) -> list[Delivery]:
        return await self.inner.receive(max_messages, wait_seconds)

    async def ack(self, delivery: Delivery) -> None:
        await self.inner.ack(delivery)
        self.at[delivery.message.aggregate_id] = time.perf_counter()
        if len(self.at) >= self.expected:
            self.done.set()

    async def retry_later(self, delivery: Delivery, delay_seconds: float) -> None:
        await self.inner.retry_later(delivery, delay_seconds)


@dataclass
class Rig:
    events: EventBackbone
    patients: PatientService
    acks: Acknowledged
    runner: ConsumerRunner


@asynccontextmanager
async def rig(broker_url: str) -> AsyncIterator[Rig]:
    """A fresh SQLite database, the backbone with the analytics consumer, the use cases."""
    with tempfile.TemporaryDirectory(prefix="carehub-events-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate.upgrade(url)
        settings = Settings(
            database_url=url,
            data_dir=Path(folder),
            broker_url=broker_url,
            broker_prefix=f"carehub-bench-{uuid.uuid4().hex[:8]}",
        )
        clock = SystemClock()
        db = await connect(url, settings)
        committed = asyncio.Event()
        new_uow = units_of_work(db, clock, committed.set)
        events = await event_backbone(
            settings,
            db,
            clock,
            broker=connect_broker(settings),
            units_of_work=new_uow,
            every_consumer=[ANALYTICS],
            committed=committed,
        )
        acks = Acknowledged(events.broker.subscription(ANALYTICS.spec))
        runner = ConsumerRunner(ANALYTICS, acks, new_uow, events.dead_letters, clock)
        # The patients live in shipped countries, as after `carehub db upgrade`.
        await CountryService(new_uow, clock).load_shipped(actor=ACTOR)
        try:
            yield Rig(events, PatientService(new_uow, clock), acks, runner)
        finally:
            await events.broker.close()
            await db.close()
            if broker_url.startswith("redis"):
                await _forget_streams(broker_url, settings.broker_prefix)


def drafts(count: int) -> list[PatientDraft]:
    """New patients with ids chosen here, so their events can be told apart."""
    name = HumanName.from_text("Ana Ruiz")
    return [
        PatientDraft(
            country_id=("PE", "CL", "MX")[n % 3],
            details=PatientDetails(name=name),
            patient_id=new_id(),
        )
        for n in range(count)
    ]


@asynccontextmanager
async def consuming(r: Rig) -> AsyncIterator[None]:
    stopping = asyncio.Event()
    loops = [
        asyncio.create_task(r.events.relay.run(stopping)),
        asyncio.create_task(r.runner.run(stopping)),
    ]
    try:
        yield
    finally:
        stopping.set()
        await asyncio.gather(*loops)


async def relay_throughput(broker_url: str, count: int) -> tuple[float, float]:
    """Seconds to move `count` committed events to the consumer's committed effect."""
    async with rig(broker_url) as r:
        for _ in range(count // 1000):
            await r.patients.register_many(actor=ACTOR, drafts=drafts(1000))
        r.acks.expected = count // 1000 * 1000
        started = time.perf_counter()
        async with consuming(r):
            await asyncio.wait_for(r.acks.done.wait(), 600)
        seconds = time.perf_counter() - started
        return seconds, r.acks.expected / seconds


async def latency(broker_url: str, rate: int, seconds: float) -> tuple[float, list[float]]:
    """Commit-to-acknowledged latencies (ms) of events produced at `rate` per second."""
    per_tick = max(1, round(rate * TICK_SECONDS))
    async with rig(broker_url) as r, consuming(r):
        committed: dict[str, float] = {}
        ticks = int(seconds / TICK_SECONDS)
        r.acks.expected = ticks * per_tick
        started = time.perf_counter()
        producing: set[asyncio.Task[None]] = set()
        for tick in range(ticks):
            # Open loop: each tick's batch starts on time, whatever the previous one did.
            delay = started + tick * TICK_SECONDS - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(_produce(r, per_tick, committed))
            producing.add(task)
            task.add_done_callback(producing.discard)
        await asyncio.gather(*producing)
        reached = r.acks.expected / (time.perf_counter() - started)
        await asyncio.wait_for(r.acks.done.wait(), 120)
        return reached, [(r.acks.at[pid] - at) * 1000 for pid, at in committed.items()]


async def _produce(r: Rig, count: int, committed: dict[str, float]) -> None:
    batch = drafts(count)
    await r.patients.register_many(actor=ACTOR, drafts=batch)
    now = time.perf_counter()
    for draft in batch:
        committed[draft.patient_id or ""] = now


async def _forget_streams(url: str, prefix: str) -> None:
    client = Redis.from_url(url)
    async for key in client.scan_iter(match=f"{prefix}:*"):
        await client.delete(key)
    await client.aclose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(broker: str, url: str, count: int, rate: int, seconds: float) -> EventFigures:
    relay_seconds, per_second = await relay_throughput(url, count)
    reached, latencies = await latency(url, rate, seconds)
    return EventFigures(
        broker=broker,
        relay_events=count // 1000 * 1000,
        relay_seconds=round(relay_seconds, 3),
        relay_events_per_s=round(per_second, 1),
        latency_rate_asked=rate,
        latency_rate_reached=round(reached, 1),
        latency_events=len(latencies),
        p50_ms=round(statistics.median(latencies), 2),
        p95_ms=round(percentile(latencies, 0.95), 2),
        p99_ms=round(percentile(latencies, 0.99), 2),
        max_ms=round(max(latencies), 2),
    )


def main() -> None:
    env = os.environ
    count = int(env.get("CAREHUB_BENCH_EVENTS", "20000"))
    rate = int(env.get("CAREHUB_BENCH_EVENT_RATE", "500"))
    seconds = float(env.get("CAREHUB_BENCH_EVENT_SECONDS", "10"))
    redis_url = env.get("CAREHUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    brokers = {"in-process": "memory://"}
    if redis_url != "none":
        brokers["redis-streams"] = redis_url
    console = Console()
    figures = []
    for name, url in brokers.items():
        found = asyncio.run(measure(name, url, count, rate, seconds))
        console.print(f"events, {name}: {found}")
        figures.append(found)
    table = Table(title=f"event backbone on SQLite ({rate} events/s for latency)")
    for column in ("broker", "relay events/s", "rate reached", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "broker" else "right")
    for f in figures:
        table.add_row(
            f.broker,
            f"{f.relay_events_per_s:,.0f}",
            f"{f.latency_rate_reached:,.0f}",
            f"{f.p50_ms:.1f}",
            f"{f.p95_ms:.1f}",
            f"{f.p99_ms:.1f}",
        )
    console.print(table)
    in_process = figures[0]
    checks = {
        "in-process p95 < 50 ms at the asked rate": in_process.p95_ms < 50
        and in_process.latency_rate_reached >= 0.95 * rate,
        "relay >= 2,000 events/s on SQLite (in-process)": in_process.relay_events_per_s >= 2000,
    }
    for name, met in checks.items():
        console.print(f"  {'[green]✓ met' if met else '[red]✗ missed'}[/]  {name}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    payload: dict[str, Any] = {
        "started_at": stamp,
        "figures": [asdict(f) for f in figures],
        "targets": checks,
    }
    console.print(f"saved {write_json('events', stamp, payload)}")


if __name__ == "__main__":
    main()
