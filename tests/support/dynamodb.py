"""A fresh carehub table on the session's moto server, made as `carehub db upgrade` makes it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from carehub.adapters.dynamodb.table import create_or_update_table
from carehub.adapters.dynamodb.table_client import DynamoTable
from carehub.adapters.dynamodb.url import parse_dynamodb_url
from carehub.bootstrap import connect_dynamodb
from carehub.config import Settings
from tests.support.moto import REGION, aws_client


@asynccontextmanager
async def fresh_table(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[DynamoTable]:
    """A new table (a unique name per test) on the moto server; deleted afterwards."""
    endpoint: str = request.getfixturevalue("moto_endpoint")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    name = f"carehub-{uuid.uuid4().hex[:12]}"
    client = aws_client("dynamodb", endpoint)
    create_or_update_table(client, name)
    settings = Settings(
        database_url=f"dynamodb://{name}?region={REGION}", aws_endpoint_url=endpoint
    )
    table = connect_dynamodb(settings)
    try:
        yield table
    finally:
        await table.close()
        client.delete_table(TableName=name)


def new_table(endpoint: str) -> str:
    """A carehub table of a unique name on the moto server (as `carehub db upgrade` makes
    it), for a server that outlives one test; its `dynamodb://` URL."""
    name = f"carehub-{uuid.uuid4().hex[:12]}"
    create_or_update_table(aws_client("dynamodb", endpoint), name)
    return f"dynamodb://{name}?region={REGION}"


# What emptying keeps, as `empty_sqlite` keeps the users, their sessions and the signing
# keys: the server's bootstrap admin and its token live on from test to test.
_KEPT = ("USER#", "EMAIL#", "PATIENT_LINK#", "ADMINS", "SESSION#", "SIGNING_KEYS")


def empty_table(endpoint: str, url: str) -> None:
    """Delete the items of the table but those `_KEPT`: a maintenance Scan, which only test
    support does (a table deleted and made again would fail the running server's loops)."""
    client = aws_client("dynamodb", endpoint)
    name = parse_dynamodb_url(url).table
    for page in client.get_paginator("scan").paginate(
        TableName=name, ProjectionExpression="PK, SK"
    ):
        keys = [key for key in page.get("Items", []) if not key["PK"]["S"].startswith(_KEPT)]
        for start in range(0, len(keys), 25):  # BatchWriteItem takes 25 at most
            deletes = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
            pending: dict[str, Any] = {name: deletes}
            while pending:
                pending = client.batch_write_item(RequestItems=pending)["UnprocessedItems"]
