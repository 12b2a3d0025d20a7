"""Country records in SQL (SQLite and PostgreSQL), one code path."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from carehub.adapters.sql.database import (
    Row,
    Session,
    Statement,
    UniqueViolation,
    as_datetime,
    insert_into,
    versioned_update,
    versioned_update_params,
)
from carehub.adapters.sql.scheduling_json import (
    dumps,
    loads,
    rules_from,
    rules_json,
    texts_from,
    texts_json,
)
from carehub.adapters.sql.tables import countries
from carehub.countries.errors import CountryTaken
from carehub.countries.model import Country

_INSERT = insert_into(countries, generated=())
_SELECT = sa.select(countries)
_GET = Statement(_SELECT.where(countries.c.id == sa.bindparam("id")))
_GET_BY_CODE = Statement(
    _SELECT.where(countries.c.code == sa.bindparam("code")).order_by(countries.c.id).limit(1)
)
_ALL = Statement(_SELECT.order_by(countries.c.id))
_UPDATE = versioned_update(countries)


class SqlCountryRepository:
    """The countries port over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, country: Country) -> None:
        try:
            await self._session.execute(_INSERT, country_row(country))
        except UniqueViolation as exc:
            raise CountryTaken() from exc

    async def get(self, country_id: str) -> Country | None:
        row = await self._session.fetch_one(_GET, {"id": country_id})
        return None if row is None else country_from_row(row)

    async def get_by_code(self, code: str) -> Country | None:
        row = await self._session.fetch_one(_GET_BY_CODE, {"code": code})
        return None if row is None else country_from_row(row)

    async def replace(self, country: Country, *, expected_version: int) -> bool:
        params = versioned_update_params(country_row(country), expected_version)
        return await self._session.execute(_UPDATE, params) == 1

    async def list_all(self) -> list[Country]:
        return [country_from_row(row) for row in await self._session.fetch_all(_ALL)]


def country_row(country: Country) -> dict[str, Any]:
    return {
        "id": country.id,
        "code": country.code,
        "name": country.name,
        "time_zones": dumps(list(country.time_zones)),
        "locale": country.locale,
        "rules": dumps(rules_json(country.rules)),
        "texts": dumps(texts_json(country.texts)),
        "closed_dates": dumps([d.isoformat() for d in country.closed_dates]),
        "version": country.version,
        "created_at": country.created_at,
        "updated_at": country.updated_at,
    }


def country_from_row(row: Row) -> Country:
    return Country(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        time_zones=tuple(loads(row["time_zones"])),
        locale=row["locale"],
        rules=rules_from(row["rules"]),
        texts=texts_from(row["texts"]),
        closed_dates=tuple(date.fromisoformat(d) for d in loads(row["closed_dates"])),
        version=row["version"],
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
    )
