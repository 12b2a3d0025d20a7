"""Country records in the table: the record item, a guard item per code, and the
`COUNTRIES` list in GSI1 (docs/dynamodb.md, "countries")."""

from __future__ import annotations

from carehub.adapters.dynamodb.items import Item, Key, record_data, record_item
from carehub.adapters.dynamodb.pages import index_items
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import NEW_ITEM, version_is
from carehub.adapters.sql.countries import country_from_row, country_row
from carehub.countries.errors import CountryTaken
from carehub.countries.model import Country

_KIND = "country"


def _key(country_id: str) -> Key:
    return (f"COUNTRY#{country_id}", "COUNTRY")


def _code_guard(code: str) -> Key:
    return (f"COUNTRY_CODE#{code}", "GUARD")


class DynamoCountryRepository:
    """The countries port over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def add(self, country: Country) -> None:
        # The store decides (a racing writer fails at commit); reading first only lets a
        # taken id or code answer now, as SQL's insert does.
        if await self._session.get(_key(country.id)) is not None:
            raise CountryTaken("countryId")
        guard = _code_guard(country.code)
        if await self._session.get(guard) is not None:
            raise CountryTaken("code")
        writes = self._session.writes
        writes.put(_item(country), condition=NEW_ITEM, refusal=lambda: CountryTaken("countryId"))
        guard_item = {"PK": guard[0], "SK": guard[1], "kind": "country-code", "id": country.id}
        writes.put(guard_item, condition=NEW_ITEM, refusal=lambda: CountryTaken("code"))

    async def get(self, country_id: str) -> Country | None:
        item = await self._session.get(_key(country_id))
        return None if item is None else _country(item)

    async def get_by_code(self, code: str) -> Country | None:
        guard = await self._session.get(_code_guard(code))
        return None if guard is None else await self.get(guard["id"])

    async def replace(self, country: Country, *, expected_version: int) -> bool:
        stored = await self._session.get(_key(country.id))
        if stored is None or stored.get("version") != expected_version:
            return False
        self._session.writes.put(_item(country), condition=version_is(expected_version))
        return True

    async def list_all(self) -> list[Country]:
        items = await index_items(self._session, "GSI1", "COUNTRIES", limit=None)
        return [_country(item) for item in items]


def _item(country: Country) -> Item:
    return record_item(
        _key(country.id),
        kind=_KIND,
        data=country_row(country),
        version=country.version,
        indexes={"GSI1PK": "COUNTRIES", "GSI1SK": country.id},
    )


def _country(item: Item) -> Country:
    return country_from_row(record_data(item))
