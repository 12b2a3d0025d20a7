"""Errors of the countries domain."""

from __future__ import annotations

from carehub.kernel.errors import Conflict, NotFound


class CountryNotFound(NotFound):
    def __init__(self, country_id: str) -> None:
        super().__init__(f"Country {country_id} does not exist")
        self.country_id = country_id


class CountryTaken(Conflict):
    """A country id is taken (codes are shared: several records may carry one code)."""

    def __init__(self) -> None:
        super().__init__("A country with this id exists already")
        self.field = "countryId"
