"""Practitioners (and their PractitionerRoles) as carehub doctors, and the doctor a
reference to a practitioner names (a medication's prescriber).

A Practitioner is the doctor that holds its license (its NPI) when carehub has one, or one
this import adds: in its country, named by its HumanName, with no hours (no availability)
and the specialty its PractitionerRole gives, else "General practice". A PUT names the
doctor's id. What is already present is not written again."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from carehub.fhir.import_countries import ImportCountries
from carehub.fhir.import_entries import Entry, Ledger, depends_on
from carehub.fhir.import_index import BundleIndex, outside_bundle, unresolved
from carehub.fhir.import_report import EntryStatus
from carehub.fhir.references import ById, ByIdentifier, Contained, target_of
from carehub.fhir.schemas.datatypes import Reference
from carehub.fhir.schemas.practitioners import LICENSE_SYSTEMS, PractitionerIn, PractitionerRoleIn
from carehub.fhir.wire import DOCTOR_SYSTEM
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.errors import CarehubError, FieldError, Invalid
from carehub.kernel.ids import new_id
from carehub.practitioners.errors import DoctorNotFound
from carehub.practitioners.model import Doctor, check_doctor
from carehub.practitioners.service import DoctorDraft, DoctorService

DEFAULT_SPECIALTY = "General practice"
# What a reference to one of these names is not a prescriber, and is no error either.
_NOT_PRESCRIBERS = frozenset({"Patient", "RelatedPerson", "Organization", "Device"})


@dataclass
class PlannedDoctor:
    """A doctor an import matched (`draft` None) or will add."""

    doctor_id: str
    entry: Entry | None
    draft: DoctorDraft | None = None
    roles: list[Entry] = field(default_factory=list)  # those that gave its specialty
    not_kept: list[str] = field(default_factory=list)
    failed: bool = False

    @property
    def location(self) -> str:
        return f"Practitioner/{self.doctor_id}"


class ImportDoctors:
    """The doctors of one import."""

    def __init__(
        self,
        service: DoctorService,
        countries: ImportCountries,
        index: BundleIndex,
        ledger: Ledger,
        clock: Clock,
        actor: Actor,
    ) -> None:
        self._service = service
        self._actor = actor
        self._countries = countries
        self._index = index
        self._ledger = ledger
        self._clock = clock
        self._by_entry: dict[int, PlannedDoctor] = {}
        self._by_license: dict[str, PlannedDoctor] = {}
        self._role_doctor: dict[int, PlannedDoctor] = {}
        self._new: list[PlannedDoctor] = []

    async def plan(self, practitioners: list[Entry], roles: list[Entry]) -> None:
        """Match or prepare every Practitioner, then give the new ones their roles'
        specialties; nothing is written yet."""
        for entry in practitioners:
            try:
                await self._plan_practitioner(entry)
            except CarehubError as exc:
                self._ledger.fail(entry, exc)
        for entry in roles:
            try:
                await self._plan_role(entry)
            except CarehubError as exc:
                self._ledger.fail(entry, exc)
        for planned in self._new:
            if planned.draft is not None and not planned.draft.specialty:
                planned.draft = _with_specialty(planned.draft, DEFAULT_SPECIALTY)

    async def write(self, service: DoctorService) -> None:
        """Add the new doctors through `service` (the one the writes go through)."""
        for planned in self._new:
            assert planned.draft is not None
            assert planned.entry is not None
            try:
                await service.create(actor=self._actor, draft=planned.draft)
            except CarehubError as exc:
                planned.failed = True
                self._ledger.fail(planned.entry, exc)
                for role in planned.roles:
                    self._ledger.fail(role, depends_on(planned.entry))
                continue
            self._ledger.record(
                planned.entry,
                EntryStatus.IMPORTED,
                location=planned.location,
                not_kept=planned.not_kept,
            )
            for role in planned.roles:
                self._ledger.record(role, EntryStatus.IMPORTED, location=planned.location)

    async def prescriber(self, reference: Reference, field_name: str) -> PlannedDoctor | None:
        """The doctor a reference names; None when it names no practitioner (a patient, an
        organization); Invalid when it names one carehub cannot find."""
        target = target_of(reference, field_name)
        if isinstance(target, Contained):
            return None
        found = self._index.find(target, _ANY_AUTHOR, field_name)
        if found is not None:
            return self._planned_for(found, field_name)
        target = outside_bundle(target)
        if isinstance(target, ById):
            if target.resource_type in _NOT_PRESCRIBERS:
                return None
            if target.resource_type != "Practitioner":
                raise unresolved(field_name, "practitioner")
            try:
                return PlannedDoctor(
                    (await self._service.get(doctor_id=target.resource_id)).id, None
                )
            except DoctorNotFound:
                raise unresolved(field_name, "practitioner") from None
        if isinstance(target, ByIdentifier):
            if target.resource_type in _NOT_PRESCRIBERS:
                return None
            if target.system == DOCTOR_SYSTEM:  # carehub's own, as it serves a doctor
                stored = await self._stored(target.value)
                if stored is None:
                    raise unresolved(field_name, "practitioner")
                return stored
            license = target.value if target.system in LICENSE_SYSTEMS else None
            known = None if license is None else await self._known(license)
            if known is None:
                raise unresolved(field_name, "practitioner")
            return known
        raise unresolved(field_name, "practitioner")

    def _planned_for(self, entry: Entry, field_name: str) -> PlannedDoctor | None:
        if entry.resource_type == "PractitionerRole":
            by_role = self._role_doctor.get(entry.index)
            if by_role is None:
                raise depends_on(entry)
            return by_role
        if entry.resource_type != "Practitioner":
            return None
        planned = self._by_entry.get(entry.index)
        if planned is None:
            raise depends_on(entry)
        return planned

    async def _plan_practitioner(self, entry: Entry) -> None:
        practitioner: PractitionerIn = entry.resource
        license = practitioner.license() or _conditional_license(entry)
        known = None
        for doctor_id in (entry.put_id, practitioner.doctor_id()):
            if known is None and doctor_id is not None:
                known = await self._stored(doctor_id)
        if known is None and license is not None:
            known = await self._known(license)
        if known is not None:
            self._by_entry[entry.index] = known
            self._ledger.record(
                entry,
                EntryStatus.PRESENT,
                location=known.location,
                not_kept=practitioner.not_kept(),
            )
            return
        country_id = await self._countries.country_of(
            practitioner.country_code(), "address[0].country"
        )
        draft = DoctorDraft(
            doctor_id=entry.put_id or new_id(),
            country_id=country_id,
            name=_name(practitioner),
            specialty="",
            weekly=(),
            license=license,
            email=practitioner.email(),
            phone=practitioner.phone(),
        )
        self._check(draft)
        planned = PlannedDoctor(draft.doctor_id or "", entry, draft)
        planned.not_kept = practitioner.not_kept()
        self._by_entry[entry.index] = planned
        if license is not None:
            self._by_license[license] = planned
        self._new.append(planned)

    async def _plan_role(self, entry: Entry) -> None:
        role: PractitionerRoleIn = entry.resource
        if role.practitioner is None:
            self._ledger.record(entry, EntryStatus.SKIPPED, reason="no practitioner")
            return
        planned = await self.prescriber(role.practitioner, "practitioner")
        if planned is None:
            raise unresolved("practitioner", "practitioner")
        self._role_doctor[entry.index] = planned
        specialty = role.specialty_text()
        if planned.draft is None:
            self._ledger.record(
                entry, EntryStatus.PRESENT, location=planned.location, not_kept=role.not_kept()
            )
        elif specialty is None:
            self._ledger.record(entry, EntryStatus.SKIPPED, reason="no specialty")
        elif planned.draft.specialty:
            reason = "another PractitionerRole gave the doctor's specialty"
            self._ledger.record(entry, EntryStatus.SKIPPED, reason=reason)
        else:
            planned.draft = _with_specialty(planned.draft, specialty)
            planned.roles.append(entry)

    async def _known(self, license: str) -> PlannedDoctor | None:
        """The doctor holding the license: one this import adds, or one carehub holds."""
        if license not in self._by_license:
            stored = await self._service.find_by_license(license=license)
            if stored is None:
                return None
            self._by_license[license] = PlannedDoctor(stored.id, None)
        return self._by_license[license]

    async def _stored(self, doctor_id: str) -> PlannedDoctor | None:
        try:
            return PlannedDoctor((await self._service.get(doctor_id=doctor_id)).id, None)
        except DoctorNotFound:
            return None

    def _check(self, draft: DoctorDraft) -> None:
        """The doctor's own rules, before anything is written."""
        now = self._clock.now()
        check_doctor(
            Doctor(
                id=draft.doctor_id or "",
                country_id=draft.country_id,
                name=draft.name,
                specialty=DEFAULT_SPECIALTY,
                time_zone="UTC",
                weekly=(),
                license=draft.license,
                email=draft.email,
                phone=draft.phone,
                created_at=now,
                updated_at=now,
            )
        )


_ANY_AUTHOR = frozenset({"Practitioner", "PractitionerRole", *_NOT_PRESCRIBERS})


def _name(practitioner: PractitionerIn) -> str:
    name = practitioner.display_name()
    if name is None:
        raise Invalid(
            "The Practitioner has no name carehub can keep",
            errors=[FieldError("name", "needs a name with text, a family or a given name")],
        )
    return name


def _conditional_license(entry: Entry) -> str | None:
    if entry.if_none_exist is None:
        return None
    system, value = entry.if_none_exist
    if system not in LICENSE_SYSTEMS:
        raise Invalid(
            "The entry's condition cannot be checked",
            errors=[FieldError("request.ifNoneExist", "carehub finds practitioners by NPI")],
        )
    return value


def _with_specialty(draft: DoctorDraft, specialty: str) -> DoctorDraft:
    return replace(draft, specialty=specialty)
