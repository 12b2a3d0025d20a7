"""Builds carehub's object graph from Settings: the only place that chooses adapters."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlsplit

from fastapi import APIRouter

from carehub.adapters.blob.folder import FolderObjectStore, folder_secret
from carehub.adapters.broker.memory import MemoryBroker
from carehub.adapters.cdn.none import NoCdn
from carehub.adapters.http.vetted_network import SystemResolver
from carehub.adapters.http.webhook_sender import HttpWebhookSender
from carehub.adapters.identity.passwords import Argon2Hasher
from carehub.adapters.identity.tokens import JwtAccessTokens
from carehub.adapters.images.pillow import PillowImages
from carehub.adapters.mail.folder import FolderMailer
from carehub.adapters.mail.smtp import smtp_mailer_from_url
from carehub.adapters.ratelimit.memory import MemoryRateLimiter
from carehub.adapters.sms.folder import FolderSmsSender
from carehub.adapters.sql import migrate
from carehub.adapters.sql.audit import AuditWriter
from carehub.adapters.sql.database import Database
from carehub.adapters.sql.dead_letters import SqlDeadLetters
from carehub.adapters.sql.idempotency import SqlIdempotencyStore
from carehub.adapters.sql.outbox import SqlOutboxStore
from carehub.adapters.sql.postgres import PostgresDatabase
from carehub.adapters.sql.sqlite import SqliteDatabase, sqlite_path
from carehub.adapters.sql.unit_of_work import SqlUnitOfWork
from carehub.analytics.handlers import count_event
from carehub.analytics.model import COUNTED_EVENTS
from carehub.analytics.service import AnalyticsService
from carehub.audit.service import AuditService
from carehub.config import Settings
from carehub.countries.service import CountryService
from carehub.documents.handlers import VARIANT_EVENTS, MakeVariants
from carehub.documents.ports import CdnInvalidator, ObjectStore
from carehub.documents.service import DocumentService
from carehub.documents.stamps import StampService
from carehub.documents.uploads import UploadLimits, UploadService
from carehub.documents.variants import VariantMaker
from carehub.events.model import Consumer, ConsumerSpec, RetryPolicy
from carehub.events.ports import Broker
from carehub.events.relay import OutboxRelay
from carehub.events.runner import ConsumerOf, ConsumerRunner
from carehub.events.service import DeadLetterService
from carehub.identity.commands import ExternalRoles, SignInLimits
from carehub.identity.ports import ExternalTokenVerifier, RateLimiter, SelfRegistration
from carehub.identity.service import IdentityService
from carehub.kernel.actor import Actor, Role
from carehub.kernel.clock import Clock, SystemClock
from carehub.kernel.events import event_types
from carehub.kernel.idempotency import IdempotencyStore
from carehub.kernel.mail import Mailer
from carehub.kernel.sms import SmsSender
from carehub.patients.errors import PatientIdTaken
from carehub.patients.handlers import CARE_EVENTS, join_care_team
from carehub.patients.model import HumanName, PatientDetails
from carehub.patients.service import PatientDraft, PatientService
from carehub.practitioners.service import DoctorService
from carehub.scheduling.handlers import (
    NOTICE_EVENTS,
    REQUEST_EVENTS,
    WAITLIST_EVENTS,
    OfferFreedSlots,
    ProcessRequests,
    SendNotices,
)
from carehub.scheduling.holds import HoldService
from carehub.scheduling.notifications import Notifier
from carehub.scheduling.openings import AvailabilityService
from carehub.scheduling.service import AppointmentService
from carehub.scheduling.waitlist import WaitlistService
from carehub.webhooks.handlers import QueueDeliveries
from carehub.webhooks.model import AddressPolicy
from carehub.webhooks.service import WebhookService


@dataclass
class EventBackbone:
    """What moves events: the relay, and a runner per consumer (run by an entrypoint)."""

    broker: Broker
    outbox: SqlOutboxStore
    relay: OutboxRelay
    runners: list[ConsumerRunner]
    dead_letters: SqlDeadLetters


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
    storage_events: StorageEvents | None
    idempotency: IdempotencyStore
    events: EventBackbone
    check_ready: Callable[[], Awaitable[None]]
    close: Callable[[], Awaitable[None]]
    clock: Clock


async def connect(url: str, settings: Settings) -> Database:
    """Open the database a URL names."""
    if url.startswith("sqlite:///"):
        return SqliteDatabase(sqlite_path(url), synchronous=settings.sqlite_synchronous)
    if url.startswith(("postgresql://", "postgres://", "postgresql+")):
        return await PostgresDatabase.connect(url, max_size=settings.database_pool_size)
    raise ValueError("CAREHUB_DATABASE_URL must start with sqlite:/// or postgresql://")


class _SelfRegisteredPatients:
    """Identity's view of the patients domain at sign-up."""

    def __init__(self, patients: PatientService) -> None:
        self._patients = patients

    async def register_self(self, registration: SelfRegistration) -> None:
        details = PatientDetails(
            name=HumanName.from_parts(registration.given, registration.family),
            birth_date=registration.birth_date,
            email=registration.email,
        )
        draft = PatientDraft(
            country_id=registration.country_id,
            details=details,
            patient_id=registration.patient_id,
        )
        try:
            await self._patients.register(actor=Actor.system("signup"), draft=draft)
        except PatientIdTaken:
            return  # created by an earlier attempt that failed after this step


def units_of_work(
    db: Database, clock: Clock, events_committed: Callable[[], None] | None = None
) -> Callable[[], SqlUnitOfWork]:
    """Opens units of work on `db`; read-only units share one audit writer, which chains
    the records of concurrent reads in one transaction instead of one each."""
    writer = AuditWriter(db)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(db, clock, writer, events_committed)

    return uow


def connect_broker(settings: Settings) -> Broker:
    """Open the broker `CAREHUB_BROKER_URL` names."""
    url = settings.broker_url
    visibility = settings.event_visibility_timeout_seconds
    if url.startswith("memory://"):
        return MemoryBroker(visibility_timeout=visibility)
    if url.startswith(("redis://", "rediss://")):
        from carehub.adapters.broker.redis_streams import redis_broker_from_url

        return redis_broker_from_url(
            url, prefix=settings.broker_prefix, visibility_timeout=visibility
        )
    if url.startswith("sqs://"):
        from carehub.adapters.broker.sns_sqs import sqs_broker_from_url

        return sqs_broker_from_url(
            url,
            endpoint_url=settings.aws_endpoint_url,
            prefix=settings.broker_prefix,
            visibility_timeout=visibility,
        )
    raise ValueError("CAREHUB_BROKER_URL must start with memory://, redis:// or sqs://")


@dataclass
class Scheduling:
    """The scheduling use cases, which the consumers below also drive."""

    countries: CountryService
    doctors: DoctorService
    appointments: AppointmentService
    availability: AvailabilityService
    holds: HoldService
    waitlist: WaitlistService
    notifier: Notifier


def scheduling(
    settings: Settings, uow: Callable[[], SqlUnitOfWork], clock: Clock, notifier: Notifier
) -> Scheduling:
    return Scheduling(
        countries=CountryService(uow, clock),
        doctors=DoctorService(uow, clock),
        appointments=AppointmentService(uow, clock),
        availability=AvailabilityService(uow, clock),
        holds=HoldService(uow, clock, hold_minutes=settings.hold_minutes),
        waitlist=WaitlistService(uow, clock, offer_minutes=settings.waitlist_offer_minutes),
        notifier=notifier,
    )


class StorageEvents(Protocol):
    """Object-created notifications from the object store (S3 through SQS)."""

    async def drain(
        self, complete: Callable[[str], Awaitable[object]], *, limit: int = 10
    ) -> int: ...

    async def close(self) -> None: ...


def storage_events(settings: Settings) -> StorageEvents | None:
    """The queue `CAREHUB_STORAGE_EVENTS_URL` names, if any."""
    if not settings.storage_events_url:
        return None
    from carehub.adapters.blob.s3_events import s3_event_queue_from_url

    return s3_event_queue_from_url(
        settings.storage_events_url,
        endpoint_url=settings.aws_endpoint_url,
        key_prefix=urlsplit(settings.storage_url).path,
    )


@dataclass
class Documents:
    """The documents use cases and what they store objects with."""

    uploads: UploadService
    documents: DocumentService
    stamps: StampService
    objects: ObjectStore
    variants: VariantMaker


def documents(
    settings: Settings, uow: Callable[[], SqlUnitOfWork], clock: Clock, objects: ObjectStore
) -> Documents:
    limits = UploadLimits(
        max_bytes=settings.upload_max_bytes,
        url_lifetime=timedelta(seconds=settings.upload_url_seconds),
    )
    images = PillowImages()
    return Documents(
        uploads=UploadService(uow, clock, store=objects, images=images, limits=limits),
        documents=DocumentService(
            uow, clock, store=objects, cdn=_cdn(settings), url_lifetime=limits.url_lifetime
        ),
        stamps=StampService(uow, clock),
        objects=objects,
        variants=VariantMaker(store=objects, images=images, max_bytes=limits.max_bytes),
    )


def object_store(settings: Settings, clock: Clock) -> ObjectStore:
    """The object store `CAREHUB_STORAGE_URL` names (a folder in the data dir by default)."""
    url = settings.storage_url
    if url.startswith("s3://"):
        from carehub.adapters.blob.s3 import s3_object_store_from_url

        return s3_object_store_from_url(url, endpoint_url=settings.aws_endpoint_url)
    if url:
        raise ValueError("CAREHUB_STORAGE_URL must be empty (a local folder) or s3://bucket")
    root = settings.data_dir / "objects"
    return FolderObjectStore(root, clock, folder_secret(settings.data_dir / "objects.key"))


def consumers(
    clock: Clock,
    booking: Scheduling | None = None,
    country_ids: Sequence[str] = (),
    files: Documents | None = None,
) -> list[ConsumerOf]:
    """Every consumer of events, by its stable name. Bookings queue per country: one
    consumer for each country known at start, and one for countries added since."""
    every: list[ConsumerOf] = [
        Consumer(ConsumerSpec("analytics", frozenset(COUNTED_EVENTS)), count_event),
        # Every type: subscriptions choose theirs (or "*"), and the handler filters.
        Consumer(ConsumerSpec("webhooks", frozenset(event_types())), QueueDeliveries(clock)),
        Consumer(ConsumerSpec("care-team", CARE_EVENTS), join_care_team),
    ]
    if files is not None:
        every.append(
            Consumer(ConsumerSpec("image-variants", VARIANT_EVENTS), MakeVariants(files.variants))
        )
    if booking is None:
        return every
    process = ProcessRequests(booking.appointments)
    every += [
        Consumer(ConsumerSpec(f"bookings-{c}", REQUEST_EVENTS, country_id=c), process)
        for c in country_ids
    ]
    every += [
        Consumer(
            ConsumerSpec("bookings", REQUEST_EVENTS, other_countries=frozenset(country_ids)),
            process,
        ),
        Consumer(ConsumerSpec("waitlist", WAITLIST_EVENTS), OfferFreedSlots(booking.waitlist)),
        Consumer(ConsumerSpec("notices", NOTICE_EVENTS), SendNotices(booking.notifier)),
    ]
    return every


def process_owner() -> str:
    """Names this process in leases: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def event_backbone(
    settings: Settings,
    db: Database,
    clock: Clock,
    every_consumer: Sequence[ConsumerOf]
    | Callable[[Callable[[], SqlUnitOfWork]], Awaitable[Sequence[ConsumerOf]]],
) -> tuple[EventBackbone, Callable[[], SqlUnitOfWork]]:
    """The broker (its consumers declared), the relay, the consumers' runners, and the
    units of work, which wake the relay when they commit events. Consumers that need the
    use cases are made by a callable given those units of work."""
    broker = connect_broker(settings)
    store = SqlOutboxStore(db, clock)
    relay = OutboxRelay(store, broker, clock, owner=process_owner())
    uow = units_of_work(db, clock, relay.wake)
    if callable(every_consumer):
        every_consumer = await every_consumer(uow)
    await broker.declare([consumer.spec for consumer in every_consumer])
    retry = RetryPolicy(max_attempts=settings.event_max_attempts)
    dead_letters = SqlDeadLetters(db)
    runners = [
        ConsumerRunner(
            consumer, broker.subscription(consumer.spec), uow, dead_letters, clock, retry=retry
        )
        for consumer in every_consumer
    ]
    return EventBackbone(broker, store, relay, runners, dead_letters), uow


async def build(settings: Settings, *, clock: Clock | None = None) -> Carehub:
    """Connect to the configured backends and wire the use cases to them."""
    clock = clock or SystemClock()
    db = await connect(settings.resolved_database_url, settings)
    mailer = _mailer(settings)
    notifier = Notifier(mailer, _sms_sender(settings))
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
    limiter, close_limiter = await _rate_limiter(settings, clock)
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
        mailer=mailer,
        patients=_SelfRegisteredPatients(patients),
        limits=SignInLimits(
            per_account=settings.auth_limit_per_account,
            per_address=settings.auth_limit_per_address,
            window_seconds=settings.auth_limit_window_seconds,
        ),
        external=_external_verifier(settings),
        external_roles=_external_roles(settings),
    )

    webhooks, close_webhooks = _webhooks(settings, uow, clock)

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


def _webhooks(
    settings: Settings, uow: Callable[[], SqlUnitOfWork], clock: Clock
) -> tuple[WebhookService, Callable[[], Awaitable[None]]]:
    """The webhook use cases; their sender resolves and vets every address it connects to."""
    policy = AddressPolicy(allow_private=settings.webhooks_allow_private)
    resolver = SystemResolver()
    sender = HttpWebhookSender(policy, resolver)
    service = WebhookService(
        uow,
        clock,
        sender=sender,
        resolver=resolver,
        policy=policy,
        # Every domain's model is imported by now (through the services above).
        known_event_types=event_types(),
        pause_after=settings.webhooks_pause_after_failures,
    )
    return service, sender.close


def _cdn(settings: Settings) -> CdnInvalidator:
    if settings.cdn_url:
        from carehub.adapters.cdn.cloudfront import cloudfront_from_url

        prefix = urlsplit(settings.storage_url).path if settings.storage_url else ""
        return cloudfront_from_url(
            settings.cdn_url, endpoint_url=settings.aws_endpoint_url, key_prefix=prefix
        )
    return NoCdn()


def object_routes(settings: Settings) -> list[APIRouter]:
    """The routes the embedded folder store serves its signed URLs on (none for S3)."""
    if settings.storage_url:
        return []
    from carehub.adapters.blob.folder_http import folder_router

    return [folder_router()]


def streamed_bodies(settings: Settings) -> dict[str, int]:
    """Request paths whose bodies stream (uploads to the folder store), with their limits."""
    if settings.storage_url:
        return {}
    from carehub.adapters.blob.folder_http import upload_body_limit, upload_path

    return {upload_path(): upload_body_limit(settings.upload_max_bytes)}


def _sms_sender(settings: Settings) -> SmsSender:
    if settings.sms_url:
        from carehub.adapters.sms.sns import sns_sms_sender_from_url

        return sns_sms_sender_from_url(settings.sms_url, endpoint_url=settings.aws_endpoint_url)
    return FolderSmsSender(settings.data_dir / "sms")


def _mailer(settings: Settings) -> Mailer:
    if settings.mail_url:
        return smtp_mailer_from_url(settings.mail_url)
    return FolderMailer(settings.data_dir / "outbox")


async def _rate_limiter(
    settings: Settings, clock: Clock
) -> tuple[RateLimiter, Callable[[], Awaitable[None]]]:
    if settings.cache_url:
        from carehub.adapters.ratelimit.redis import redis_rate_limiter_from_url

        limiter = redis_rate_limiter_from_url(settings.cache_url)
        return limiter, limiter.close

    async def nothing() -> None:
        return None

    return MemoryRateLimiter(clock), nothing


def _external_verifier(settings: Settings) -> ExternalTokenVerifier | None:
    if not settings.oidc_issuer:
        return None
    from carehub.adapters.identity.oidc import OidcVerifier

    return OidcVerifier(
        settings.oidc_issuer,
        jwks_url=settings.oidc_jwks_url,
        audience=settings.oidc_audience,
        groups_claim=settings.oidc_groups_claim,
    )


def _external_roles(settings: Settings) -> ExternalRoles | None:
    if not settings.oidc_group_roles:
        return None
    return ExternalRoles({group: Role(role) for group, role in settings.oidc_group_roles.items()})


def upgrade_database(settings: Settings, revision: str = "head") -> None:
    """Apply schema migrations to the configured database."""
    migrate.upgrade(settings.resolved_database_url, revision)


def database_revision(settings: Settings) -> str | None:
    """The schema revision of the configured database."""
    return migrate.current(settings.resolved_database_url)
