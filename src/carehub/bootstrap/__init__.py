"""Builds carehub's object graph from Settings: the only place that chooses adapters.

`backends` turns each setting into its adapter, `domains` wires the use cases and the
consumers; `build` puts them together for an entrypoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from carehub.adapters.identity.passwords import Argon2Hasher
from carehub.adapters.identity.tokens import JwtAccessTokens
from carehub.adapters.sql.idempotency import SqlIdempotencyStore
from carehub.adapters.sql.unit_of_work import SqlUnitOfWork
from carehub.analytics.service import AnalyticsService
from carehub.audit.service import AuditService
from carehub.bootstrap.backends import (
    connect,
    database_revision,
    external_roles,
    external_verifier,
    mailer,
    object_routes,
    object_store,
    rate_limiter,
    sms_sender,
    storage_events,
    streamed_bodies,
    units_of_work,
    upgrade_database,
)
from carehub.bootstrap.domains import (
    Documents,
    EventBackbone,
    Scheduling,
    SelfRegisteredPatients,
    consumers,
    documents,
    event_backbone,
    scheduling,
    webhook_service,
)
from carehub.config import Settings
from carehub.countries.service import CountryService
from carehub.documents.ports import ObjectStore, StoredObjectEvents
from carehub.documents.service import DocumentService
from carehub.documents.stamps import StampService
from carehub.documents.uploads import UploadService
from carehub.events.runner import ConsumerOf
from carehub.events.service import DeadLetterService
from carehub.identity.commands import SignInLimits
from carehub.identity.service import IdentityService
from carehub.kernel.clock import Clock, SystemClock
from carehub.kernel.idempotency import IdempotencyStore
from carehub.patients.service import PatientService
from carehub.practitioners.service import DoctorService
from carehub.scheduling.availability import AvailabilityService
from carehub.scheduling.holds import HoldService
from carehub.scheduling.notifications import Notifier
from carehub.scheduling.service import AppointmentService
from carehub.scheduling.waitlist import WaitlistService
from carehub.webhooks.service import WebhookService

__all__ = [
    "Carehub",
    "EventBackbone",
    "build",
    "connect",
    "consumers",
    "database_revision",
    "ensure_bootstrap_admin",
    "event_backbone",
    "object_routes",
    "streamed_bodies",
    "units_of_work",
    "upgrade_database",
]


@dataclass
class Carehub:
    """Everything an entrypoint needs: the use cases and what closes them down."""

    settings: Settings
    patients: PatientService
    countries: CountryService
    doctors: DoctorService
    appointments: AppointmentService
    availability: AvailabilityService
    holds: HoldService
    waitlist: WaitlistService
    identity: IdentityService
    audit: AuditService
    analytics: AnalyticsService
    dead_letters: DeadLetterService
    webhooks: WebhookService
    uploads: UploadService
    documents: DocumentService
    stamps: StampService
    objects: ObjectStore
    storage_events: StoredObjectEvents | None
    idempotency: IdempotencyStore
    events: EventBackbone
    check_ready: Callable[[], Awaitable[None]]
    close: Callable[[], Awaitable[None]]
    clock: Clock


async def build(settings: Settings, *, clock: Clock | None = None) -> Carehub:
    """Connect to the configured backends and wire the use cases to them."""
    clock = clock or SystemClock()
    db = await connect(settings.resolved_database_url, settings)
    mail = mailer(settings)
    notifier = Notifier(mail, sms_sender(settings))
    objects = object_store(settings, clock)
    stored = storage_events(settings)
    made: list[tuple[Scheduling, Documents]] = []
    every_consumer: list[ConsumerOf] = []

    async def make_consumers(uow: Callable[[], SqlUnitOfWork]) -> list[ConsumerOf]:
        booking = scheduling(settings, uow, clock, notifier)
        files = documents(settings, uow, clock, objects)
        made.append((booking, files))
        country_ids = [c.id for c in await booking.countries.list_all()]
        every_consumer.extend(consumers(clock, booking, country_ids, files))
        return every_consumer

    events, uow = await event_backbone(settings, db, clock, make_consumers)
    booking, files = made[0]

    patients = PatientService(uow, clock)
    limiter, close_limiter = await rate_limiter(settings, clock)
    identity = IdentityService(
        uow,
        clock,
        hasher=Argon2Hasher(),
        tokens=JwtAccessTokens(
            db,
            clock,
            issuer=settings.token_issuer,
            ttl_seconds=settings.access_token_ttl_seconds,
        ),
        limiter=limiter,
        mailer=mail,
        patients=SelfRegisteredPatients(patients),
        limits=SignInLimits(
            per_account=settings.auth_limit_per_account,
            per_address=settings.auth_limit_per_address,
            window_seconds=settings.auth_limit_window_seconds,
        ),
        external=external_verifier(settings),
        external_roles=external_roles(settings),
    )

    webhooks, close_webhooks = webhook_service(settings, uow, clock)

    async def close() -> None:
        await close_limiter()
        await events.broker.close()
        await close_webhooks()
        await objects.close()
        if stored is not None:
            await stored.close()
        await db.close()

    return Carehub(
        settings=settings,
        patients=patients,
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
        objects=objects,
        storage_events=stored,
        idempotency=SqlIdempotencyStore(db, clock),
        events=events,
        check_ready=db.ping,
        close=close,
        clock=clock,
    )


async def ensure_bootstrap_admin(carehub: Carehub) -> None:
    """Create the admin named by CAREHUB_BOOTSTRAP_ADMIN_* unless an admin exists."""
    settings = carehub.settings
    if settings.bootstrap_admin_email and settings.bootstrap_admin_password:
        await carehub.identity.ensure_admin(
            email=settings.bootstrap_admin_email,
            password=settings.bootstrap_admin_password.get_secret_value(),
        )
