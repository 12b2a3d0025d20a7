"""Transaction and batch Bundles (Synthea's output among them) taken into carehub through
its own use cases: the same access gate, audit entries and events as the native API.

An import reads and checks every entry, and finds what each one refers to, before it
writes anything; then it writes countries, doctors, patients (with their conditions and
allergies) and medications, in that order, each through its use case.

- A transaction is all or nothing for its input: the first entry that is not valid, or
  refers to nothing, fails the whole bundle before anything is written. The writes are
  several units of work (the use cases'), so a write that fails (a race on an identifier,
  a lost database) can leave the units before it written; importing the bundle again
  completes it, since nothing already present is written twice.
- A batch takes each entry on its own: each has its outcome, in entry order.

The HTTP route (`POST /fhir/R4`) and the CLI (`carehub import fhir`) both call
`import_bundle`; neither the HTTP nor the terminal is known here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
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
    ) -> None:
        self._patients = patients
        self._countries = countries
        self._doctors = doctors
        self._medications = medications
        self._clock = clock
        # How many new patients (or one patient's medications) one unit of work writes: a
        # DynamoDB transaction holds about two (bootstrap's `import_batch_size`).
        self._per_unit = patients_per_unit

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
        countries = ImportCountries(self._countries, country_id)
        await countries.check_forced()
        doctors = ImportDoctors(self._doctors, countries, index, ledger, self._clock, actor)
        patients = ImportPatients(self._patients, countries, index, ledger, self._clock, actor)
        medications = ImportMedications(self._medications, patients, doctors, index, ledger, actor)

        # Read and resolve everything (a transaction fails here, before any write).
        by_type = _by_type(entries, ledger)
        await doctors.plan(by_type["Practitioner"], by_type["PractitionerRole"])
        await patients.plan(by_type["Patient"])
        await patients.plan_record_entries(by_type["Condition"], by_type["AllergyIntolerance"])
        await medications.plan(by_type["MedicationRequest"] + by_type["MedicationStatement"])
        places = await _places(by_type["Organization"] + by_type["Location"], countries, ledger)
        for entry in by_type["Medication"]:
            ledger.record(entry, EntryStatus.SKIPPED, reason=MEDICATION_REASON)

        # Write.
        await countries.create_missing(actor)
        for entry, country_id_of_place in places:
            reason = f"linked to country {country_id_of_place} (carehub's organizations)"
            ledger.record(entry, EntryStatus.LINKED, reason=reason)
        await doctors.write()
        await patients.write(self._per_unit)
        await medications.write(self._per_unit)
        return ledger.report(len(entries))


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
