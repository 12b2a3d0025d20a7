"""Patient use cases. Each opens one unit of work, applies the model's rules and commits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from carehub.kernel.access_gate import AccessGate, outcome_of
from carehub.kernel.actor import Actor, Role
from carehub.kernel.cached_reads import ReadThrough, Uncached
from carehub.kernel.clock import Clock
from carehub.kernel.errors import (
    CarehubError,
    FieldError,
    Forbidden,
    Invalid,
    PreconditionFailed,
)
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.ids import new_id
from carehub.kernel.pagination import Page, check_limit
from carehub.kernel.races import OneAtATime, run_again_on_lost_race
from carehub.patients import access
from carehub.patients.errors import PatientNotFound, PatientVersionNotFound, UnknownCountry
from carehub.patients.events import (
    CareAssignmentChanged,
    PatientDeactivated,
    PatientRegistered,
    PatientUpdated,
)
from carehub.patients.model import (
    Patient,
    PatientChanges,
    PatientDetails,
    birth_date_for_age,
    check_age,
    check_country_id,
    check_details,
    check_patient_id,
    check_version,
)
from carehub.patients.mrn import format_mrn
from carehub.patients.ports import PatientFilter, PatientsUnitOfWork


@dataclass(frozen=True, kw_only=True)
class PatientDraft:
    """What a client sends to register a patient."""

    country_id: str
    details: PatientDetails
    patient_id: str | None = None
    age: int | None = None


class PatientService:
    """Registering, reading, revising, deactivating and finding patients."""

    def __init__(
        self,
        uow_factory: Callable[[], PatientsUnitOfWork],
        clock: Clock,
        *,
        cached: ReadThrough[Patient] | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        # Reads by id may be answered by a cache; every other read and write goes to the store.
        self._cached: ReadThrough[Patient] = cached or Uncached()
        self._gate = AccessGate(clock, "patient")
        # Registrations in one country reserve MRN numbers from one counter.
        self._registering = OneAtATime()

    async def register(
        self, *, actor: Actor, draft: PatientDraft, idempotency: IdempotencyClaim | None = None
    ) -> Patient:
        """Register one patient with a new MRN in its country.

        A doctor who registers a patient takes them into their care.
        """
        try:
            # Registrations in one country take MRN numbers from one counter: in this process
            # they queue for it; one that lost it to another process runs again.
            async with self._registering.holding(draft.country_id):
                return await run_again_on_lost_race(
                    lambda: self._register(actor, draft, idempotency)
                )
        except CarehubError as exc:
            async with self._uow() as uow:
                # The id is the caller's claim, not a record they were shown: never list it.
                await self._gate.refuse(
                    uow, actor, "patient.create", None, outcome_of(exc), draft.patient_id
                )
            raise

    async def _register(
        self, actor: Actor, draft: PatientDraft, idempotency: IdempotencyClaim | None
    ) -> Patient:
        access.check_can_register(actor, draft.country_id)
        async with self._uow() as uow:
            patient = self._new_patient(draft)
            await _check_country_exists(uow, patient.country_id)
            first = await uow.patients.reserve_mrn_numbers(patient.country_id, 1)
            patient = _with_mrn(patient, format_mrn(first))
            await uow.patients.add(patient)
            await uow.patient_versions.add(patient)
            if actor.role is Role.DOCTOR and actor.practitioner_id:
                await uow.patients.add_care_relationship(actor.practitioner_id, patient.id)
            uow.record(_registered(patient, actor))
            uow.audit(self._gate.allowed(actor, "patient.create", patient))
            if idempotency is not None:
                uow.claim_idempotency(idempotency)
            await uow.commit()
        return patient

    async def register_many(self, *, actor: Actor, drafts: Sequence[PatientDraft]) -> int:
        """Register many patients in one transaction (demo data, imports); all or none."""
        if not actor.unrestricted:
            raise Forbidden("Only admins and operators import patients in bulk")
        async with self._uow() as uow:
            patients = [self._new_patient(d) for d in drafts]
            by_country: dict[str, list[int]] = {}
            for index, patient in enumerate(patients):
                by_country.setdefault(patient.country_id, []).append(index)
            for country_id, indexes in by_country.items():
                await _check_country_exists(uow, country_id)
                first = await uow.patients.reserve_mrn_numbers(country_id, len(indexes))
                for offset, index in enumerate(indexes):
                    patients[index] = _with_mrn(patients[index], format_mrn(first + offset))
            await uow.patients.add_many(patients)
            await uow.patient_versions.add_many(patients)
            for patient in patients:
                uow.record(_registered(patient, actor))
            uow.audit(self._gate.listed(actor, "patient.import", tuple(p.id for p in patients)))
            await uow.commit()
        return len(patients)

    async def country_exists(self, *, country_id: str) -> bool:
        """Whether a country record has this id, so patients may be registered in it."""
        async with self._uow() as uow:
            return await uow.country_directory.exists(country_id)

    async def get(self, *, actor: Actor, patient_id: str) -> Patient:
        """Read one patient by id (inactive ones too)."""
        async with self._uow() as uow:
            # The gate sees and audits the record whether the cache or the store answered.
            found = await self._cached.read(patient_id, lambda: uow.patients.get(patient_id))
            patient = await self._reveal(uow, actor, patient_id, "patient.read", found)
            uow.audit(self._gate.allowed(actor, "patient.read", patient))
            await uow.commit()
        return patient

    async def version(self, *, actor: Actor, patient_id: str, version: int) -> Patient:
        """Read one version of a patient's record as it stood then (FHIR's vread)."""
        check_version(version)
        async with self._uow() as uow:
            # Who may see any version is decided on the record as it stands now (its
            # country, its care team), as for a read of the record.
            current = await self._visible(uow, actor, patient_id, "patient.vread")
            found = await _version_of(uow, current, version)
            if found is None:
                missing = PatientVersionNotFound(patient_id, version)
                await self._gate.hide(uow, actor, "patient.vread", missing, resource_id=patient_id)
            uow.audit(self._gate.allowed(actor, "patient.vread", found))
            await uow.commit()
        return found

    async def history(
        self, *, actor: Actor, patient_id: str, cursor: str | None, limit: int
    ) -> Page[Patient]:
        """Every kept version of a patient's record, newest first, one page at a time."""
        check_limit(limit)
        async with self._uow() as uow:
            current = await self._visible(uow, actor, patient_id, "patient.history")
            page = await uow.patient_versions.history(patient_id, cursor=cursor, limit=limit)
            if cursor is None and not page.items:
                # Registered before versions were kept and unchanged since (every change
                # keeps its version): the record itself is the one version there is.
                page = Page(items=[current], next_cursor=None)
            uow.audit(self._gate.allowed(actor, "patient.history", current))
            await uow.commit()
        return page

    async def assign_care(
        self, *, actor: Actor, patient_id: str, practitioner_id: str, assigned: bool = True
    ) -> bool:
        """Add (or remove) an explicit care relationship; True when something changed."""
        action = "patient.care_assign" if assigned else "patient.care_unassign"
        async with self._uow() as uow:
            patient = await self._visible(uow, actor, patient_id, action)
            async with self._gate.checking(
                uow, actor, action, patient_id=patient.patient_id, resource_id=patient.id
            ):
                access.check_can_assign_care(actor)
            repo = uow.patients
            if assigned:
                changed = await repo.add_care_relationship(practitioner_id, patient_id)
            else:
                changed = await repo.remove_care_relationship(practitioner_id, patient_id)
            if changed:
                uow.record(
                    CareAssignmentChanged(
                        aggregate_id=patient_id,
                        occurred_at=self._clock.now(),
                        actor_id=actor.id,
                        practitioner_id=practitioner_id,
                        assigned=assigned,
                    )
                )
            uow.audit(self._gate.allowed(actor, action, patient))
            await uow.commit()
        return changed

    async def revise(
        self, *, actor: Actor, patient_id: str, changes: PatientChanges, if_version: int
    ) -> Patient:
        """Apply a merge-patch if the client saw the current version (optimistic locking)."""
        now = self._clock.now()
        async with self._uow() as uow:
            current = await self._visible(uow, actor, patient_id, "patient.update")
            async with self._gate.checking(
                uow, actor, "patient.update", patient_id=current.patient_id, resource_id=current.id
            ):
                access.check_can_change(actor, changes.mentioned())
                if current.version != if_version:
                    raise _stale(patient_id)
                details, changed = changes.apply(current.details, now.date())
                check_details(details, now.date())
            uow.audit(self._gate.allowed(actor, "patient.update", current))
            if not changed:
                await uow.commit()
                return current
            revised = current.revised(details, now)
            if not await uow.patients.replace(revised, expected_version=if_version):
                raise _stale(patient_id)
            await uow.patient_versions.add(revised)
            uow.record(
                PatientUpdated(
                    aggregate_id=patient_id,
                    occurred_at=now,
                    actor_id=actor.id,
                    country_id=revised.country_id,
                    version=revised.version,
                    changed_fields=changed,
                )
            )
            await uow.commit()
        return revised

    async def deactivate(self, *, actor: Actor, patient_id: str) -> Patient:
        """Mark a patient inactive; the record stays readable by id. Repeating it is a no-op."""
        now = self._clock.now()
        async with self._uow() as uow:
            current = await self._visible(uow, actor, patient_id, "patient.deactivate")
            async with self._gate.checking(
                uow,
                actor,
                "patient.deactivate",
                patient_id=current.patient_id,
                resource_id=current.id,
            ):
                access.check_can_deactivate(actor)
            uow.audit(self._gate.allowed(actor, "patient.deactivate", current))
            if not current.active:
                await uow.commit()
                return current
            inactive = current.deactivated(now)
            if not await uow.patients.replace(inactive, expected_version=current.version):
                raise _stale(patient_id)
            await uow.patient_versions.add(inactive)
            uow.record(
                PatientDeactivated(
                    aggregate_id=patient_id,
                    occurred_at=now,
                    actor_id=actor.id,
                    country_id=inactive.country_id,
                )
            )
            await uow.commit()
        return inactive

    async def search(
        self, *, actor: Actor, criteria: PatientFilter, cursor: str | None, limit: int
    ) -> Page[Patient]:
        """List patients matching the criteria, one page at a time, ordered by id."""
        check_limit(limit)
        if criteria.country_id is not None:
            check_country_id(criteria.country_id)
        narrowed = access.scoped(actor, criteria)
        async with self._uow() as uow:
            page: Page[Patient] = Page(items=[], next_cursor=None)
            if narrowed is not None:
                page = await uow.patients.search(narrowed, cursor=cursor, limit=limit)
            uow.audit(self._gate.listed(actor, "patient.list", tuple(p.id for p in page.items)))
            await uow.commit()
        return page

    async def _visible(
        self, uow: PatientsUnitOfWork, actor: Actor, patient_id: str, action: str
    ) -> Patient:
        found = await uow.patients.get(patient_id)
        return await self._reveal(uow, actor, patient_id, action, found)

    async def _reveal(
        self,
        uow: PatientsUnitOfWork,
        actor: Actor,
        patient_id: str,
        action: str,
        found: Patient | None,
    ) -> Patient:
        return await self._gate.reveal(
            uow,
            actor,
            action,
            found,
            resource_id=patient_id,
            missing=PatientNotFound(patient_id),
            may_see=lambda patient: self._gate.sees_patient(
                actor, uow.patients, patient_id=patient_id, country_id=patient.country_id
            ),
        )

    def _new_patient(self, draft: PatientDraft) -> Patient:
        now = self._clock.now()
        today = now.date()
        check_country_id(draft.country_id)
        if draft.patient_id is not None:
            check_patient_id(draft.patient_id)
        details = draft.details
        if draft.age is not None:
            if details.birth_date is not None:
                raise Invalid(
                    "Send either age or birthDate, not both",
                    errors=[FieldError("age", "conflicts with birthDate")],
                )
            check_age(draft.age)
            details = _estimated_birth(details, birth_date_for_age(draft.age, today))
        check_details(details, today)
        return Patient(
            id=draft.patient_id or new_id(),
            mrn="",
            country_id=draft.country_id,
            details=details,
            created_at=now,
            updated_at=now,
        )


async def _check_country_exists(uow: PatientsUnitOfWork, country_id: str) -> None:
    # In the unit that writes the patient, so both commit together (countries are never
    # deleted, so a country seen here is still there at commit).
    if not await uow.country_directory.exists(country_id):
        raise UnknownCountry()


async def _version_of(uow: PatientsUnitOfWork, current: Patient, version: int) -> Patient | None:
    if version == current.version:
        # The record itself: so also for a record stored before versions were kept.
        return current
    if version > current.version:
        return None
    return await uow.patient_versions.get(current.id, version)


def _with_mrn(patient: Patient, mrn: str) -> Patient:
    return replace(patient, mrn=mrn)


def _estimated_birth(details: PatientDetails, born: date) -> PatientDetails:
    return replace(details, birth_date=born, birth_date_estimated=True)


def _registered(patient: Patient, actor: Actor) -> PatientRegistered:
    return PatientRegistered(
        aggregate_id=patient.id,
        occurred_at=patient.created_at,
        actor_id=actor.id,
        country_id=patient.country_id,
    )


def _stale(patient_id: str) -> PreconditionFailed:
    return PreconditionFailed(f"Patient {patient_id} was changed by someone else; read it again")
