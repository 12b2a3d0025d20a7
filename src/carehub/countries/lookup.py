"""Finding a country by the key clients send, for this domain and every domain that reads
countries: its id, or else its ISO code (seed 001 names countries both ways)."""

from __future__ import annotations

from carehub.countries.errors import CountryNotFound
from carehub.countries.model import Country
from carehub.countries.ports import CountryReader


async def find_country(countries: CountryReader, key: str) -> Country:
    """A country by id, or else by ISO code; CountryNotFound when neither names one."""
    country = await countries.get(key)
    if country is None and len(key) == 2:
        country = await countries.get_by_code(key.upper())
    if country is None:
        raise CountryNotFound(key)
    return country
