"""MedicationRequests and MedicationStatements as carehub medications of their patients,
prescribed by the practitioner they name: each patient's are recorded together by the
medications use case for imports (started, then stopped or completed as their status says,
in one unit of work).

A medication the patient's record already holds is not started again: the same code (or,
without one, the same name) started on the same day, or the same code still active."""

from __future__ import annotations

from dataclasses import dataclass, field

from carehub.clinical.medications import Medication, MedicationCode, MedicationStatus
from carehub.clinical.service.medications import (
    MedicationDraft,
    MedicationService,
    RecordedMedication,
)
from carehub.fhir.import_doctors import ImportDoctors, PlannedDoctor
from carehub.fhir.import_entries import Entry, Ledger, depends_on
from carehub.fhir.import_index import BundleIndex, unresolved
from carehub.fhir.import_patients import ImportPatients, PlannedPatient
from carehub.fhir.import_report import EntryStatus
from carehub.fhir.references import Contained, target_of
from carehub.fhir.schemas.datatypes import CodeableConcept
from carehub.fhir.schemas.dosage import Dosage
from carehub.fhir.schemas.elements import calendar_date
from carehub.fhir.schemas.medications import (
    MedicationIn,
    MedicationRequestIn,
    MedicationStatementIn,
    named_code,
    read_medication,
)
from carehub.kernel.actor import Actor
from carehub.kernel.errors import CarehubError, FieldError, Invalid
from carehub.kernel.text import fold

STOP_REASON = "Recorded as stopped in the imported FHIR record"
STOPPED = MedicationStatus.STOPPED
_MEDICATION = frozenset({"Medication"})
# A patient's medications read to find what it holds: a few dozen in practice.
_PAGES = 50
_PAGE = 200

MedicationKey = tuple[str, str, str]  # (code system or "name", code or folded name, start)


@dataclass
class PlannedMedication:
    entry: Entry
    patient: PlannedPatient
    prescriber: PlannedDoctor
    draft: MedicationDraft
    status: MedicationStatus
    not_kept: list[str]


@dataclass
class _Held:
    """What a patient's record holds (or this import gives it): keys and active codes."""

    keys: set[MedicationKey] = field(default_factory=set)
    active_codes: set[MedicationCode] = field(default_factory=set)


class ImportMedications:
    """The medications of one import."""

    def __init__(
        self,
        service: MedicationService,
        patients: ImportPatients,
        doctors: ImportDoctors,
        index: BundleIndex,
        ledger: Ledger,
        actor: Actor,
    ) -> None:
        self._service = service
        self._patients = patients
        self._doctors = doctors
        self._index = index
        self._ledger = ledger
        self._actor = actor
        self._planned: list[PlannedMedication] = []
        self._held: dict[str, _Held] = {}

    async def plan(self, entries: list[Entry]) -> None:
        """Prepare every medication; nothing is written yet."""
        for entry in entries:
            try:
                await self._plan(entry)
            except CarehubError as exc:
                self._ledger.fail(entry, exc)

    async def write(self, service: MedicationService, per_unit: int) -> None:
        """Record each patient's medications, `per_unit` to a unit of work, through
        `service` (the one the writes go through)."""
        by_patient: dict[str, list[PlannedMedication]] = {}
        for planned in self._planned:
            entry = planned.entry
            for depended in (planned.patient, planned.prescriber):
                if depended.failed and depended.entry is not None:
                    self._ledger.fail(entry, depends_on(depended.entry))
            if not self._ledger.decided(entry):
                by_patient.setdefault(planned.patient.patient_id, []).append(planned)
        for patient_id, medications in by_patient.items():
            for start in range(0, len(medications), per_unit):
                await self._record(service, patient_id, medications[start : start + per_unit])

    async def _record(
        self, service: MedicationService, patient_id: str, planned: list[PlannedMedication]
    ) -> None:
        recorded = [
            RecordedMedication(p.draft, p.status, STOP_REASON if p.status is STOPPED else None)
            for p in planned
        ]
        try:
            medications = await service.record_many(
                actor=self._actor, patient_id=patient_id, medications=recorded
            )
        except CarehubError as exc:
            for one in planned:
                self._ledger.fail(one.entry, exc)
            return
        for one, medication in zip(planned, medications, strict=True):
            location = f"{one.entry.resource_type}/{medication.id}"
            self._ledger.record(
                one.entry, EntryStatus.IMPORTED, location=location, not_kept=one.not_kept
            )

    async def _plan(self, entry: Entry) -> None:
        resource: MedicationRequestIn | MedicationStatementIn = entry.resource
        reason = resource.why_not_kept()
        if reason is not None:
            self._ledger.record(entry, EntryStatus.SKIPPED, reason=reason)
            return
        patient = await self._patients.patient_for(resource.subject, "subject")
        if patient.inactive:
            self._ledger.record(
                entry, EntryStatus.SKIPPED, reason="the patient's record is inactive"
            )
            return
        concept = self._concept(resource)
        if concept is None:
            self._ledger.record(entry, EntryStatus.SKIPPED, reason="no medication named")
            return
        name, code = named_code(concept)
        if name is None:
            reason = "the medication has no name carehub can keep"
            self._ledger.record(entry, EntryStatus.SKIPPED, reason=reason)
            return
        prescriber = await self._prescriber(resource)
        if prescriber is None:
            reason = "no practitioner prescribed it (carehub keeps a medication's prescriber)"
            self._ledger.record(entry, EntryStatus.SKIPPED, reason=reason)
            return
        draft = _draft(resource, name, code, prescriber.doctor_id)
        status = resource.medication_status()
        held = await self._held_by(patient)
        key = _key(code, name, draft)
        if key in held.keys or (status is MedicationStatus.ACTIVE and code in held.active_codes):
            self._ledger.record(entry, EntryStatus.PRESENT, location=patient.location)
            return
        held.keys.add(key)
        if status is MedicationStatus.ACTIVE and code is not None:
            held.active_codes.add(code)
        planned = PlannedMedication(entry, patient, prescriber, draft, status, resource.not_kept())
        self._planned.append(planned)

    def _concept(
        self, resource: MedicationRequestIn | MedicationStatementIn
    ) -> CodeableConcept | None:
        if resource.medication_codeable_concept is not None:
            return resource.medication_codeable_concept
        reference = resource.medication_reference
        if reference is None:
            return None
        target = target_of(reference, "medicationReference")
        if isinstance(target, Contained):
            return _contained(resource, target.local_id)
        found = self._index.find(target, _MEDICATION, "medicationReference")
        if found is None:
            # carehub keeps no Medication of its own: it can only be in the bundle.
            raise unresolved("medicationReference", "medication")
        medication: MedicationIn | None = found.resource
        if medication is None or self._ledger.failed(found):
            raise depends_on(found)
        return medication.concept()

    async def _prescriber(
        self, resource: MedicationRequestIn | MedicationStatementIn
    ) -> PlannedDoctor | None:
        if isinstance(resource, MedicationRequestIn):
            reference, name = resource.requester, "requester"
        else:
            reference, name = resource.information_source, "informationSource"
        return None if reference is None else await self._doctors.prescriber(reference, name)

    async def _held_by(self, patient: PlannedPatient) -> _Held:
        """What the patient's record holds: read once per stored patient (a new one holds
        only what this import gives it)."""
        if patient.patient_id not in self._held:
            held = _Held()
            if patient.stored is not None:
                for medication in await self._stored(patient.patient_id):
                    held.keys.add(_key(medication.code, medication.name, medication))
                    if medication.status is MedicationStatus.ACTIVE and medication.code:
                        held.active_codes.add(medication.code)
            self._held[patient.patient_id] = held
        return self._held[patient.patient_id]

    async def _stored(self, patient_id: str) -> list[Medication]:
        found: list[Medication] = []
        cursor: str | None = None
        for _ in range(_PAGES):
            page = await self._service.list_for_patient(
                actor=self._actor, patient_id=patient_id, statuses=None, cursor=cursor, limit=_PAGE
            )
            found += page.items
            cursor = page.next_cursor
            if cursor is None:
                break
        return found


def _draft(
    resource: MedicationRequestIn | MedicationStatementIn,
    name: str,
    code: MedicationCode | None,
    prescriber_id: str,
) -> MedicationDraft:
    if isinstance(resource, MedicationRequestIn):
        started, ended = resource.authored_on, None
        dosages = resource.dosage_instruction
    else:
        period = resource.effective_period
        started = resource.effective_date_time or (None if period is None else period.start)
        ended = None if period is None else period.end
        dosages = resource.dosage
    start = None if started is None else calendar_date(started)[0]
    end = None if ended is None else calendar_date(ended)[0]
    if start is not None and end is not None and end < start:
        raise Invalid(
            "The medication cannot end before it starts",
            errors=[FieldError("effectivePeriod.end", "is before its start")],
        )
    dosage: Dosage | None = dosages[0] if dosages else None
    dose = None if dosage is None else dosage.dose()
    return MedicationDraft(
        name=name,
        start=start,
        code=code,
        dose=None if dose is None else dose[0],
        dose_unit=None if dose is None else dose[1],
        route=None if dosage is None else dosage.carehub_route(),
        frequency=None if dosage is None else dosage.frequency(),
        end=end,
        prescriber_id=prescriber_id,
    )


def _key(
    code: MedicationCode | None, name: str, started: MedicationDraft | Medication
) -> MedicationKey:
    start = "" if started.start is None else started.start.isoformat()
    if code is not None:
        return code.system.value, code.code, start
    return "name", fold(name), start


def _contained(
    resource: MedicationRequestIn | MedicationStatementIn, local_id: str
) -> CodeableConcept | None:
    for contained in resource.contained:
        if contained.get("resourceType") == "Medication" and contained.get("id") == local_id:
            try:
                return read_medication(contained).concept()
            except Invalid as exc:
                errors = [FieldError(f"contained.{e.field}", e.message) for e in exc.errors]
                raise Invalid(exc.detail, errors=errors) from None
    raise unresolved("medicationReference", "contained Medication")
