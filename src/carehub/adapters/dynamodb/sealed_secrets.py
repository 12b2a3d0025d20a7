"""The start-up check that the configured key opens the secrets kept in the table (token
signing keys, webhook secrets), as `check_secret_key` does on SQL."""

from __future__ import annotations

from carehub.adapters.dynamodb.pages import index_items
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.signing_keys import DynamoSigningKeys
from carehub.adapters.dynamodb.table_client import DynamoTable
from carehub.adapters.sql.sealed_secrets import check_opens_every_secret
from carehub.kernel.secret_box import SecretBox


async def check_table_secret_key(table: DynamoTable, secrets: SecretBox) -> None:
    """Raise unless `secrets` opens every secret stored in `table` (a handful of signing
    keys and one item per webhook subscription: two bounded queries at start)."""
    stored = [key.sealed_private_pem for key in await DynamoSigningKeys(table).all()]
    subscriptions = await index_items(DynamoSession(table), "GSI1", "WEBHOOKS", limit=None)
    stored += [str(item["secret"]) for item in subscriptions]
    check_opens_every_secret(secrets, stored)
