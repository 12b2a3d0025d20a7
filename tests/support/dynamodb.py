"""A fresh carehub table on the session's moto server, made as `carehub db upgrade` makes it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from carehub.adapters.dynamodb.table import create_or_update_table
from carehub.adapters.dynamodb.table_client import DynamoTable
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
