"""The metadata (with its naming convention) and the column types every table uses."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

Json = sa.JSON().with_variant(JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def search_key(length: int) -> sa.types.TypeEngine[str]:
    """Text compared by code point on every backend, so `prefix <= k < prefix+U+10FFFF`
    is exactly a prefix match (PostgreSQL's locale collations would break that)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")
