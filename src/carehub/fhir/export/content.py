"""What one step of an export reads, through the use cases, and the resources it gives.

Every read is a use case's, as the actor that asked (an admin, or the CLI's operator), so
the access rules apply and the audit trail records the export: each page of patients, and
each patient's medications and appointments. A step reads whole pages of patients until
its budget is spent, so a step stays well within every consumer's time limit (a Lambda's
timeout, a queue's visibility timeout) however many patients there are.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from carehub.clinical.service.medications import MedicationService
from carehub.countries.model import Country
from carehub.countries.service import CountryService
from carehub.fhir.export.job import Position
from carehub.fhir.export.request import DIRECTORY_TYPES, SERVED_TYPES, ExportRequest, Level
from carehub.fhir.resources.appointment import appointment_resource
from carehub.fhir.resources.condition import allergy_resources, condition_resources
from carehub.fhir.resources.medication import medication_statement_resource
from carehub.fhir.resources.organization import location_resource, organization_resource
from carehub.fhir.resources.patient import patient_resource
from carehub.fhir.resources.practitioner import (
    practitioner_resource,
    practitioner_role_resource,
)
from carehub.kernel.actor import Actor
from carehub.kernel.pagination import MAX_LIMIT, Page
from carehub.patients.model import Patient
from carehub.patients.ports import PatientFilter
from carehub.patients.service import PatientService
from carehub.practitioners.service import DoctorService
from carehub.scheduling.ports import AppointmentFilter
from carehub.scheduling.service import AppointmentService

T = TypeVar("T")


@dataclass(frozen=True)
class Budget:
    """How much one step reads: pages of `page` patients until `patients` were read or
    `seconds` went by, whichever comes first (a page is never cut)."""

    patients: int = 1000
    seconds: float = 10.0
    page: int = MAX_LIMIT


@dataclass
class Slice:
    """What one step read: each resource as a JSON line, by type, and where it stopped."""

    position: Position
    lines: dict[str, list[bytes]] = field(default_factory=dict)

    def add(self, resource: dict[str, Any]) -> None:
        self.lines.setdefault(resource["resourceType"], []).append(orjson.dumps(resource))

    def by_type(self) -> list[tuple[str, list[bytes]]]:
        """The lines of each type that has any, in carehub's order of types."""
        return [(t, self.lines[t]) for t in SERVED_TYPES if self.lines.get(t)]


@dataclass(frozen=True)
class Exporter:
    """The export's reading side, shared by the consumer and `carehub export fhir`."""

    patients: PatientService
    medications: MedicationService
    appointments: AppointmentService
    doctors: DoctorService
    countries: CountryService
    budget: Budget = Budget()

    async def step(self, actor: Actor, request: ExportRequest, position: Position) -> Slice:
        """Read from `position` on: the countries and their doctors first (system and
        group exports), then pages of patients, each with their resources."""
        started = time.monotonic()
        piece = Slice(position)
        if not position.directory_done:
            await self._directory(request, piece)
        cursor, read = position.cursor, 0
        while request.reads_patients:
            page = await self.patients.search(
                actor=actor, criteria=_scope(request), cursor=cursor, limit=self.budget.page
            )
            for patient in page.items:
                await self._patient(actor, request, patient, piece)
            read += len(page.items)
            cursor = page.next_cursor
            spent = time.monotonic() - started >= self.budget.seconds
            if cursor is None or read >= self.budget.patients or spent:
                break
        piece.position = Position(
            steps=position.steps + 1,
            directory_done=True,
            cursor=cursor,
            patients=position.patients + read,
            finished=cursor is None,
        )
        return piece

    async def _directory(self, request: ExportRequest, piece: Slice) -> None:
        if not any(request.wants(t) for t in DIRECTORY_TYPES):
            return
        if request.group is not None:
            countries = [await self.countries.get(country_id=request.group)]
        elif request.level is Level.SYSTEM:
            countries = await self.countries.list_all()
        else:
            return
        for country in countries:
            await self._country(request, country, piece)

    async def _country(self, request: ExportRequest, country: Country, piece: Slice) -> None:
        if request.changed(country.updated_at):
            if request.wants("Organization"):
                piece.add(organization_resource(country))
            if request.wants("Location"):
                piece.add(location_resource(country))
        if not (request.wants("Practitioner") or request.wants("PractitionerRole")):
            return
        doctors = await _every(
            lambda cursor: self.doctors.search(
                country_id=country.id, specialty=None, cursor=cursor, limit=MAX_LIMIT
            )
        )
        for doctor in doctors:
            if request.changed(doctor.updated_at):
                if request.wants("Practitioner"):
                    piece.add(practitioner_resource(doctor))
                if request.wants("PractitionerRole"):
                    piece.add(practitioner_role_resource(doctor))

    async def _patient(
        self, actor: Actor, request: ExportRequest, patient: Patient, piece: Slice
    ) -> None:
        # Conditions and allergies are entries of the record: they change with it.
        if request.changed(patient.updated_at):
            if request.wants("Patient"):
                piece.add(patient_resource(patient))
            if request.wants("Condition"):
                for resource in condition_resources(patient):
                    piece.add(resource)
            if request.wants("AllergyIntolerance"):
                for resource in allergy_resources(patient):
                    piece.add(resource)
        if request.wants("MedicationStatement"):
            medications = await _every(
                lambda cursor: self.medications.list_for_patient(
                    actor=actor,
                    patient_id=patient.id,
                    statuses=None,
                    cursor=cursor,
                    limit=MAX_LIMIT,
                )
            )
            for m in medications:
                if request.changed(m.updated_at or m.created_at):
                    piece.add(medication_statement_resource(m))
        if request.wants("Appointment"):
            appointments = await _every(
                lambda cursor: self.appointments.search(
                    actor=actor,
                    criteria=AppointmentFilter(patient_id=patient.id),
                    cursor=cursor,
                    limit=MAX_LIMIT,
                )
            )
            for a in appointments:
                if request.changed(a.updated_at):
                    piece.add(appointment_resource(a))


def _scope(request: ExportRequest) -> PatientFilter:
    """Every patient of the group's country (or of every country), inactive ones too."""
    return PatientFilter(country_id=request.group, include_inactive=True)


async def _every(page_of: Callable[[str | None], Awaitable[Page[T]]]) -> list[T]:
    """Every item of a paged list, page after page."""
    items: list[T] = []
    cursor: str | None = None
    while True:
        page = await page_of(cursor)
        items += page.items
        cursor = page.next_cursor
        if cursor is None:
            return items
