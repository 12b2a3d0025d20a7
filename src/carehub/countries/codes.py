"""Which two-letter codes are countries: ISO 3166-1 alpha-2 codes that are assigned today,
from the maintained list `pycountry` ships (reserved and user-assigned codes like ZZ are
not countries)."""

from __future__ import annotations

import functools

import pycountry


def normalise_code(code: str) -> str:
    """The canonical (upper-case) spelling of a code a client sent: `cl` names Chile."""
    return code.strip().upper()


def is_assigned_code(code: str) -> bool:
    """Whether `code` (upper case) is an assigned ISO 3166-1 alpha-2 country code."""
    return code in _assigned()


@functools.cache
def _assigned() -> frozenset[str]:
    # Read once, on first use: importing this module loads nothing.
    return frozenset(country.alpha_2 for country in pycountry.countries)


def code_of(text: str) -> str | None:
    """The assigned alpha-2 code a country is written as: its alpha-2 or alpha-3 code (any
    case, as FHIR addresses may give it) or its English short name; None otherwise."""
    written = text.strip()
    if len(written) == 2:
        code = normalise_code(written)
        return code if is_assigned_code(code) else None
    return _by_alpha_3().get(written.upper()) or _by_name().get(written.casefold())


def name_of(code: str) -> str | None:
    """The English short name of an assigned alpha-2 code."""
    return _names().get(code)


@functools.cache
def _by_alpha_3() -> dict[str, str]:
    return {country.alpha_3: country.alpha_2 for country in pycountry.countries}


@functools.cache
def _by_name() -> dict[str, str]:
    return {country.name.casefold(): country.alpha_2 for country in pycountry.countries}


@functools.cache
def _names() -> dict[str, str]:
    return {country.alpha_2: country.name for country in pycountry.countries}
