"""Country use cases: admins add and change countries; every signed-in user reads them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from carehub.countries.codes import normalise_code
from carehub.countries.errors import CountryTaken
from carehub.countries.events import CountryChanged
from carehub.countries.lookup import find_country
from carehub.countries.model import Country, check_assigned_code, check_country, profile_for
from carehub.countries.ports import CountriesUnitOfWork
from carehub.countries.rules import NotificationText, SchedulingRules
from carehub.countries.rulesets import SHIPPED
from carehub.kernel.access_gate import AccessGate
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.errors import FieldError, Forbidden, Invalid, PreconditionFailed


@dataclass(frozen=True, kw_only=True)
class CountrySettings:
    """What a client may set on a country; None keeps the current value (or, for a new
    country, the default of its code's rule set)."""

    name: str | None = None
    time_zones: tuple[str, ...] | None = None
    locale: str | None = None
    rules: Callable[[SchedulingRules], SchedulingRules] | None = None
    texts: Mapping[str, Mapping[str, NotificationText]] | None = None
    closed_dates: tuple[date, ...] | None = None


class CountryService:
    """Adding, changing, reading and listing countries."""

    def __init__(self, uow_factory: Callable[[], CountriesUnitOfWork], clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._gate = AccessGate(clock, "country")

    async def create(
        self, *, actor: Actor, country_id: str | None, code: str, settings: CountrySettings
    ) -> Country:
        """Add a country; what the body leaves out comes from its code's rule set."""
        _check_admin(actor)
        now = self._clock.now()
        code = normalise_code(code)
        # Before its rule set is looked up, which only takes a well-formed code.
        check_assigned_code(code)
        profile = profile_for(code)
        country = Country(
            id=country_id or code,
            code=code,
            name=settings.name or profile.name,
            time_zones=settings.time_zones or profile.time_zones,
            locale=settings.locale or profile.locale,
            rules=settings.rules(profile.rules) if settings.rules else profile.rules,
            texts=settings.texts or {},
            closed_dates=settings.closed_dates or (),
            created_at=now,
            updated_at=now,
        )
        check_country(country)
        async with self._uow() as uow:
            await uow.countries.add(country)
            uow.record(_changed(country, actor))
            uow.audit(self._gate.record(actor, "country.create", None, country.id))
            await uow.commit()
        return country

    async def load_shipped(self, *, actor: Actor) -> list[Country]:
        """Add a country record for each shipped rule set that has none with its code as
        id (named as in the rule set); records that exist are left as they are."""
        _check_admin(actor)
        added = []
        for rules in SHIPPED:
            profile, code = rules.profile(), rules.code
            now = self._clock.now()
            country = Country(
                id=code,
                code=code,
                name=profile.name,
                time_zones=profile.time_zones,
                locale=profile.locale,
                rules=profile.rules,
                created_at=now,
                updated_at=now,
            )
            # One unit per country: a loader racing another skips what the other added.
            async with self._uow() as uow:
                if await uow.countries.get(code) is not None:
                    continue
                try:
                    await uow.countries.add(country)
                except CountryTaken:
                    continue
                uow.record(_changed(country, actor))
                uow.audit(self._gate.record(actor, "country.create", None, country.id))
                await uow.commit()
            added.append(country)
        return added

    async def get(self, *, country_id: str) -> Country:
        """One country, by its id or its ISO code."""
        async with self._uow() as uow:
            return await find_country(uow.countries, country_id)

    async def list_all(self) -> list[Country]:
        """Every country."""
        async with self._uow() as uow:
            return await uow.countries.list_all()

    async def revise(
        self, *, actor: Actor, country_id: str, settings: CountrySettings, if_version: int
    ) -> Country:
        """Change a country's settings if the client saw the current version."""
        _check_admin(actor)
        now = self._clock.now()
        async with self._uow() as uow:
            current = await find_country(uow.countries, country_id)
            if current.version != if_version:
                raise _stale(country_id)
            texts = dict(current.texts)
            for locale, keys in (settings.texts or {}).items():
                texts[locale] = {**texts.get(locale, {}), **keys}
            revised = replace(
                current,
                name=settings.name or current.name,
                time_zones=settings.time_zones or current.time_zones,
                locale=settings.locale or current.locale,
                rules=settings.rules(current.rules) if settings.rules else current.rules,
                texts=texts,
                closed_dates=(
                    current.closed_dates if settings.closed_dates is None else settings.closed_dates
                ),
                version=current.version + 1,
                updated_at=now,
            )
            check_country(revised)
            if not await uow.countries.replace(revised, expected_version=if_version):
                raise _stale(country_id)
            uow.record(_changed(revised, actor))
            uow.audit(self._gate.record(actor, "country.update", None, country_id))
            await uow.commit()
        return revised


def rules_change(**fields: object) -> Callable[[SchedulingRules], SchedulingRules]:
    """A change to some rule fields; bad values become a 422 naming the field."""

    def apply(rules: SchedulingRules) -> SchedulingRules:
        try:
            return replace(rules, **fields)  # type: ignore[arg-type]
        except ValueError as exc:
            raise Invalid(
                "The scheduling rules are not valid", errors=[FieldError("rules", str(exc))]
            ) from exc

    return apply


def _check_admin(actor: Actor) -> None:
    if not actor.unrestricted:
        raise Forbidden("Only admins add or change countries")


def _changed(country: Country, actor: Actor) -> CountryChanged:
    return CountryChanged(
        aggregate_id=country.id,
        occurred_at=country.updated_at,
        actor_id=actor.id,
        version=country.version,
    )


def _stale(country_id: str) -> PreconditionFailed:
    return PreconditionFailed(f"Country {country_id} was changed by someone else; read it again")
