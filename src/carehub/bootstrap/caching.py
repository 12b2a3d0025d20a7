"""The read cache: which adapter the settings name, what it keeps, and which events drop
which of its keys (in the process that committed them, and in every process through the
`cache` consumer)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from carehub.adapters.cache.memory import MemoryCache
from carehub.adapters.sql.countries import country_from_row, country_row
from carehub.adapters.sql.doctors import doctor_from_row, doctor_row
from carehub.adapters.sql.patients import patient_from_row, patient_row
from carehub.config import Settings
from carehub.countries.events import CountryChanged
from carehub.countries.model import Country
from carehub.events.model import Consumer, ConsumerSpec
from carehub.kernel.cache import Cache
from carehub.kernel.cached_reads import CacheAside, CacheGuard, ReadThrough, Uncached
from carehub.kernel.events import DomainEvent, EventMessage
from carehub.kernel.metrics import Metrics
from carehub.patients.events import PatientDeactivated, PatientRegistered, PatientUpdated
from carehub.patients.model import Patient
from carehub.practitioners.events import DoctorChanged
from carehub.practitioners.model import Doctor

PATIENT, DOCTOR, COUNTRY = "patient", "doctor", "country"


class CacheUnreachable(Exception):
    """The readiness check could not reach the shared cache."""


# Every event that changes a cached record, and the kind of record its aggregate is. The
# care team is not part of a cached patient (the gate reads it from the store), and the
# claims on a doctor's time are never cached, so appointment and hold events drop nothing.
INVALIDATED_BY: dict[str, str] = {
    PatientRegistered.event_type: PATIENT,
    PatientUpdated.event_type: PATIENT,
    PatientDeactivated.event_type: PATIENT,
    DoctorChanged.event_type: DOCTOR,
    CountryChanged.event_type: COUNTRY,
}


def keys_to_drop(events: Iterable[tuple[str, str]]) -> set[str]:
    """The cache keys that (event type, aggregate id) pairs make stale."""
    return {
        f"{INVALIDATED_BY[event_type]}:{aggregate_id}"
        for event_type, aggregate_id in events
        if event_type in INVALIDATED_BY
    }


@dataclass
class Caching:
    """What the use cases read through, and what keeps it fresh."""

    patients: ReadThrough[Patient]
    doctors: ReadThrough[Doctor]
    countries: ReadThrough[Country]
    guard: CacheGuard | None  # None: caching is off
    close: Callable[[], Awaitable[None]]

    async def after_commit(self, events: Sequence[DomainEvent]) -> None:
        """Drop what a committed unit of work changed, before its use case returns."""
        if self.guard is not None:
            keys = keys_to_drop((e.event_type, e.aggregate_id) for e in events)
            await self.guard.invalidate(keys)

    async def on_event(self, message: EventMessage, uow: object) -> None:
        """The `cache` consumer: the same keys, for changes other processes committed.
        A cache that cannot be reached fails the delivery, so it is tried again."""
        if self.guard is not None:
            keys = keys_to_drop([(message.event_type, message.aggregate_id)])
            await self.guard.invalidate(keys, must_reach=True)

    def consumer(self) -> Consumer[Any] | None:
        """The consumer that invalidates on the event backbone; None when caching is off."""
        if self.guard is None:
            return None
        return Consumer(ConsumerSpec("cache", frozenset(INVALIDATED_BY)), self.on_event)

    async def ping(self) -> None:
        """Readiness: CacheUnreachable when a shared cache does not answer (reads still
        succeed from the store then, but slower, and invalidations wait)."""
        if self.guard is not None:
            try:
                await self.guard.cache.ping()
            except Exception as exc:
                raise CacheUnreachable("The cache cannot be reached") from exc


def caching(settings: Settings, metrics: Metrics) -> Caching:
    """The cache `CAREHUB_CACHE` and `CAREHUB_CACHE_URL` choose, and the reads through it."""
    cache, close = _cache(settings)
    if cache is None:
        return Caching(Uncached(), Uncached(), Uncached(), None, close)
    guard = CacheGuard(cache, metrics=metrics)
    ttl = settings.cache_ttl_seconds

    def kind(name: str, row: Callable[[Any], dict[str, Any]], record: Callable[[Any], Any]) -> Any:
        # The stores' own row codecs (as DynamoDB keeps a record): JSON, never pickle.
        return CacheAside(
            name,
            guard,
            encode=lambda value: orjson.dumps(row(value)),
            decode=lambda data: record(orjson.loads(data)),
            ttl_seconds=ttl,
        )

    return Caching(
        patients=kind(PATIENT, patient_row, patient_from_row),
        doctors=kind(DOCTOR, doctor_row, doctor_from_row),
        countries=kind(COUNTRY, country_row, country_from_row),
        guard=guard,
        close=close,
    )


async def _nothing() -> None:
    return None


def _cache(settings: Settings) -> tuple[Cache | None, Callable[[], Awaitable[None]]]:
    if settings.cache == "off":
        return None, _nothing
    if settings.cache == "auto" and settings.cache_url:
        from carehub.adapters.cache.redis import redis_cache_from_url

        shared = redis_cache_from_url(settings.cache_url)
        return shared, shared.close
    if settings.cache == "memory" or _one_process_relaying_everything(settings):
        return MemoryCache(), _nothing
    return None, _nothing


def _one_process_relaying_everything(settings: Settings) -> bool:
    """The embedded size: one process on SQLite, which also relays every event written to
    the database (the CLI's too), so the `cache` consumer reaches its in-process cache.
    Anything larger (several workers, PostgreSQL, DynamoDB and Lambda) needs Redis."""
    return settings.resolved_database_url.startswith("sqlite") and settings.workers == 1
