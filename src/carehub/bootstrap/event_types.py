"""Every event type carehub emits, listed by hand.

The list is explicit rather than whatever modules happen to be imported: webhooks accept
subscriptions to these types, the webhooks consumer receives them, and the event
catalogue in the docs is generated from them. A unit test fails when a domain declares an
event that is missing here.
"""

from __future__ import annotations

from collections.abc import Mapping

from carehub.clinical.events import CLINICAL_EVENTS
from carehub.countries.events import CountryChanged
from carehub.documents.events import (
    DocumentStamped,
    DocumentUploaded,
    FileDeleted,
    FileDetached,
    StampRemoved,
)
from carehub.fhir.export.events import EXPORT_EVENTS
from carehub.identity.events import UserActivated, UserChanged, UserCreated
from carehub.kernel.events import DomainEvent, catalogue_of
from carehub.patients.events import (
    CareAssignmentChanged,
    PatientDeactivated,
    PatientRegistered,
    PatientUpdated,
)
from carehub.practitioners.events import DoctorChanged
from carehub.scheduling.events import AppointmentStatusChanged, SlotFreed, WaitlistOfferMade

EVENT_TYPES: Mapping[str, type[DomainEvent]] = catalogue_of(
    # patients
    PatientRegistered,
    PatientUpdated,
    PatientDeactivated,
    CareAssignmentChanged,
    # identity
    UserCreated,
    UserChanged,
    UserActivated,
    # countries and practitioners
    CountryChanged,
    DoctorChanged,
    # scheduling
    AppointmentStatusChanged,
    SlotFreed,
    WaitlistOfferMade,
    # documents
    DocumentUploaded,
    FileDetached,
    FileDeleted,
    DocumentStamped,
    StampRemoved,
    # the clinical record
    *CLINICAL_EVENTS,
    # FHIR bulk exports
    *EXPORT_EVENTS,
)
