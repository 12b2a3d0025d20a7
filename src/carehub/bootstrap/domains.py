"""The use cases wired to their ports, and every consumer of events by its stable name."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from carehub.adapters.http.vetted_network import SystemResolver
from carehub.adapters.http.webhook_sender import HttpWebhookSender
from carehub.adapters.images.pillow import PillowImages
from carehub.analytics.handlers import count_event
from carehub.analytics.model import COUNTED_EVENTS
from carehub.bootstrap.backends import cdn
from carehub.bootstrap.caching import Caching
from carehub.bootstrap.event_types import EVENT_TYPES
from carehub.bootstrap.store import STREAM_NEEDS_DYNAMODB, AnyUnitOfWork, Loop, OutboxStream
from carehub.clinical.handlers import TASK_NOTICE_EVENTS, NotifyAssignee
from carehub.clinical.service.checklists import ChecklistService
from carehub.clinical.service.medications import MedicationService
from carehub.clinical.service.notes import NoteService
from carehub.clinical.service.tasks import TaskService
from carehub.config import Settings
from carehub.countries.service import CountryService
from carehub.documents.handlers import VARIANT_EVENTS, MakeVariants
from carehub.documents.ports import ObjectStore
from carehub.documents.service import DocumentService
from carehub.documents.stamps import StampService
from carehub.documents.uploads import UploadLimits, UploadService
from carehub.documents.variants import VariantMaker
from carehub.events.lease import RelayLease
from carehub.events.model import Consumer, ConsumerSpec, RetryPolicy
from carehub.events.ports import Broker, ConsumerUnitOfWork, DeadLetters, OutboxStore
from carehub.events.relay import OutboxRelay
from carehub.events.runner import ConsumerOf, ConsumerRunner
from carehub.events.stream_relay import StreamRelay
from carehub.fhir.export.content import Exporter
from carehub.fhir.export.handlers import EXPORT_STEP_EVENTS, RunExportStep
from carehub.fhir.export.service import FhirExportService
from carehub.kernel.clock import Clock
from carehub.kernel.mail import Mailer
from carehub.kernel.metrics import NO_METRICS, Metrics
from carehub.kernel.tracing import NO_TRACING, Tracing
from carehub.patients.handlers import (
    CARE_EVENTS,
    SEARCH_EVENTS,
    index_changed_patient,
    join_care_team,
)
from carehub.patients.service import PatientService
from carehub.practitioners.service import DoctorService
from carehub.scheduling.availability import AvailabilityService
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
from carehub.scheduling.service import AppointmentService
from carehub.scheduling.waitlist import WaitlistService
from carehub.timeline.handlers import record_event
from carehub.timeline.model import TIMELINE_EVENTS
from carehub.webhooks.handlers import QueueDeliveries
from carehub.webhooks.model import AddressPolicy
from carehub.webhooks.service import WebhookService


@dataclass
class EventBackbone:
    """What moves events: the relays, and a runner per consumer (run by an entrypoint)."""

    broker: Broker
    outbox: OutboxStore
    relay: OutboxRelay  # the polling relay
    runners: list[ConsumerRunner]
    dead_letters: DeadLetters
    # Where the database has a change stream: the relay its records feed (a Lambda's).
    stream_relay: StreamRelay | None = None
    # The relay loop this process runs, as CAREHUB_OUTBOX_RELAY says; None: none here.
    relay_loop: Loop | None = None


def process_owner() -> str:
    """Names this process in leases: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def event_backbone(
    settings: Settings,
    stores: tuple[OutboxStore, DeadLetters],
    clock: Clock,
    *,
    broker: Broker,
    units_of_work: Callable[[], ConsumerUnitOfWork],
    every_consumer: Sequence[ConsumerOf],
    committed: asyncio.Event | None = None,
    stream: OutboxStream | None = None,
    metrics: Metrics = NO_METRICS,
    tracing: Tracing = NO_TRACING,
) -> EventBackbone:
    """The relays (the poller woken by `committed`, which the units of work set when they
    commit events; the stream-fed one when the database has a `stream`), the broker with
    every consumer declared, and a runner per consumer; `stores` are the outbox and the dead
    letters of the database the units of work write to."""
    store, dead_letters = stores
    relay = OutboxRelay(
        store, broker, clock, owner=process_owner(), committed=committed, metrics=metrics
    )
    stream_relay = (
        None if stream is None else StreamRelay(stream.outbox, broker, clock, metrics=metrics)
    )
    if settings.broker_declare:
        await broker.declare([consumer.spec for consumer in every_consumer])
    retry = RetryPolicy(max_attempts=settings.event_max_attempts)
    runners = [
        ConsumerRunner(
            consumer,
            broker.subscription(consumer.spec),
            units_of_work,
            dead_letters,
            clock,
            retry=retry,
            metrics=metrics,
            tracing=tracing,
        )
        for consumer in every_consumer
    ]
    loop = relay_loop(settings, store, relay, stream, stream_relay)
    return EventBackbone(broker, store, relay, runners, dead_letters, stream_relay, loop)


def relay_loop(
    settings: Settings,
    store: OutboxStore,
    relay: OutboxRelay,
    stream: OutboxStream | None,
    stream_relay: StreamRelay | None,
) -> Loop | None:
    """The relay a process runs: the poller; with CAREHUB_OUTBOX_RELAY=stream, a reader of
    the table's stream when carehub talks to a local emulator (CAREHUB_AWS_ENDPOINT_URL),
    and none in AWS, where the stream triggers a Lambda."""
    if settings.outbox_relay == "poll":
        return relay.run
    if stream is None or stream_relay is None:
        raise ValueError(STREAM_NEEDS_DYNAMODB)
    if settings.aws_endpoint_url is None:
        return None
    return stream.reader(stream_relay, RelayLease(store, process_owner()))


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
    settings: Settings,
    uow: Callable[[], AnyUnitOfWork],
    clock: Clock,
    notifier: Notifier,
    cached: Caching,
) -> Scheduling:
    return Scheduling(
        countries=CountryService(uow, clock),
        doctors=DoctorService(uow, clock, cached=cached.doctors),
        appointments=AppointmentService(uow, clock),
        availability=AvailabilityService(
            uow, clock, doctors=cached.doctors, countries=cached.countries
        ),
        holds=HoldService(uow, clock, hold_minutes=settings.hold_minutes),
        waitlist=WaitlistService(uow, clock, offer_minutes=settings.waitlist_offer_minutes),
        notifier=notifier,
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
    settings: Settings, uow: Callable[[], AnyUnitOfWork], clock: Clock, objects: ObjectStore
) -> Documents:
    limits = UploadLimits(
        max_bytes=settings.upload_max_bytes,
        url_lifetime=timedelta(seconds=settings.upload_url_seconds),
    )
    images = PillowImages()
    return Documents(
        uploads=UploadService(uow, clock, store=objects, images=images, limits=limits),
        documents=DocumentService(
            uow, clock, store=objects, cdn=cdn(settings), url_lifetime=limits.url_lifetime
        ),
        stamps=StampService(uow, clock),
        objects=objects,
        variants=VariantMaker(store=objects, images=images, max_bytes=limits.max_bytes),
    )


@dataclass
class Clinical:
    """The clinical record's use cases, and what tells a task's assignee."""

    notes: NoteService
    medications: MedicationService
    tasks: TaskService
    checklists: ChecklistService
    task_notices: NotifyAssignee


def clinical(uow: Callable[[], AnyUnitOfWork], clock: Clock, mailer: Mailer) -> Clinical:
    return Clinical(
        notes=NoteService(uow, clock),
        medications=MedicationService(uow, clock),
        tasks=TaskService(uow, clock),
        checklists=ChecklistService(uow, clock),
        task_notices=NotifyAssignee(mailer),
    )


def fhir_exports(
    uow: Callable[[], AnyUnitOfWork],
    clock: Clock,
    objects: ObjectStore,
    patients: PatientService,
    booking: Scheduling,
    record: Clinical,
) -> FhirExportService:
    """The bulk export's use cases, reading through the others' (files in `objects`)."""
    exporter = Exporter(
        patients=patients,
        medications=record.medications,
        appointments=booking.appointments,
        doctors=booking.doctors,
        countries=booking.countries,
    )
    return FhirExportService(
        uow, clock, objects=objects, exporter=exporter, countries=booking.countries
    )


def consumers(
    clock: Clock,
    booking: Scheduling | None = None,
    country_ids: Sequence[str] = (),
    files: Documents | None = None,
    record: Clinical | None = None,
    exports: FhirExportService | None = None,
) -> list[ConsumerOf]:
    """Every consumer of events, by its stable name. Bookings queue per country: one
    consumer for each country known at start, and one for countries added since."""
    every: list[ConsumerOf] = [
        Consumer(ConsumerSpec("analytics", frozenset(COUNTED_EVENTS)), count_event),
        # Every type: subscriptions choose theirs (or "*"), and the handler filters.
        Consumer(ConsumerSpec("webhooks", frozenset(EVENT_TYPES)), QueueDeliveries(clock)),
        Consumer(ConsumerSpec("care-team", CARE_EVENTS), join_care_team),
        Consumer(ConsumerSpec("timeline", TIMELINE_EVENTS), record_event),
        Consumer(ConsumerSpec("search-index", SEARCH_EVENTS), index_changed_patient),
    ]
    if files is not None:
        every.append(
            Consumer(ConsumerSpec("image-variants", VARIANT_EVENTS), MakeVariants(files.variants))
        )
    if record is not None:
        every.append(
            Consumer(ConsumerSpec("task-notices", TASK_NOTICE_EVENTS), record.task_notices)
        )
    if exports is not None:
        every.append(
            Consumer(ConsumerSpec("fhir-export", EXPORT_STEP_EVENTS), RunExportStep(exports))
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


def webhook_service(
    settings: Settings, uow: Callable[[], AnyUnitOfWork], clock: Clock
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
        known_event_types=EVENT_TYPES,
        pause_after=settings.webhooks_pause_after_failures,
    )
    return service, sender.close
