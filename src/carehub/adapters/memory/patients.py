"""Patient records in memory (`carehub.patients.ports.PatientRepository`)."""

from __future__ import annotations

from collections.abc import Sequence

from carehub.adapters.memory.store import MemoryStore
from carehub.kernel.pagination import Page, cursor_position, encode_cursor
from carehub.kernel.patient_directory import PatientContact
from carehub.patients.errors import IdentifierTaken, MrnTaken, PatientIdTaken
from carehub.patients.model import Patient
from carehub.patients.ports import PatientFilter


class MemoryPatientRepository:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, patient: Patient) -> None:
        await self.add_many([patient])

    async def add_many(self, patients: Sequence[Patient]) -> None:
        for patient in patients:
            if patient.id in self._store.patients:
                raise PatientIdTaken(patient.id)
            self._claim_keys(patient)
            self._store.patients[patient.id] = patient

    async def get(self, patient_id: str) -> Patient | None:
        return self._store.patients.get(patient_id)

    async def replace(self, patient: Patient, *, expected_version: int) -> bool:
        current = self._store.patients.get(patient.id)
        if current is None or current.version != expected_version:
            return False
        self._release_keys(current)
        self._claim_keys(patient)
        self._store.patients[patient.id] = patient
        return True

    async def reserve_mrn_numbers(self, country_id: str, count: int) -> int:
        last = self._store.mrn_counters.get(country_id, 0) + count
        self._store.mrn_counters[country_id] = last
        return last - count + 1

    async def in_care_of(self, practitioner_id: str, patient_id: str) -> bool:
        return (practitioner_id, patient_id) in self._store.care

    async def add_care_relationship(self, practitioner_id: str, patient_id: str) -> bool:
        pair = (practitioner_id, patient_id)
        if pair in self._store.care:
            return False
        self._store.care.add(pair)
        return True

    async def remove_care_relationship(self, practitioner_id: str, patient_id: str) -> bool:
        pair = (practitioner_id, patient_id)
        if pair not in self._store.care:
            return False
        self._store.care.discard(pair)
        return True

    async def search(
        self, criteria: PatientFilter, *, cursor: str | None, limit: int
    ) -> Page[Patient]:
        after = "" if cursor is None else cursor_position(cursor, "after", str)
        found = [
            p
            for key, p in sorted(self._store.patients.items())
            if key > after and criteria.matches(p) and self._in_scope(p, criteria)
        ]
        items = found[:limit]
        next_cursor = encode_cursor({"after": items[-1].id}) if len(found) > limit else None
        return Page(items=items, next_cursor=next_cursor)

    def _in_scope(self, p: Patient, c: PatientFilter) -> bool:
        return c.care_of is None or (c.care_of, p.id) in self._store.care

    def _claim_keys(self, patient: Patient) -> None:
        """Take the patient's unique keys (MRN per country, identifiers), as SQL's indexes do."""
        mrn = (patient.country_id, patient.mrn)
        if self._store.mrns.get(mrn, patient.id) != patient.id:
            raise MrnTaken(patient.country_id)
        for identifier in patient.details.identifiers:
            owner = self._store.identifiers.get((identifier.system, identifier.value))
            if owner is not None and owner != patient.id:
                raise IdentifierTaken(identifier.system)
        self._store.mrns[mrn] = patient.id
        for identifier in patient.details.identifiers:
            self._store.identifiers[(identifier.system, identifier.value)] = patient.id

    def _release_keys(self, patient: Patient) -> None:
        self._store.mrns.pop((patient.country_id, patient.mrn), None)
        for identifier in patient.details.identifiers:
            self._store.identifiers.pop((identifier.system, identifier.value), None)


class MemoryPatientDirectory:
    """What other domains read about patients (`carehub.kernel.patient_directory`)."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def contact(self, patient_id: str) -> PatientContact | None:
        patient = self._store.patients.get(patient_id)
        if patient is None:
            return None
        return PatientContact(
            patient_id=patient.id,
            country_id=patient.country_id,
            active=patient.active,
            email=patient.details.email,
            phone=patient.details.phone,
            display_name=patient.details.name.text,
        )

    async def in_care_of(self, practitioner_id: str, patient_id: str) -> bool:
        return (practitioner_id, patient_id) in self._store.care


class MemoryCountryDirectory:
    """Whether a country exists, as the patients domain asks (`patients.ports`)."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def exists(self, country_id: str) -> bool:
        return country_id in self._store.countries
