"""Records seeded straight into a `MemoryStore`, for unit tests of the use cases."""

from __future__ import annotations

from datetime import UTC, datetime

from carehub.adapters.memory.store import MemoryStore
from carehub.countries.model import Country, profile_for
from carehub.countries.rules import weekly_hours
from carehub.countries.rulesets import SHIPPED
from carehub.kernel.actor import Actor, Role
from carehub.kernel.audit import AccessRecord, Outcome
from carehub.patients.model import HumanName, Patient, PatientDetails
from carehub.practitioners.model import Doctor

NOW = datetime(2031, 3, 10, 12, 0, tzinfo=UTC)  # a Monday, 07:00 in Lima and Bogotá
ADMIN = Actor(id="admin-1", role=Role.ADMIN)
ANA = Actor(id="user-ana", role=Role.PATIENT, patient_id="ana")
LUIS = Actor(id="user-luis", role=Role.PATIENT, patient_id="luis")


def country_record(code: str, at: datetime) -> Country:
    """A country (id = code) with its code's default rules (PE books through a queue, CO
    at once), as `carehub countries load` adds it."""
    profile = profile_for(code)
    return Country(
        id=code,
        code=code,
        name=profile.name,
        time_zones=profile.time_zones,
        locale=profile.locale,
        rules=profile.rules,
        created_at=at,
        updated_at=at,
    )


def add_country(store: MemoryStore, code: str, at: datetime) -> Country:
    """A country with its code's default rules, stored as `country_record` makes it."""
    country = country_record(code, at)
    store.countries[country.id] = country
    return country


def add_shipped_countries(store: MemoryStore, at: datetime) -> None:
    """The countries `carehub countries load` adds: one per shipped rule set, id = code."""
    for rules in SHIPPED:
        add_country(store, rules.code, at)


def add_doctor(
    store: MemoryStore,
    doctor_id: str,
    country: Country,
    at: datetime,
    *,
    specialty: str = "Cardiology",
    active: bool = True,
) -> Doctor:
    """A doctor working 08:00-18:00 on weekdays in their country's first zone."""
    doctor = Doctor(
        id=doctor_id,
        country_id=country.id,
        name=f"Dr {doctor_id}",
        specialty=specialty,
        time_zone=country.default_zone,
        weekly=weekly_hours(range(5), "08:00-18:00"),
        active=active,
        created_at=at,
        updated_at=at,
    )
    store.doctors[doctor.id] = doctor
    return doctor


def add_patient(
    store: MemoryStore, patient_id: str, country_id: str, at: datetime, *, active: bool = True
) -> Patient:
    patient = Patient(
        id=patient_id,
        mrn=f"mrn-{patient_id}",
        country_id=country_id,
        details=PatientDetails(name=HumanName.from_text(f"Patient {patient_id}")),
        active=active,
        created_at=at,
        updated_at=at,
    )
    store.patients[patient.id] = patient
    return patient


def audited(store: MemoryStore) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """The stored audit trail as (actor, action, outcome, patients), oldest first."""
    return [(e.actor_id, e.action, e.outcome, e.patient_ids) for e in store.audit]


def last_audit(store: MemoryStore) -> tuple[str, str, str, tuple[str, ...]]:
    return audited(store)[-1]


def event_types(store: MemoryStore) -> list[str]:
    """The committed outbox events' types, oldest first."""
    return [e.event_type for e in store.outbox]


def access(actor: Actor, action: str, at: datetime, *patients: str) -> AccessRecord:
    """An allowed access to the patients' data, as use cases record it."""
    return AccessRecord(
        actor=actor,
        action=action,
        resource_type="patient",
        resource_id=patients[0] if patients else None,
        patient_ids=patients,
        outcome=Outcome.ALLOWED,
        at=at,
    )
