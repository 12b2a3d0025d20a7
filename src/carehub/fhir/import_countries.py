"""Which carehub country an imported record belongs to: the one the caller forces, else the
one whose ISO code its address names (alpha-2, alpha-3 or the English name, as FHIR allows).
A code no country has yet gets one, made from carehub's rule set for the code, once the
whole bundle has been read (countries are written first)."""

from __future__ import annotations

from contextlib import suppress

from carehub.countries.codes import code_of, name_of
from carehub.countries.errors import CountryNotFound, CountryTaken
from carehub.countries.service import CountryService, CountrySettings
from carehub.kernel.actor import Actor
from carehub.kernel.errors import FieldError, Invalid


class ImportCountries:
    """The countries of one import, looked up once per code."""

    def __init__(self, service: CountryService, forced: str | None, actor: Actor) -> None:
        self._service = service
        self._forced = forced
        self._actor = actor
        self._by_code: dict[str, str] = {}
        self._missing: set[str] = set()

    @property
    def forced(self) -> str | None:
        """The country every record goes to, when the caller chose one."""
        return self._forced

    async def check_forced(self) -> None:
        """A forced country must exist (NotFound otherwise): it is the caller's choice."""
        if self._forced is not None:
            self._forced = (await self._service.get(country_id=self._forced)).id

    async def country_of(self, written: str | None, field: str) -> str:
        """The id of the country a record with this address country belongs to (the
        forced one, if any); Invalid naming `field` when there is none to choose."""
        if self._forced is not None:
            return self._forced
        code = None if written is None else code_of(written)
        if code is None:
            message = "names no country" if written else "is needed to choose a carehub country"
            raise Invalid(
                "The record's country cannot be chosen", errors=[FieldError(field, message)]
            )
        if code not in self._by_code:
            try:
                self._by_code[code] = (await self._service.get(country_id=code)).id
            except CountryNotFound:
                # Created under its code as id, as the countries use case does without one.
                self._by_code[code] = code
                self._missing.add(code)
        return self._by_code[code]

    async def create_missing(self, service: CountryService) -> None:
        """Add a country for every code no country had, from its rule set, through
        `service` (the one the writes go through)."""
        for code in sorted(self._missing):
            settings = CountrySettings(name=name_of(code))
            # Another import (or an operator) may add it meanwhile: it serves as well.
            with suppress(CountryTaken):
                await service.create(
                    actor=self._actor, country_id=None, code=code, settings=settings
                )
            self._missing.discard(code)
