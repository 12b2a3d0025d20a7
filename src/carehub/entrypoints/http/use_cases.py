"""What the HTTP routes may ask for, taken from the built `Carehub` when the app starts."""

from __future__ import annotations

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
from carehub.identity.accounts import AccountService
from carehub.identity.one_time_codes import CodeService
from carehub.identity.sessions import SessionService
from carehub.kernel.actor import Authenticator
from carehub.kernel.clock import Clock
from carehub.kernel.idempotency import IdempotencyStore
from carehub.kernel.request_rate import RequestRate
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


def provide_use_cases(use_cases: UseCases, carehub: Carehub) -> None:
    """Register every use case and port a route names with `use_case(...)`."""
    use_cases.provide(PatientService, carehub.patients)
    use_cases.provide(PatientSearchService, carehub.patient_search)
    use_cases.provide(CountryService, carehub.countries)
    use_cases.provide(DoctorService, carehub.doctors)
    use_cases.provide(AppointmentService, carehub.appointments)
    use_cases.provide(AvailabilityService, carehub.availability)
    use_cases.provide(HoldService, carehub.holds)
    use_cases.provide(WaitlistService, carehub.waitlist)
    use_cases.provide(AccountService, carehub.identity.accounts)
    use_cases.provide(SessionService, carehub.identity.sessions)
    use_cases.provide(CodeService, carehub.identity.codes)
    authenticator: Authenticator = carehub.identity.sessions
    use_cases.provide(Authenticator, authenticator)
    use_cases.provide(AuditService, carehub.audit)
    use_cases.provide(AnalyticsService, carehub.analytics)
    use_cases.provide(DeadLetterService, carehub.dead_letters)
    use_cases.provide(WebhookService, carehub.webhooks)
    use_cases.provide(UploadService, carehub.uploads)
    use_cases.provide(DocumentService, carehub.documents)
    use_cases.provide(StampService, carehub.stamps)
    use_cases.provide(TimelineService, carehub.timeline)
    use_cases.provide(NoteService, carehub.notes)
    use_cases.provide(MedicationService, carehub.medications)
    use_cases.provide(TaskService, carehub.tasks)
    use_cases.provide(ChecklistService, carehub.checklists)
    use_cases.provide(IdempotencyStore, carehub.idempotency)
    use_cases.provide(Clock, carehub.clock)
    use_cases.provide(RequestRate, carehub.request_rate)
