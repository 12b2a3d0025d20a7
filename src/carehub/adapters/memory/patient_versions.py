"""Every kept version of every patient record in memory
(`carehub.patients.ports.PatientVersions`)."""

from __future__ import annotations

from collections.abc import Sequence

from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.version_cursor import below_version, versions_below
from carehub.kernel.pagination import Page
from carehub.patients.model import Patient


class MemoryPatientVersions:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, patient: Patient) -> None:
        await self.add_many([patient])

    async def add_many(self, patients: Sequence[Patient]) -> None:
        kept = self._store.patient_versions
        for patient in patients:
            key = (patient.id, patient.version)
            if key in kept:
                # As SQL's primary key would: a version is kept once, never overwritten.
                raise RuntimeError("a patient version is kept once")
            kept[key] = patient

    async def get(self, patient_id: str, version: int) -> Patient | None:
        return self._store.patient_versions.get((patient_id, version))

    async def history(self, patient_id: str, *, cursor: str | None, limit: int) -> Page[Patient]:
        below = below_version(cursor)
        found = sorted(
            (
                patient
                for (kept_id, version), patient in self._store.patient_versions.items()
                if kept_id == patient_id and (below is None or version < below)
            ),
            key=lambda patient: patient.version,
            reverse=True,
        )
        items = found[:limit]
        more = len(found) > limit
        return Page(items, versions_below(items[-1].version) if more else None)
