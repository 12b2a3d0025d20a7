"""The Prometheus metrics with a real database and the real consumer runner: deliveries
counted by consumer and outcome, and the outbox backlog read at each scrape."""

from __future__ import annotations

from pathlib import Path

from carehub.adapters.metrics.prometheus import PrometheusMetrics
from carehub.events.model import Consumer, ConsumerSpec, RetryPolicy
from carehub.events.ports import Delivery
from carehub.events.runner import ConsumerOf, ConsumerRunner
from carehub.kernel.events import EventMessage
from tests.support.event_world import ANALYTICS, EventWorld, event_world
from tests.support.metrics import value


async def fail(message: EventMessage, uow: object) -> None:
    raise ValueError("this consumer fails on everything")


FAILING = Consumer(ConsumerSpec("failing", frozenset({"patients.patient_registered.v1"})), fail)


def counted(world: EventWorld, consumer: ConsumerOf, metrics: PrometheusMetrics) -> ConsumerRunner:
    return ConsumerRunner(
        consumer,
        world.events.broker.subscription(consumer.spec),
        world.new_uow,
        world.dead_letters,
        world.clock,
        retry=RetryPolicy(max_attempts=2, base_seconds=0.01, cap_seconds=0.01),
        metrics=metrics,
    )


async def test_deliveries_and_the_backlog_are_counted(database_url: str, tmp_path: Path) -> None:
    metrics = PrometheusMetrics()
    async with event_world(database_url, tmp_path, [ANALYTICS, FAILING]) as world:
        metrics.watch_backlog(world.events.outbox.backlog)
        await world.register()
        await world.register()
        page = (await metrics.page()).decode()
        assert value(page, "carehub_outbox_backlog") == 2

        first, _ = await world.events.outbox.unpublished(0, 10)
        analytics, failing = counted(world, ANALYTICS, metrics), counted(world, FAILING, metrics)
        await analytics.handle_one(Delivery(first.message, 1, "1"))
        await failing.handle_one(Delivery(first.message, 1, "1"))  # retried
        await failing.handle_one(Delivery(first.message, 2, "2"))  # parked
        await world.events.outbox.mark_published([first.seq], world.clock.now())

        page = (await metrics.page()).decode()
    name = "carehub_consumer_deliveries_total"
    assert value(page, name, consumer="analytics", outcome="handled") == 1
    assert value(page, name, consumer="failing", outcome="retried") == 1
    assert value(page, name, consumer="failing", outcome="dead_lettered") == 1
    assert value(page, name, consumer="failing", outcome="handled") == 0
    assert value(page, "carehub_outbox_backlog") == 1
