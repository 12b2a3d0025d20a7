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
