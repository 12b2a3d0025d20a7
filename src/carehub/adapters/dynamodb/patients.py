"""Patient records in the table (docs/dynamodb.md, "patients"): the record, its listing
items, and guard items that make its id, its MRN in its country and each identifier
unique in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence

from carehub.adapters.dynamodb.items import Item, as_int, key_of
from carehub.adapters.dynamodb.patient_items import (
    care_key,
    child_items,
    guard_item,
    identifier_guards,
    mrn_counter,
    mrn_guard,
    patient_from_item,
    patient_item,
    patient_key,
)
from carehub.adapters.dynamodb.patient_search import search_patients
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import NEW_ITEM, Condition, version_is
from carehub.kernel.pagination import Page
from carehub.kernel.races import LostRace
from carehub.patients.errors import IdentifierTaken, MrnTaken, PatientIdTaken
from carehub.patients.model import Patient
from carehub.patients.ports import PatientFilter


class MrnNumbersRaced(LostRace):
    """Another unit reserved MRN numbers in the same country first (`LostRace`)."""

    def __init__(self) -> None:
        super().__init__("Another patient was registered in this country at the same time")


class DynamoPatientRepository:
    """The patients port over a DynamoDB session.

    Where SQL's statement would fail at once (a taken id, MRN or identifier; a stale
    version), a consistent read answers the same way now; the buffered writes keep their
    conditions, so a writer racing this one to the commit still fails it, with the same error.
    """

    def __init__(self, session: DynamoSession) -> None:
        self._session = session
        # The counter value this unit read in each country it reserved MRN numbers in.
        self._counters_read: dict[str, int] = {}

    async def add(self, patient: Patient) -> None:
        await self.add_many([patient])

    async def add_many(self, patients: Sequence[Patient]) -> None:
        for patient in patients:
            await self._add(patient)

    async def _add(self, patient: Patient) -> None:
        session = self._session
        record, mrn, guards = (
            patient_key(patient.id),
            mrn_guard(patient.country_id, patient.mrn),
            identifier_guards(patient),
        )
        stored = await session.get_many([record, mrn, *guards])
        if stored[record] is not None:
            raise PatientIdTaken(patient.id)
        if stored[mrn] is not None:
            raise await self._taken_mrn(patient.country_id)
        for key, system in guards.items():
            if stored[key] is not None:
                raise IdentifierTaken(system)
        writes = session.writes
        writes.put(
            patient_item(patient), condition=NEW_ITEM, refusal=lambda: PatientIdTaken(patient.id)
        )
        country = patient.country_id
        writes.put(
            guard_item(mrn, patient.id), condition=NEW_ITEM, refusal=lambda: MrnTaken(country)
        )
        for key, system in guards.items():
            writes.put(
                guard_item(key, patient.id),
                condition=NEW_ITEM,
                refusal=lambda system=system: IdentifierTaken(system),  # type: ignore[misc]
            )
        for child in child_items(patient).values():
            writes.put(child)

    async def get(self, patient_id: str) -> Patient | None:
        item = await self._session.get(patient_key(patient_id))
        return None if item is None else patient_from_item(item)

    async def replace(self, patient: Patient, *, expected_version: int) -> bool:
        session = self._session
        stored_item = await session.get(patient_key(patient.id))
        if stored_item is None or stored_item.get("version") != expected_version:
            return False
        stored = patient_from_item(stored_item)
        old_guards, new_guards = identifier_guards(stored), identifier_guards(patient)
        for key, system in new_guards.items():
            if key in old_guards:
                continue
            owner = await session.get(key)
            if owner is not None and owner["patient_id"] != patient.id:
                raise IdentifierTaken(system)
        writes = session.writes
        writes.put(patient_item(patient), condition=version_is(expected_version))
        mine = Condition("patient_id = :me", {":me": patient.id})
        for key in old_guards.keys() - new_guards.keys():
            writes.delete(key, condition=mine)
        for key, system in new_guards.items():
            if key not in old_guards:
                writes.put(
                    guard_item(key, patient.id),
                    condition=NEW_ITEM,
                    refusal=lambda system=system: IdentifierTaken(system),  # type: ignore[misc]
                )
        old_children, new_children = child_items(stored), child_items(patient)
        for key in old_children.keys() - new_children.keys():
            writes.delete(key)
        for key, child in new_children.items():
            if key not in old_children:
                writes.put(child)
        return True

    async def reserve_mrn_numbers(self, country_id: str, count: int) -> int:
        # Inside the transaction, conditional on the value read: two units reserving in one
        # country at once cannot both commit; the loser's commit fails with a LostRace and
        # the use case runs again, reading the winner's value.
        key = mrn_counter(country_id)
        stored = await self._session.get(key)
        last = 0 if stored is None else as_int(stored["last_value"])
        self._counters_read.setdefault(country_id, last)
        counter: Item = {"PK": key[0], "SK": key[1], "kind": "mrn-counter"}
        counter["last_value"] = last + count
        seen = NEW_ITEM if stored is None else Condition("last_value = :seen", {":seen": last})
        self._session.writes.put(counter, condition=seen, refusal=MrnNumbersRaced)
        return last + 1

    async def _taken_mrn(self, country_id: str) -> Exception:
        """Why an MRN is taken: when this unit reserved it and the country's counter has
        moved since, a unit reserving at the same time committed it first (a LostRace,
        which the use case runs again); otherwise it is simply taken."""
        read = self._counters_read.get(country_id)
        if read is not None:
            stored = await self._session.table.get(
                key_of(*mrn_counter(country_id)), self._session.capacity
            )
            if (0 if stored is None else as_int(stored["last_value"])) != read:
                return MrnNumbersRaced()
        return MrnTaken(country_id)

    async def in_care_of(self, practitioner_id: str, patient_id: str) -> bool:
        return await self._session.get(care_key(practitioner_id, patient_id)) is not None

    async def add_care_relationship(self, practitioner_id: str, patient_id: str) -> bool:
        key = care_key(practitioner_id, patient_id)
        if await self._session.get(key) is not None:
            return False
        item: Item = {
            "PK": key[0],
            "SK": key[1],
            "kind": "care-relationship",
            "patient_id": patient_id,
            "GSI1PK": f"CARE#{practitioner_id}",
            "GSI1SK": patient_id,
        }
        # Two units adding it at once: the later commit finds it there, which is no error.
        self._session.writes.put(item)
        return True

    async def remove_care_relationship(self, practitioner_id: str, patient_id: str) -> bool:
        key = care_key(practitioner_id, patient_id)
        if await self._session.get(key) is None:
            return False
        self._session.writes.delete(key)
        return True

    async def search(
        self, criteria: PatientFilter, *, cursor: str | None, limit: int
    ) -> Page[Patient]:
        return await search_patients(self._session, criteria, cursor=cursor, limit=limit)
