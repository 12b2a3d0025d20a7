"""The process's metrics in a Prometheus registry of its own, and their text page.

One registry per built carehub (not the library's global one), so two apps in one process
(tests, the worker beside an API) never register a metric twice. Counts are per process:
Prometheus adds up the processes it scrapes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

from carehub.kernel.metrics import CacheOutcome, PoolUse, Settled

log = logging.getLogger("carehub.metrics")


class PrometheusMetrics:
    """Implements the kernel's Metrics port; `page()` renders what it counted."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        self._requests = Counter(
            "carehub_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self._latency = Histogram(
            "carehub_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self._published = Counter(
            "carehub_events_published", "Outbox events handed to the broker", registry=registry
        )
        self._settled = Counter(
            "carehub_consumer_deliveries",
            "Deliveries consumers settled: handled, retried or dead_lettered",
            ["consumer", "outcome"],
            registry=registry,
        )
        self._audit = Counter(
            "carehub_audit_entries_written", "Audit entries stored", registry=registry
        )
        self._backlog = Gauge(
            "carehub_outbox_backlog",
            "Outbox events waiting to be published, read when the page is rendered",
            registry=registry,
        )
        self._read_backlog: Callable[[], Awaitable[int]] | None = None
        self._cache_lookups = Counter(
            "carehub_cache_lookups",
            "Reads that asked a cache, by cache name and outcome (hit or miss)",
            ["cache", "outcome"],
            registry=registry,
        )
        self._cache_errors = Counter(
            "carehub_cache_errors",
            "Cache calls that failed (the store answered instead), by cache name",
            ["cache"],
            registry=registry,
        )
        # What else is read when the page is rendered (`watch_*` below), each by a reader
        # that sets its gauges.
        self._watched: list[tuple[str, Callable[[], Awaitable[None]]]] = []

    def watch_backlog(self, read: Callable[[], Awaitable[int]]) -> None:
        """Read the outbox backlog with `read` each time the page is rendered."""
        self._read_backlog = read

    def request_served(self, *, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self._requests.labels(*labels).inc()
        self._latency.labels(*labels).observe(seconds)

    def events_published(self, count: int) -> None:
        self._published.inc(count)

    def delivery_settled(self, consumer: str, outcome: Settled) -> None:
        self._settled.labels(consumer, outcome.value).inc()

    def audit_written(self, count: int) -> None:
        self._audit.inc(count)

    async def page(self) -> bytes:
        """The Prometheus text page, with the outbox backlog read now."""
        if self._read_backlog is not None:
            try:
                self._backlog.set(await self._read_backlog())
            except Exception as exc:
                # The page still answers (it is how an operator sees what is wrong); the
                # gauge keeps its last value.
                log.warning("reading the outbox backlog failed: %s", type(exc).__name__)
        for what, read in self._watched:
            try:
                await read()
            except Exception as exc:  # as above: the gauge keeps its last value
                log.warning("reading the %s failed: %s", what, type(exc).__name__)
        return generate_latest(self.registry)

    def cache_lookup(self, cache: str, outcome: CacheOutcome) -> None:
        self._cache_lookups.labels(cache, outcome.value).inc()

    def cache_error(self, cache: str) -> None:
        self._cache_errors.labels(cache).inc()

    def watch_outbox_lag(
        self, read: Callable[[], Awaitable[datetime | None]], now: Callable[[], datetime]
    ) -> None:
        """Read when the oldest waiting outbox event occurred, each time the page is
        rendered: its age is how far the relay is behind (0 when nothing waits)."""
        lag = Gauge(
            "carehub_outbox_lag_seconds",
            "Age of the oldest outbox event waiting to be published (0: none waits)",
            registry=self.registry,
        )

        async def update() -> None:
            oldest = await read()
            lag.set(0.0 if oldest is None else max(0.0, (now() - oldest).total_seconds()))

        self._watched.append(("outbox lag", update))

    def watch_dead_letters(self, read: Callable[[], Awaitable[int]]) -> None:
        """Count the dead letters waiting for an operator each time the page is rendered."""
        waiting = Gauge(
            "carehub_dead_letters_waiting",
            "Dead letters parked and not replayed",
            registry=self.registry,
        )

        async def update() -> None:
            waiting.set(await read())

        self._watched.append(("dead letters", update))

    def watch_queues(self, read: Callable[[], Awaitable[Mapping[str, int]]]) -> None:
        """Read the messages waiting per consumer each time the page is rendered (where the
        broker can tell)."""
        depth = Gauge(
            "carehub_consumer_queue_depth",
            "Messages waiting for a consumer in the broker (received but unsettled included)",
            ["consumer"],
            registry=self.registry,
        )

        async def update() -> None:
            for consumer, count in (await read()).items():
                depth.labels(consumer).set(count)

        self._watched.append(("queue depths", update))

    def watch_pool(self, read: Callable[[], PoolUse]) -> None:
        """Read the database pool's connections each time the page is rendered."""
        connections = Gauge(
            "carehub_db_pool_connections",
            "Database pool connections: in_use or idle",
            ["state"],
            registry=self.registry,
        )
        ceiling = Gauge(
            "carehub_db_pool_max_connections",
            "Connections the database pool may open",
            registry=self.registry,
        )

        async def update() -> None:
            use = read()
            connections.labels("in_use").set(use.in_use)
            connections.labels("idle").set(use.idle)
            ceiling.set(use.max_size)

        self._watched.append(("database pool", update))
