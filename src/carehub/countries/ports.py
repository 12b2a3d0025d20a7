"""What the countries domain needs from storage."""

from __future__ import annotations

from typing import Protocol

from carehub.countries.model import Country
from carehub.kernel.unit_of_work import UnitOfWork


class CountryReader(Protocol):
    """Countries read by id or by ISO code, never written (what a lookup needs)."""

    async def get(self, country_id: str) -> Country | None: ...

    async def get_by_code(self, code: str) -> Country | None:
        """The first country by id with this ISO code (upper case); several may share it."""
        ...


class CountryRepository(CountryReader, Protocol):
    """Country records inside a unit of work."""

    async def add(self, country: Country) -> None:
        """Insert a new country; raises CountryTaken when its id exists (the store enforces
        it). Codes are not unique: a second record may share a code and its rule set."""
        ...

    async def replace(self, country: Country, *, expected_version: int) -> bool:
        """Store it if the stored version is still `expected_version`; False otherwise."""
        ...

    async def list_all(self) -> list[Country]:
        """Every country, by id (there are tens, not thousands)."""
        ...


class CountriesUnitOfWork(UnitOfWork, Protocol):
    @property
    def countries(self) -> CountryRepository: ...
