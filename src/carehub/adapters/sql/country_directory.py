"""The patients domain's reader of country records: whether one exists."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.database import Session, Statement
from carehub.adapters.sql.tables import countries

_EXISTS = Statement(sa.select(sa.literal(1)).where(countries.c.id == sa.bindparam("id")))


class SqlCountryDirectory:
    """The patients domain's `CountryDirectory` port over a SQL session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def exists(self, country_id: str) -> bool:
        return await self._session.fetch_one(_EXISTS, {"id": country_id}) is not None
