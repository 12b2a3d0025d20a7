"""What the HTTP routes may ask for, taken from the built `Carehub` when the app starts."""

from __future__ import annotations

from typing import TypeVar

from carehub.analytics.service import AnalyticsService
from carehub.audit.service import AuditService
from carehub.bootstrap import Carehub
from carehub.clinical.service.checklists import ChecklistService
from carehub.clinical.service.medications import MedicationService
from carehub.clinical.service.notes import NoteService
from carehub.clinical.service.tasks import TaskService
from carehub.countries.service import CountryService
from carehub.documents.service import DocumentService
from carehub.documents.stamps import StampService
from carehub.documents.uploads import UploadService
from carehub.events.service import DeadLetterService
from carehub.fhir.export.service import FhirExportService
from carehub.fhir.importer import FhirImporter
from carehub.identity.accounts import AccountService
from carehub.identity.one_time_codes import CodeService
from carehub.identity.sessions import SessionService
from carehub.kernel.actor import Authenticator
from carehub.kernel.clock import Clock
from carehub.kernel.idempotency import IdempotencyStore
from carehub.kernel.request_rate import RequestRate
from carehub.kernel.tracing import in_spans
from carehub.patients.search_service import PatientSearchService
from carehub.patients.service import PatientService
from carehub.practitioners.service import DoctorService
from carehub.scheduling.availability import AvailabilityService
from carehub.scheduling.holds import HoldService
from carehub.scheduling.service import AppointmentService
from carehub.scheduling.waitlist import WaitlistService
from carehub.timeline.service import TimelineService
from carehub.web.dependencies import UseCases
from carehub.webhooks.service import WebhookService

T = TypeVar("T")


def provide_use_cases(use_cases: UseCases, carehub: Carehub) -> None:
    """Register every use case and port a route names with `use_case(...)`; with tracing
    on, each use case's calls run in spans of their own."""

    def provide(kind: type[T], service: T) -> None:
        use_cases.provide(kind, in_spans(service, carehub.tracing))

    provide(PatientService, carehub.patients)
    provide(FhirImporter, carehub.fhir_import)
    provide(PatientSearchService, carehub.patient_search)
    provide(CountryService, carehub.countries)
    provide(DoctorService, carehub.doctors)
    provide(AppointmentService, carehub.appointments)
    provide(AvailabilityService, carehub.availability)
    provide(HoldService, carehub.holds)
    provide(WaitlistService, carehub.waitlist)
    provide(AccountService, carehub.identity.accounts)
    provide(SessionService, carehub.identity.sessions)
    provide(CodeService, carehub.identity.codes)
    authenticator: Authenticator = carehub.identity.sessions
    use_cases.provide(Authenticator, authenticator)
    provide(AuditService, carehub.audit)
    provide(AnalyticsService, carehub.analytics)
    provide(DeadLetterService, carehub.dead_letters)
    provide(WebhookService, carehub.webhooks)
    provide(UploadService, carehub.uploads)
    provide(DocumentService, carehub.documents)
    provide(StampService, carehub.stamps)
    provide(TimelineService, carehub.timeline)
    provide(NoteService, carehub.notes)
    provide(MedicationService, carehub.medications)
    provide(TaskService, carehub.tasks)
    provide(ChecklistService, carehub.checklists)
    provide(FhirExportService, carehub.fhir_exports)
    use_cases.provide(IdempotencyStore, carehub.idempotency)
    use_cases.provide(Clock, carehub.clock)
    use_cases.provide(RequestRate, carehub.request_rate)
