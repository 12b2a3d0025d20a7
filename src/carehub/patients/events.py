"""The patients domain's events: ids, countries and the names of changed fields, never
health data."""

from __future__ import annotations

from dataclasses import dataclass, field

from typing_extensions import TypedDict  # pydantic reads it on 3.11 (the event catalogue)

from carehub.kernel.events import DomainEvent


class PatientEventPayload(TypedDict):
    patientId: str
    countryId: str


class PatientUpdatedPayload(PatientEventPayload):
    version: int
    changedFields: list[str]


@dataclass(frozen=True, kw_only=True)
class PatientRegistered(DomainEvent):
    """A patient record was created, with its MRN, in a country."""

    event_type = "patients.patient_registered.v1"
    country_id: str

    def payload(self) -> PatientEventPayload:
        return {"patientId": self.aggregate_id, "countryId": self.country_id}


@dataclass(frozen=True, kw_only=True)
class PatientUpdated(DomainEvent):
    """A patient's details changed; `changedFields` names the fields, never their values."""

    event_type = "patients.patient_updated.v1"
    country_id: str
    version: int
    changed_fields: tuple[str, ...] = field(default=())

    def payload(self) -> PatientUpdatedPayload:
        return {
            "patientId": self.aggregate_id,
            "countryId": self.country_id,
            "version": self.version,
            "changedFields": list(self.changed_fields),
        }


@dataclass(frozen=True, kw_only=True)
class PatientDeactivated(DomainEvent):
    """A patient record was deactivated (it stays readable by id)."""

    event_type = "patients.patient_deactivated.v1"
    country_id: str

    def payload(self) -> PatientEventPayload:
        return {"patientId": self.aggregate_id, "countryId": self.country_id}


class CareAssignmentPayload(TypedDict):
    patientId: str
    practitionerId: str
    action: str


@dataclass(frozen=True, kw_only=True)
class CareAssignmentChanged(DomainEvent):
    """A practitioner was assigned to a patient's care, or released from it."""

    event_type = "patients.care_assignment_changed.v1"
    practitioner_id: str
    assigned: bool

    def payload(self) -> CareAssignmentPayload:
        return {
            "patientId": self.aggregate_id,
            "practitionerId": self.practitioner_id,
            "action": "assigned" if self.assigned else "released",
        }
