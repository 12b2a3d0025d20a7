"""What the patients domain needs from storage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from carehub.kernel.pagination import Page
from carehub.kernel.text import fold
from carehub.kernel.unit_of_work import UnitOfWork
from carehub.patients.model import Patient
from carehub.patients.search import SearchDocument


@dataclass(frozen=True)
class PatientFilter:
    """The closed set of criteria a patient list can be narrowed by.

    Every criterion is served by an index in every adapter; text criteria arrive folded
    (lower-case, no accents). Criteria combine with AND.
    """

    country_id: str | None = None
    city: str | None = None
    address_contains: str | None = None
    condition_prefix: str | None = None
    name_prefixes: tuple[str, ...] = ()
    birth_date: date | None = None
    identifier: tuple[str, str] | None = None
    include_inactive: bool = False
    # Set by access rules, never by clients: one patient's own record, or a doctor's patients.
    patient_id: str | None = None
    care_of: str | None = None

    def matches(self, patient: Patient) -> bool:
        """Whether the record meets every criterion but `care_of` (a relationship the
        record does not hold): what an adapter checks on the candidates an index gave it."""
        d = patient.details
        address = d.address
        checks = [
            self.include_inactive or patient.active,
            self.patient_id is None or patient.id == self.patient_id,
            self.country_id is None or patient.country_id == self.country_id,
            self.city is None or (address is not None and fold(address.city or "") == self.city),
            self.address_contains is None
            or (address is not None and self.address_contains in fold(address.display())),
            self.condition_prefix is None
            or any(
                t.startswith(self.condition_prefix) for e in d.conditions for t in e.search_terms()
            ),
            all(any(t.startswith(n) for t in d.name.search_tokens()) for n in self.name_prefixes),
            self.birth_date is None or d.birth_date == self.birth_date,
            self.identifier is None
            or any((i.system, i.value) == self.identifier for i in d.identifiers),
        ]
        return all(checks)


class PatientRepository(Protocol):
    """Patient records inside a unit of work."""

    async def add(self, patient: Patient) -> None:
        """Insert a new patient.

        Raises PatientIdTaken, MrnTaken (an MRN is unique within its country) or
        IdentifierTaken; the store enforces each.
        """
        ...

    async def add_many(self, patients: Sequence[Patient]) -> None:
        """Insert many new patients in one go (demo data, imports)."""
        ...

    async def get(self, patient_id: str) -> Patient | None:
        """The patient with this id, active or not."""
        ...

    async def replace(self, patient: Patient, *, expected_version: int) -> bool:
        """Store `patient` if the stored version is still `expected_version`.

        Returns False when another writer got there first (nothing is written then).
        Raises IdentifierTaken when a new identifier belongs to someone else.
        """
        ...

    async def reserve_mrn_numbers(self, country_id: str, count: int) -> int:
        """Reserve `count` consecutive MRN sequence numbers in a country; returns the first.

        The reservation commits or rolls back with the unit. Two units reserving in one
        country never both commit the same numbers: a store that cannot make the later one
        wait for the first fails its commit with `LostRace` instead."""
        ...

    async def in_care_of(self, practitioner_id: str, patient_id: str) -> bool:
        """Whether the practitioner has a care relationship with the patient."""
        ...

    async def add_care_relationship(self, practitioner_id: str, patient_id: str) -> bool:
        """Record an explicit assignment; False when it existed already."""
        ...

    async def remove_care_relationship(self, practitioner_id: str, patient_id: str) -> bool:
        """Remove an explicit assignment; False when there was none."""
        ...

    async def search(
        self, criteria: PatientFilter, *, cursor: str | None, limit: int
    ) -> Page[Patient]:
        """Patients matching every criterion, ordered by id, one page at a time."""
        ...


class PatientVersions(Protocol):
    """Every version of every patient record as it stood, kept inside a unit of work.

    A use case that writes a version of a record (a registration, a revision, a
    deactivation) keeps it here in the same unit, so a version is kept if and only if its
    change commits. A kept version is never changed or removed; each is kept once, since
    the record's own write (a new id, or the version it replaces) lets only one writer make
    it. Records written before versions were kept have none of their earlier versions here.
    """

    async def add(self, patient: Patient) -> None:
        """Keep `patient` as version `patient.version` of its record."""
        ...

    async def add_many(self, patients: Sequence[Patient]) -> None:
        """Keep many versions in one go (a bulk registration's first versions)."""
        ...

    async def get(self, patient_id: str, version: int) -> Patient | None:
        """The record as it stood at `version` (1..MAX_VERSION); None when not kept."""
        ...

    async def history(self, patient_id: str, *, cursor: str | None, limit: int) -> Page[Patient]:
        """The record's kept versions, newest first, one page at a time (empty for an
        unknown id)."""
        ...


class CountryDirectory(Protocol):
    """Countries as the patients domain reads them (the countries domain writes them):
    read inside the unit of work that writes the patient, so the check and the write
    commit together."""

    async def exists(self, country_id: str) -> bool:
        """Whether a country record has exactly this id (its own unit's writes included)."""
        ...


class PatientsUnitOfWork(UnitOfWork, Protocol):
    """The unit of work the patients use cases run in."""

    @property
    def patients(self) -> PatientRepository: ...

    @property
    def patient_versions(self) -> PatientVersions: ...

    @property
    def country_directory(self) -> CountryDirectory: ...


class PatientSearchIndex(Protocol):
    """The search index: each patient's words and exact-match keys (`SearchDocument`).
    Writes join the unit's transaction; reads see what committed before the unit began
    (a lagging index is fine: results are re-read from the records)."""

    async def put(self, documents: Sequence[SearchDocument]) -> None:
        """Replace these patients' entries (idempotent: the same document twice is one
        entry). An inactive patient's document is kept but never ranked."""
        ...

    async def similar_words(self, word: str, *, country_id: str | None, limit: int) -> list[str]:
        """Indexed words sharing trigrams with `word` (most shared first) or starting with
        it: a bounded superset (at most `limit` of each kind) the caller narrows to exact,
        prefix and one-edit matches. `country_id` may narrow it (a store may ignore it)."""
        ...

    async def ranked(
        self,
        groups: Sequence[Mapping[str, int]],
        *,
        country_id: str | None,
        care_of: str | None,
        limit: int,
    ) -> list[tuple[str, int]]:
        """(patient_id, score) of ACTIVE patients that hold at least one term of every
        group (a group: one query word's matching terms with their weights, or the query's
        key terms); score = sum over groups of the best weight held; highest first, then
        id; at most `limit`. `country_id`/`care_of` narrow to a country / a doctor's care
        team. No groups: nobody."""
        ...

    async def clear(self) -> None:
        """Forget every entry (before a reindex)."""
        ...


class PatientSearchUnitOfWork(PatientsUnitOfWork, Protocol):
    """A unit of work that holds the search index beside the records."""

    @property
    def search_index(self) -> PatientSearchIndex: ...
