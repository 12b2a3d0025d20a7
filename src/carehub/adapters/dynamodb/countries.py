"""Country records in the table: the record item, listed in GSI1 (`COUNTRIES`) and, by
code, in GSI2 (several records may share a code; docs/dynamodb.md, "countries")."""

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


def _by_code(code: str) -> str:
    return f"COUNTRY_CODE#{code}"


class DynamoCountryRepository:
    """The countries port over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def add(self, country: Country) -> None:
        # The store decides (a racing writer fails at commit); reading first only lets a
        # taken id answer now, as SQL's insert does.
        if await self._session.get(_key(country.id)) is not None:
            raise CountryTaken()
        self._session.writes.put(_item(country), condition=NEW_ITEM, refusal=CountryTaken)

    async def get(self, country_id: str) -> Country | None:
        item = await self._session.get(_key(country_id))
        return None if item is None else _country(item)

    async def get_by_code(self, code: str) -> Country | None:
        """The first record (by id) carrying the code, this unit's own writes included (a
        code has a handful of records: all are read)."""
        stored = await index_items(self._session, "GSI2", _by_code(code), limit=None)
        found = {item["PK"]: item for item in stored}
        for pk, item in self._session.writes.written("COUNTRY").items():
            found.pop(pk, None)
            if item is not None and item.get("GSI2PK") == _by_code(code):
                found[pk] = item
        first = min(found.values(), key=lambda item: str(item["GSI2SK"]), default=None)
        return None if first is None else _country(first)

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
        indexes={
            "GSI1PK": "COUNTRIES",
            "GSI1SK": country.id,
            "GSI2PK": _by_code(country.code),
            "GSI2SK": country.id,
        },
    )


def _country(item: Item) -> Country:
    return country_from_row(record_data(item))


class DynamoCountryDirectory:
    """The patients domain's `CountryDirectory` port over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def exists(self, country_id: str) -> bool:
        return await self._session.get(_key(country_id)) is not None
