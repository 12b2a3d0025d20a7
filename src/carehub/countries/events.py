"""What the countries domain tells the others: events with ids and versions only."""

from __future__ import annotations

from dataclasses import dataclass

from typing_extensions import TypedDict

from carehub.kernel.events import DomainEvent


class CountryPayload(TypedDict):
    countryId: str
    version: int


@dataclass(frozen=True, kw_only=True)
class CountryChanged(DomainEvent):
    """A country was added or its settings (zones, locale, rules, texts) changed."""

    event_type = "countries.country_changed.v1"
    version: int

    def payload(self) -> CountryPayload:
        return {"countryId": self.aggregate_id, "version": self.version}
