"""The secrets kept in SQL tables (token signing keys, webhook secrets): sealing those
stored in plain text before sealing existed, and checking at start that the configured key
opens them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from carehub.adapters.sql.database import Database, Statement
from carehub.adapters.sql.tables import signing_keys, webhook_subscriptions
from carehub.kernel.secret_box import SecretBox, WrongSecretKey


class SecretsInPlainText(Exception):
    """Rows written before secrets were sealed, still waiting for `carehub db upgrade`."""


@dataclass(frozen=True)
class _SecretColumn:
    select: Statement
    seal: Statement


def _secret_column(table: sa.Table, key: str, secret: str) -> _SecretColumn:
    key_column, secret_column = table.c[key], table.c[secret]
    return _SecretColumn(
        Statement(sa.select(key_column.label("key"), secret_column.label("secret"))),
        # Guarded by the old value, so a row changed meanwhile is left to the next run.
        Statement(
            sa.update(table)
            .where(key_column == sa.bindparam("b_key"), secret_column == sa.bindparam("b_old"))
            .values({secret: sa.bindparam("sealed")})
        ),
    )


_SECRET_COLUMNS = (
    _secret_column(signing_keys, "kid", "private_pem"),
    _secret_column(webhook_subscriptions, "id", "secret"),
)


async def seal_plaintext_secrets(db: Database, secrets: SecretBox) -> int:
    """Seal every secret still stored in plain text, in one transaction; how many."""
    sealed = 0
    async with db.session() as session:
        await session.begin()
        for column in _SECRET_COLUMNS:
            for row in await session.fetch_all(column.select):
                if secrets.is_sealed(row["secret"]):
                    continue
                params = {
                    "b_key": row["key"],
                    "b_old": row["secret"],
                    "sealed": secrets.seal(row["secret"]),
                }
                sealed += await session.execute(column.seal, params)
        await session.commit()
    return sealed


async def check_secret_key(db: Database, secrets: SecretBox) -> None:
    """Raise unless `secrets` opens every stored secret: a wrong key stops carehub at start
    instead of failing each sign-in and webhook delivery later."""
    async with db.session() as session:
        stored = [
            row["secret"]
            for column in _SECRET_COLUMNS
            for row in await session.fetch_all(column.select)
        ]
    check_opens_every_secret(secrets, stored)


def check_opens_every_secret(secrets: SecretBox, stored: Iterable[str]) -> None:
    """Raise unless `secrets` opens each of the `stored` secrets (`WrongSecretKey`) and
    none is in plain text (`SecretsInPlainText`); any store's start-up check."""
    plain = 0
    for secret in stored:
        if not secrets.is_sealed(secret):
            plain += 1
            continue
        try:
            secrets.open(secret)
        except WrongSecretKey as exc:
            raise WrongSecretKey(
                "the secret key (CAREHUB_SECRET_KEY, or else <data_dir>/secret.key) "
                "does not open the secrets stored in the database: start carehub "
                "with the key that sealed them"
            ) from exc
    if plain:
        raise SecretsInPlainText(
            f"{plain} secrets are stored in plain text: run `carehub db upgrade` to seal them"
        )
