"""Builds carehub's object graph from Settings: the only place that chooses adapters.

`store` opens the database, `schema` migrates it, `backends` turns every other setting
into its adapter, `domains` and `identity` wire the use
cases and the consumers, `event_types` lists every event; `build` puts them together for
an entrypoint, in that order: adapters, units of work, use cases, consumers, backbone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from carehub.adapters.metrics.prometheus import PrometheusMetrics
from carehub.adapters.sql.database import DatabaseUnreachable
from carehub.analytics.service import AnalyticsService
from carehub.audit.service import AuditService
from carehub.bootstrap.backends import (
    connect_broker,
    mailer,
    object_routes,
    object_store,
    rate_limiters,
    secret_box,
    sms_sender,
    storage_events,
    streamed_bodies,
)
from carehub.bootstrap.caching import CacheUnreachable, caching
from carehub.bootstrap.domains import (
    EventBackbone,
    clinical,
    consumers,
    documents,
    event_backbone,
    fhir_exports,
    scheduling,
    webhook_service,
)
from carehub.bootstrap.fhir import fhir_importer
from carehub.bootstrap.identity import identity_use_cases
from carehub.bootstrap.schema import (
    SchemaStatus,
    database_revision,
    schema_status,
    seal_stored_secrets,
    upgrade_database,
)
from carehub.bootstrap.store import (
    Store,
    connect,
    connect_dynamodb,
    dynamodb_event_stores,
    dynamodb_outbox_stream,
    dynamodb_units_of_work,
    import_batch_size,
    open_store,
    request_cost_meter,
    sql_event_stores,
    units_of_work,
)
from carehub.bootstrap.tracing import close_tracing, tracing_of
from carehub.clinical.service.checklists import ChecklistService
from carehub.clinical.service.medications import MedicationService
from carehub.clinical.service.notes import NoteService
from carehub.clinical.service.tasks import TaskService
from carehub.config import Settings
from carehub.countries.service import CountryService
from carehub.documents.ports import ObjectStore, StoredObjectEvents
from carehub.documents.service import DocumentService
from carehub.documents.stamps import StampService
from carehub.documents.uploads import UploadService
from carehub.events.model import ConsumerSpec
from carehub.events.service import DeadLetterService
from carehub.fhir.export.service import FhirExportService
from carehub.fhir.importer import FhirImporter, ImportUseCases
from carehub.identity.service import IdentityUseCases
from carehub.kernel.clock import Clock, SystemClock
from carehub.kernel.idempotency import IdempotencyStore
from carehub.kernel.request_rate import RequestRate
from carehub.kernel.tracing import Tracing
from carehub.patients.search_service import PatientSearchService
from carehub.patients.service import PatientService
from carehub.practitioners.service import DoctorService
from carehub.scheduling.availability import AvailabilityService
from carehub.scheduling.holds import HoldService
from carehub.scheduling.notifications import Notifier
from carehub.scheduling.service import AppointmentService
from carehub.scheduling.waitlist import WaitlistService
from carehub.timeline.service import TimelineService
from carehub.webhooks.service import WebhookService

__all__ = [
    "CacheUnreachable",
    "Carehub",
    "DatabaseUnreachable",
    "EventBackbone",
    "SchemaStatus",
    "Store",
    "build",
    "connect",
    "connect_broker",
    "connect_dynamodb",
    "consumers",
    "database_revision",
    "dynamodb_event_stores",
    "dynamodb_outbox_stream",
    "dynamodb_units_of_work",
    "ensure_bootstrap_admin",
    "event_backbone",
    "import_batch_size",
    "object_routes",
    "open_store",
    "request_cost_meter",
    "schema_status",
    "seal_stored_secrets",
    "secret_box",
    "sql_event_stores",
    "streamed_bodies",
    "units_of_work",
    "upgrade_database",
]


@dataclass
class Carehub:
    """Everything an entrypoint needs: the use cases and what closes them down."""

    settings: Settings
    patients: PatientService
    patient_search: PatientSearchService
    countries: CountryService
    doctors: DoctorService
    appointments: AppointmentService
    availability: AvailabilityService
    holds: HoldService
    waitlist: WaitlistService
    identity: IdentityUseCases
    audit: AuditService
    analytics: AnalyticsService
    dead_letters: DeadLetterService
    webhooks: WebhookService
    uploads: UploadService
    documents: DocumentService
    stamps: StampService
    timeline: TimelineService
    notes: NoteService
    medications: MedicationService
    tasks: TaskService
    checklists: ChecklistService
    fhir_exports: FhirExportService
    fhir_import: FhirImporter
    objects: ObjectStore
    storage_events: StoredObjectEvents | None
    idempotency: IdempotencyStore
    request_rate: RequestRate
    events: EventBackbone
    metrics: PrometheusMetrics
    tracing: Tracing
    check_ready: Callable[[], Awaitable[None]]
    close: Callable[[], Awaitable[None]]
    clock: Clock


async def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    process: str = "api",
    tracing: Tracing | None = None,
) -> Carehub:
    """Connect to the configured backends and wire the use cases to them. `process` names
    the kind of process in its spans (api, worker); `tracing` replaces the one the settings
    name (tests: spans kept in memory)."""
    clock = clock or SystemClock()
    tracing = tracing or tracing_of(settings, process)

    # Adapters: one per port, as the settings name them; units of work that commit events
    # wake the outbox relay.
    events_committed = asyncio.Event()
    secrets = secret_box(settings)
    metrics = PrometheusMetrics()
    # The read cache drops what a unit of work changed as soon as it commits.
    cached = caching(settings, metrics)
    store = await open_store(
        settings,
        clock,
        events_committed.set,
        secrets=secrets,
        metrics=metrics,
        after_commit=cached.after_commit,
        tracing=tracing,
    )
    uow = store.units_of_work
    broker = connect_broker(settings)
    mail = mailer(settings)
    sms = sms_sender(settings)
    objects = object_store(settings, clock)
    stored = storage_events(settings)
    limiter, request_limiter, close_limiter = await rate_limiters(settings, clock)

    # Use cases.
    patients = PatientService(uow, clock, cached=cached.patients)
    booking = scheduling(settings, uow, clock, Notifier(mail, sms), cached)
    files = documents(settings, uow, clock, objects)
    record = clinical(uow, clock, mail)
    identity = identity_use_cases(
        settings,
        uow,
        clock,
        signing_keys=store.signing_keys,
        secrets=secrets,
        limiter=limiter,
        mailer=mail,
        patients=patients,
    )
    webhooks, close_webhooks = webhook_service(settings, uow, clock)
    exports = fhir_exports(uow, clock, objects, patients, booking, record)

    # Consumers: bookings queue per country, so the countries known now each get one
    # (or those the deployment gave queues of their own).
    country_ids = settings.booking_queue_countries
    if country_ids is None:
        country_ids = [country.id for country in await booking.countries.list_all()]
    every_consumer = consumers(clock, booking, country_ids, files, record, exports)
    if (invalidating := cached.consumer()) is not None:
        every_consumer.append(invalidating)

    # The event backbone that feeds them.
    events = await event_backbone(
        settings,
        store.event_stores,
        clock,
        broker=broker,
        units_of_work=uow,
        every_consumer=every_consumer,
        committed=events_committed,
        stream=store.stream,
        metrics=metrics,
        tracing=tracing,
    )
    watch_backbone(metrics, events, clock, [consumer.spec for consumer in every_consumer])
    if store.pool_use is not None:
        metrics.watch_pool(store.pool_use)

    async def check_ready() -> None:
        await store.ping()
        await cached.ping()

    async def close() -> None:
        await close_limiter()
        await cached.close()
        await broker.close()
        await close_webhooks()
        await objects.close()
        if stored is not None:
            await stored.close()
        await store.close()
        await close_tracing(tracing)

    fhir_import = fhir_importer(
        settings,
        uow,
        clock,
        ImportUseCases(patients, booking.countries, booking.doctors, record.medications),
    )
    return Carehub(
        settings=settings,
        patients=patients,
        patient_search=PatientSearchService(uow, clock),
        countries=booking.countries,
        doctors=booking.doctors,
        appointments=booking.appointments,
        availability=booking.availability,
        holds=booking.holds,
        waitlist=booking.waitlist,
        identity=identity,
        audit=AuditService(uow, clock),
        analytics=AnalyticsService(uow),
        dead_letters=DeadLetterService(
            events.dead_letters, {c.spec.name: c for c in every_consumer}, uow, clock
        ),
        webhooks=webhooks,
        uploads=files.uploads,
        documents=files.documents,
        stamps=files.stamps,
        timeline=TimelineService(uow, clock),
        notes=record.notes,
        medications=record.medications,
        tasks=record.tasks,
        checklists=record.checklists,
        fhir_exports=exports,
        fhir_import=fhir_import,
        objects=objects,
        storage_events=stored,
        idempotency=store.idempotency,
        request_rate=RequestRate(request_limiter, per_minute=settings.rate_limit_per_minute),
        events=events,
        metrics=metrics,
        tracing=tracing,
        check_ready=check_ready,
        close=close,
        clock=clock,
    )


def watch_backbone(
    metrics: PrometheusMetrics, events: EventBackbone, clock: Clock, specs: list[ConsumerSpec]
) -> None:
    """What the metrics page reads from the backbone when it is rendered: the outbox's
    backlog and lag, the dead letters waiting, and the broker's queue depths."""
    metrics.watch_backlog(events.outbox.backlog)
    metrics.watch_outbox_lag(events.outbox.oldest_unpublished, clock.now)
    metrics.watch_dead_letters(events.dead_letters.waiting)

    async def depths() -> dict[str, int]:
        return await events.broker.depths(specs)

    metrics.watch_queues(depths)


async def ensure_bootstrap_admin(carehub: Carehub) -> None:
    """Create the admin named by CAREHUB_BOOTSTRAP_ADMIN_* unless an admin exists."""
    settings = carehub.settings
    if settings.bootstrap_admin_email and settings.bootstrap_admin_password:
        await carehub.identity.accounts.ensure_admin(
            email=settings.bootstrap_admin_email,
            password=settings.bootstrap_admin_password.get_secret_value(),
        )
