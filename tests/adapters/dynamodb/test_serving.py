"""carehub served from a `dynamodb://` URL: the CLI's schema check, the start-up secret key
check and the readiness check, on the table."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from carehub.adapters.dynamodb.table_client import DynamoDbFailed
from carehub.bootstrap import build, schema_status, upgrade_database
from carehub.config import Settings
from carehub.kernel.secret_box import WrongSecretKey
from tests.support.moto import REGION, aws_client

pytestmark = pytest.mark.aws

OTHER_KEY = SecretStr(base64.b64encode(b"another-secret-key-of-32-bytes!!").decode())


@pytest.fixture
def dynamodb(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return aws_client("dynamodb", moto_endpoint)


@pytest.fixture
def settings(dynamodb: Any, moto_endpoint: str, tmp_path: Path) -> Iterator[Settings]:
    name = f"carehub-{uuid.uuid4().hex[:12]}"
    yield Settings(
        database_url=f"dynamodb://{name}?region={REGION}",
        aws_endpoint_url=moto_endpoint,
        data_dir=tmp_path,
    )
    if name in dynamodb.list_tables()["TableNames"]:
        dynamodb.delete_table(TableName=name)


def test_the_table_is_up_to_date_once_upgraded(settings: Settings) -> None:
    before = schema_status(settings)
    assert (before.current, before.up_to_date) == (None, False)
    upgrade_database(settings)
    after = schema_status(settings)
    assert (after.current, after.up_to_date) == ("one table with GSI1, GSI2, GSI3", True)


def test_a_table_missing_an_index_is_not_up_to_date(settings: Settings, dynamodb: Any) -> None:
    upgrade_database(settings)
    name = settings.resolved_database_url.removeprefix("dynamodb://").split("?")[0]
    dynamodb.update_table(
        TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "GSI3"}}]
    )
    status = schema_status(settings)
    assert (status.current, status.up_to_date) == ("one table with GSI1, GSI2", False)


@pytest.fixture
def upgraded(settings: Settings) -> Settings:
    """`settings` once `carehub db upgrade` made their table."""
    upgrade_database(settings)
    return settings


async def test_carehub_serves_from_the_table_and_another_key_stops_it(upgraded: Settings) -> None:
    settings = upgraded
    carehub = await build(settings)
    try:
        await carehub.check_ready()
        await carehub.identity.sessions.tokens.rotate()
    finally:
        await carehub.close()

    wrong = settings.model_copy(update={"secret_key": OTHER_KEY})
    with pytest.raises(WrongSecretKey, match="does not open the secrets stored"):
        await build(wrong)


async def test_readiness_fails_without_the_table(upgraded: Settings, dynamodb: Any) -> None:
    settings = upgraded
    carehub = await build(settings)
    try:
        name = settings.resolved_database_url.removeprefix("dynamodb://").split("?")[0]
        dynamodb.delete_table(TableName=name)
        with pytest.raises(DynamoDbFailed):
            await carehub.check_ready()
    finally:
        await carehub.close()


def test_demo_data_loads_in_transactions_the_table_takes(
    upgraded: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from carehub.entrypoints.cli.main import app

    monkeypatch.setenv("CAREHUB_DATABASE_URL", upgraded.resolved_database_url)
    monkeypatch.setenv("CAREHUB_AWS_ENDPOINT_URL", str(upgraded.aws_endpoint_url))
    monkeypatch.setenv("CAREHUB_DATA_DIR", str(upgraded.data_dir))
    result = CliRunner().invoke(app, ["demo", "--patients", "5"])
    assert result.exit_code == 0, result.output
    assert "created 5 demo patients" in result.output
