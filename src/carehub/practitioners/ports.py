"""What the practitioners domain needs from storage."""

from __future__ import annotations

from typing import Protocol

from carehub.countries.ports import CountryReader
from carehub.kernel.pagination import Page
from carehub.kernel.unit_of_work import UnitOfWork
from carehub.practitioners.model import Doctor


class DoctorReader(Protocol):
    """Doctors read by id, never written (what a lookup needs)."""

    async def get(self, doctor_id: str) -> Doctor | None: ...


class DoctorRepository(DoctorReader, Protocol):
    """Doctor records inside a unit of work."""

    async def add(self, doctor: Doctor) -> None:
        """Insert a new doctor; raises DoctorIdTaken when the id exists."""
        ...

    async def replace(self, doctor: Doctor, *, expected_version: int) -> bool:
        """Store it if the stored version is still `expected_version`; False otherwise."""
        ...

    async def list_by_country(
        self, country_id: str, *, specialty_key: str | None, cursor: str | None, limit: int
    ) -> Page[Doctor]:
        """Active doctors of a country (and specialty), by id, one page at a time."""
        ...

    async def find_by_license(self, license: str) -> Doctor | None:
        """The doctor holding this license, active or not (the first by id, should several:
        the store does not make licenses unique). Served by an index; on a store whose
        indexes lag (DynamoDB), a doctor added a moment ago may not be found yet."""
        ...


class PractitionersUnitOfWork(UnitOfWork, Protocol):
    @property
    def doctors(self) -> DoctorRepository: ...

    @property
    def countries(self) -> CountryReader:
        """Read-only: doctors are checked against their country, never change it."""
        ...
