"""Transaction and batch Bundles (Synthea's output among them) taken into carehub through
its own use cases: the same access gate, audit entries and events as the native API.

An import reads and checks every entry, and finds what each one refers to, before it
writes anything; then it writes countries, doctors, patients (with their conditions and
allergies) and medications, in that order, each through its use case.

- A transaction is all or nothing: the first entry that is not valid, or refers to
  nothing, fails the whole bundle before anything is written; its writes are then made by
  use cases joined to one unit of work (`one_unit`), which commits them all or none. On a
  store whose transactions are too small for a bundle (DynamoDB: 100 items) there is no
  `one_unit`, and each use case commits its own: a write that fails then (a race on an
  identifier, a lost connection) can leave the ones before it, and importing the bundle
  again completes it, since nothing already present is written twice.
- A batch takes each entry on its own: each has its outcome, in entry order.

The HTTP route (`POST /fhir/R4`) and the CLI (`carehub import fhir`) both call
`import_bundle`; neither the HTTP nor the terminal is known here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from carehub.clinical.service.medications import MedicationService
from carehub.countries.service import CountryService
from carehub.fhir.import_countries import ImportCountries
from carehub.fhir.import_doctors import ImportDoctors
from carehub.fhir.import_entries import Entry, Ledger, read_entries
from carehub.fhir.import_index import BundleIndex
from carehub.fhir.import_medications import ImportMedications
from carehub.fhir.import_patients import ImportPatients
from carehub.fhir.import_report import EntryStatus, ImportReport
from carehub.fhir.schemas.bundle import read_bundle
from carehub.fhir.schemas.places import LocationIn, OrganizationIn
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.errors import CarehubError
from carehub.patients.service import PatientService
from carehub.practitioners.service import DoctorService

MEDICATION_REASON = "carehub keeps a Medication's code in the medications that name it"


@dataclass(frozen=True)
class ImportUseCases:
    """The use cases an import reads and writes through."""

    patients: PatientService
    countries: CountryService
    doctors: DoctorService
    medications: MedicationService


# Opens one unit of work and gives the use cases joined to it; it commits when the block
# ends without an error, and rolls everything back otherwise.
OneUnit = Callable[[], AbstractAsyncContextManager[ImportUseCases]]


class FhirImporter:
    """Imports FHIR Bundles through the patients, countries, doctors and medications use
    cases."""

    def __init__(
        self,
        *,
        patients: PatientService,
        countries: CountryService,
        doctors: DoctorService,
        medications: MedicationService,
        clock: Clock,
        patients_per_unit: int = 2000,
        one_unit: OneUnit | None = None,
    ) -> None:
        self._use_cases = ImportUseCases(patients, countries, doctors, medications)
        self._clock = clock
        # How many new patients (or one patient's medications) one unit of work writes: a
        # DynamoDB transaction holds about two (bootstrap's `import_batch_size`).
        self._per_unit = patients_per_unit
        self._one_unit = one_unit

    async def import_bundle(
        self,
        bundle: Mapping[str, Any],
        *,
        actor: Actor,
        country_id: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import a transaction or batch Bundle (a parsed JSON object). `country_id` forces
        the country of every record (else each address's country decides); `progress` is
        told of every entry whose outcome is known. A transaction that fails raises the
        error of the entry that failed it (a kernel kind, naming the entry)."""
        envelope = read_bundle(bundle)
        ledger = Ledger(envelope.type, progress)
        entries = read_entries(envelope, ledger)
        index = BundleIndex(entries)
        read = self._use_cases
        countries = ImportCountries(read.countries, country_id, actor)
        await countries.check_forced()
        doctors = ImportDoctors(read.doctors, countries, index, ledger, self._clock, actor)
        patients = ImportPatients(read.patients, countries, index, ledger, self._clock, actor)
        medications = ImportMedications(read.medications, patients, doctors, index, ledger, actor)

        # Read and resolve everything (a transaction fails here, before any write).
        by_type = _by_type(entries, ledger)
        await doctors.plan(by_type["Practitioner"], by_type["PractitionerRole"])
        await patients.plan(by_type["Patient"])
        await patients.plan_record_entries(by_type["Condition"], by_type["AllergyIntolerance"])
        await medications.plan(by_type["MedicationRequest"] + by_type["MedicationStatement"])
        places = await _places(by_type["Organization"] + by_type["Location"], countries, ledger)
        for entry in by_type["Medication"]:
            ledger.record(entry, EntryStatus.SKIPPED, reason=MEDICATION_REASON)

        # Write: a transaction in one unit of work where the store can hold it.
        writing = _Writing(countries, doctors, patients, medications, places, ledger)
        if ledger.all_or_nothing and self._one_unit is not None:
            async with self._one_unit() as joined:
                await writing.write(joined, per_unit=len(entries) or 1)
        else:
            await writing.write(read, per_unit=self._per_unit)
        return ledger.report(len(entries))


@dataclass(frozen=True)
class _Writing:
    """What an import writes, once everything is read and resolved."""

    countries: ImportCountries
    doctors: ImportDoctors
    patients: ImportPatients
    medications: ImportMedications
    places: list[tuple[Entry, str]]
    ledger: Ledger

    async def write(self, use_cases: ImportUseCases, *, per_unit: int) -> None:
        """Countries, then doctors, patients and medications, through `use_cases`."""
        await self.countries.create_missing(use_cases.countries)
        for entry, country_id in self.places:
            reason = f"linked to country {country_id} (carehub's organizations)"
            self.ledger.record(entry, EntryStatus.LINKED, reason=reason)
        await self.doctors.write(use_cases.doctors)
        await self.patients.write(use_cases.patients, per_unit)
        await self.medications.write(use_cases.medications, per_unit)


def _by_type(entries: list[Entry], ledger: Ledger) -> defaultdict[str, list[Entry]]:
    """The entries still to handle, by resource type, in bundle order."""
    found: defaultdict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if not ledger.decided(entry):
            found[entry.resource_type].append(entry)
    return found


async def _places(
    entries: list[Entry], countries: ImportCountries, ledger: Ledger
) -> list[tuple[Entry, str]]:
    """Organizations and Locations with the country each one's address names."""
    linked = []
    for entry in entries:
        place: OrganizationIn | LocationIn = entry.resource
        code = place.country_code()
        if code is None and countries.forced is None:
            reason = "no country in its address to link it to"
            ledger.record(entry, EntryStatus.SKIPPED, reason=reason)
            continue
        field = "address.country" if isinstance(place, LocationIn) else "address[0].country"
        try:
            linked.append((entry, await countries.country_of(code, field)))
        except CarehubError as exc:
            ledger.fail(entry, exc)
    return linked
