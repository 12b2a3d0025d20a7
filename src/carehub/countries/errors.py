"""Errors of the countries domain."""

from __future__ import annotations

from carehub.kernel.errors import Conflict, NotFound


class CountryNotFound(NotFound):
    def __init__(self, country_id: str) -> None:
        super().__init__(f"Country {country_id} does not exist")
        self.country_id = country_id


class CountryTaken(Conflict):
    def __init__(self, field: str) -> None:
        what = "code" if field == "code" else "id"
        super().__init__(f"A country with this {what} exists already")
        self.field = field
