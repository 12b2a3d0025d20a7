"""Patients, with their Conditions and AllergyIntolerances, as carehub patient records.

A Patient is the carehub patient that already holds one of its identifiers (or the id a PUT
names), or one this import registers: new patients are registered together, each with the
conditions and allergies the bundle gives it, through the bulk use case (one unit of work).
A patient already present gets the conditions and allergies its record lacks in one
revision; nothing it holds is added twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from carehub.fhir.import_countries import ImportCountries
from carehub.fhir.import_entries import Entry, Ledger, depends_on
from carehub.fhir.import_index import BundleIndex, outside_bundle, unresolved, wrong_type
from carehub.fhir.import_report import EntryStatus
from carehub.fhir.references import ById, ByIdentifier, target_of
from carehub.fhir.schemas.conditions import AllergyIntoleranceIn, ConditionIn, coded_entry
from carehub.fhir.schemas.datatypes import Reference
from carehub.fhir.schemas.patient import PatientIn
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.errors import CarehubError, Conflict
from carehub.kernel.ids import new_id
from carehub.kernel.text import fold
from carehub.patients.errors import PatientNotFound
from carehub.patients.model import (
    CodedEntry,
    Identifier,
    Patient,
    PatientChanges,
    check_details,
    check_patient_id,
)
from carehub.patients.ports import PatientFilter
from carehub.patients.service import PatientDraft, PatientService

# As many conditions (and allergies) as a patient record takes through the API.
MAX_ENTRIES = 200
_PATIENT = frozenset({"Patient"})


@dataclass
class PlannedPatient:
    """A patient an import matched (`stored`) or will register (`draft`), and the entries
    of its record it adds."""

    patient_id: str
    entry: Entry | None  # its Patient entry; None for a stored patient only referred to
    draft: PatientDraft | None = None
    stored: Patient | None = None
    conditions: list[tuple[CodedEntry, Entry]] = field(default_factory=list)
    allergies: list[tuple[CodedEntry, Entry]] = field(default_factory=list)
    not_kept: list[str] = field(default_factory=list)
    failed: bool = False
    _held: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return f"Patient/{self.patient_id}"

    @property
    def inactive(self) -> bool:
        return self.stored is not None and not self.stored.active

    def holds(self, kind: str, entry: CodedEntry) -> bool:
        """Whether its record holds (or this import gives it) the same entry already."""
        return entry_key(entry) in self._keys(kind)

    def add(self, kind: str, coded: CodedEntry, entry: Entry) -> bool:
        """Give its record the entry; False when the record is full."""
        added = self.conditions if kind == "conditions" else self.allergies
        if len(self._stored(kind)) + len(added) >= MAX_ENTRIES:
            return False
        added.append((coded, entry))
        self._keys(kind).add(entry_key(coded))
        return True

    def _stored(self, kind: str) -> tuple[CodedEntry, ...]:
        found: tuple[CodedEntry, ...] = (
            () if self.stored is None else getattr(self.stored.details, kind)
        )
        return found

    def _keys(self, kind: str) -> set[tuple[str, str]]:
        if kind not in self._held:
            self._held[kind] = {entry_key(e) for e in self._stored(kind)}
        return self._held[kind]


def entry_key(entry: CodedEntry) -> tuple[str, str]:
    """What makes two conditions (or allergies) the same: their system and code, else
    their folded text."""
    if entry.code:
        return entry.system or "", entry.code
    return "", fold(entry.display or "")


class ImportPatients:
    """The patients of one import."""

    def __init__(
        self,
        service: PatientService,
        countries: ImportCountries,
        index: BundleIndex,
        ledger: Ledger,
        clock: Clock,
        actor: Actor,
    ) -> None:
        self._service = service
        self._countries = countries
        self._index = index
        self._ledger = ledger
        self._clock = clock
        self._actor = actor
        self._by_entry: dict[int, PlannedPatient] = {}
        self._by_identifier: dict[tuple[str, str], PlannedPatient] = {}
        self._by_id: dict[str, PlannedPatient] = {}
        self._new: list[PlannedPatient] = []
        self._not_kept: dict[int, list[str]] = {}  # of the conditions and allergies added

    async def plan(self, patients: list[Entry]) -> None:
        """Match or prepare every Patient; nothing is written yet."""
        for entry in patients:
            try:
                await self._plan_patient(entry)
            except CarehubError as exc:
                self._ledger.fail(entry, exc)

    async def plan_record_entries(self, conditions: list[Entry], allergies: list[Entry]) -> None:
        """Give each patient the conditions and allergies it lacks."""
        for kind, entries in (("conditions", conditions), ("allergies", allergies)):
            for entry in entries:
                try:
                    await self._plan_record_entry(kind, entry)
                except CarehubError as exc:
                    self._ledger.fail(entry, exc)

    async def patient_for(self, reference: Reference, field_name: str) -> PlannedPatient:
        """The patient a reference names, in the bundle or in carehub; Invalid otherwise."""
        target = target_of(reference, field_name)
        found = self._index.find(target, _PATIENT, field_name)
        if found is not None:
            planned = self._by_entry.get(found.index)
            if planned is None:
                raise depends_on(found)
            return planned
        target = outside_bundle(target)
        if isinstance(target, ById):
            if target.resource_type != "Patient":
                raise wrong_type(field_name, _PATIENT)
            stored = await self._stored_by_id(target.resource_id)
        elif isinstance(target, ByIdentifier) and target.resource_type in (None, "Patient"):
            key = (target.system, target.value)
            if key in self._by_identifier:
                return self._by_identifier[key]
            stored = await self._stored_by_identifier([Identifier(*key)])
        else:
            stored = None
        if stored is None:
            raise unresolved(field_name, "patient")
        return stored

    async def write(self, service: PatientService, per_unit: int) -> None:
        """Register the new patients (`per_unit` to a unit of work), then add to the stored
        ones the entries they lack, through `service` (the one the writes go through)."""
        for start in range(0, len(self._new), per_unit):
            await self._register(service, self._new[start : start + per_unit])
        for planned in self._by_id.values():
            if planned.stored is not None and (planned.conditions or planned.allergies):
                await self._revise(service, planned)

    async def _plan_patient(self, entry: Entry) -> None:
        patient: PatientIn = entry.resource
        details, not_kept = patient.details()
        identifiers = list(details.identifiers)
        if entry.if_none_exist is not None:
            identifiers.append(Identifier(*entry.if_none_exist))
        known = self._planned_with(identifiers)
        if known is None and entry.put_id is not None:
            known = await self._stored_by_id(entry.put_id)
        if known is None:
            known = await self._stored_by_identifier(identifiers)
        if known is not None:
            self._by_entry[entry.index] = known
            self._ledger.record(
                entry, EntryStatus.PRESENT, location=known.location, not_kept=not_kept
            )
            return
        country_id = await self._countries.country_of(patient.country_code(), "address[0].country")
        if entry.put_id is not None:
            check_patient_id(entry.put_id)
        check_details(details, self._clock.now().date())
        draft = PatientDraft(
            country_id=country_id, details=details, patient_id=entry.put_id or new_id()
        )
        planned = PlannedPatient(draft.patient_id or "", entry, draft=draft, not_kept=not_kept)
        self._by_entry[entry.index] = planned
        for identifier in identifiers:
            self._by_identifier.setdefault((identifier.system, identifier.value), planned)
        self._new.append(planned)

    def _planned_with(self, identifiers: list[Identifier]) -> PlannedPatient | None:
        """The patient an earlier entry of this bundle gave one of these identifiers."""
        for identifier in identifiers:
            found = self._by_identifier.get((identifier.system, identifier.value))
            if found is not None:
                return found
        return None

    async def _plan_record_entry(self, kind: str, entry: Entry) -> None:
        resource: ConditionIn | AllergyIntoleranceIn = entry.resource
        reason = resource.why_not_kept()
        if reason is not None:
            self._ledger.record(entry, EntryStatus.SKIPPED, reason=reason)
            return
        subject = resource.subject if isinstance(resource, ConditionIn) else resource.patient
        planned = await self.patient_for(subject, "subject" if kind == "conditions" else "patient")
        coded = coded_entry(resource.code)
        assert coded is not None  # why_not_kept says so
        if planned.inactive:
            self._ledger.record(
                entry, EntryStatus.SKIPPED, reason="the patient's record is inactive"
            )
        elif planned.holds(kind, coded):
            self._ledger.record(entry, EntryStatus.PRESENT, location=planned.location)
        elif not planned.add(kind, coded, entry):
            reason = f"the patient's record holds {MAX_ENTRIES} {kind} already"
            self._ledger.record(entry, EntryStatus.SKIPPED, reason=reason)
        else:
            self._not_kept[entry.index] = resource.not_kept()

    async def _register(self, service: PatientService, batch: Sequence[PlannedPatient]) -> None:
        actor = self._actor
        drafts = [_with_entries(planned) for planned in batch]
        if actor.unrestricted:
            try:
                await service.register_many(actor=actor, drafts=drafts)
            except CarehubError as exc:
                if self._ledger.all_or_nothing:
                    assert batch[0].entry is not None
                    self._ledger.fail(batch[0].entry, exc)  # raises
            else:
                for planned in batch:
                    self._written(planned)
                return
        # One by one: each patient's own outcome (a batch, or an actor who may not bulk).
        for planned, draft in zip(batch, drafts, strict=True):
            try:
                await service.register(actor=actor, draft=draft)
            except CarehubError as exc:
                self._failed(planned, exc)
                continue
            self._written(planned)

    async def _revise(self, service: PatientService, planned: PlannedPatient) -> None:
        stored = planned.stored
        assert stored is not None
        changes = PatientChanges(
            conditions=stored.details.conditions + tuple(c for c, _ in planned.conditions),
            allergies=stored.details.allergies + tuple(a for a, _ in planned.allergies),
        )
        try:
            await service.revise(
                actor=self._actor,
                patient_id=stored.id,
                changes=changes,
                if_version=stored.version,
            )
        except CarehubError as exc:
            for _, entry in planned.conditions + planned.allergies:
                self._ledger.fail(entry, exc)
            return
        self._record_entries(planned)

    def _written(self, planned: PlannedPatient) -> None:
        assert planned.entry is not None
        self._ledger.record(
            planned.entry,
            EntryStatus.IMPORTED,
            location=planned.location,
            not_kept=planned.not_kept,
        )
        self._record_entries(planned)

    def _record_entries(self, planned: PlannedPatient) -> None:
        for _, entry in planned.conditions + planned.allergies:
            self._ledger.record(
                entry,
                EntryStatus.IMPORTED,
                location=planned.location,
                not_kept=self._not_kept.get(entry.index, ()),
            )

    def _failed(self, planned: PlannedPatient, error: CarehubError) -> None:
        planned.failed = True
        assert planned.entry is not None
        self._ledger.fail(planned.entry, error)
        dependent = depends_on(planned.entry)
        for _, entry in planned.conditions + planned.allergies:
            self._ledger.fail(entry, dependent)

    async def _stored_by_id(self, patient_id: str) -> PlannedPatient | None:
        if patient_id not in self._by_id:
            try:
                stored = await self._service.get(actor=self._actor, patient_id=patient_id)
            except PatientNotFound:
                return None
            self._by_id[patient_id] = PlannedPatient(stored.id, None, stored=stored)
        return self._by_id[patient_id]

    async def _stored_by_identifier(self, identifiers: list[Identifier]) -> PlannedPatient | None:
        """The stored patient holding one of the identifiers; Conflict when they name
        different patients (carehub cannot tell which one the resource is)."""
        found: dict[str, Patient] = {}
        for identifier in identifiers:
            criteria = PatientFilter(
                identifier=(identifier.system, identifier.value), include_inactive=True
            )
            page = await self._service.search(
                actor=self._actor, criteria=criteria, cursor=None, limit=2
            )
            found.update((p.id, p) for p in page.items)
        if len(found) > 1:
            raise Conflict("Its identifiers belong to different carehub patients")
        if not found:
            return None
        stored = next(iter(found.values()))
        if stored.id not in self._by_id:
            self._by_id[stored.id] = PlannedPatient(stored.id, None, stored=stored)
        return self._by_id[stored.id]


def _with_entries(planned: PlannedPatient) -> PatientDraft:
    draft = planned.draft
    assert draft is not None
    details = replace(
        draft.details,
        conditions=tuple(c for c, _ in planned.conditions),
        allergies=tuple(a for a, _ in planned.allergies),
    )
    return replace(draft, details=details)
