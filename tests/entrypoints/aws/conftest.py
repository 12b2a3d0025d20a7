"""A Lambda container's environment on the session's moto server: a fresh table, topics
and queues under a prefix of their own, a bucket; the container is reset after each test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from carehub.adapters.dynamodb.url import parse_dynamodb_url
from carehub.entrypoints.aws import http
from carehub.entrypoints.aws.container import CONTAINER
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.support.dynamodb import new_table
from tests.support.moto import REGION, aws_client

PUBLIC_URL = "https://api.clinic.example"


@dataclass(frozen=True)
class LambdaWorld:
    endpoint: str
    table: str
    bucket: str
    prefix: str


@pytest.fixture
def lambda_world(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[LambdaWorld]:
    url = new_table(moto_endpoint)
    bucket = f"carehub-files-{uuid.uuid4().hex[:12]}"
    aws_client("s3", moto_endpoint).create_bucket(Bucket=bucket)
    prefix = f"carehub-lambda-{uuid.uuid4().hex[:10]}"
    environment = {
        "AWS_ACCESS_KEY_ID": "testing",  # moto accepts any credentials
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "CAREHUB_DATABASE_URL": url,
        "CAREHUB_AWS_ENDPOINT_URL": moto_endpoint,
        "CAREHUB_OUTBOX_RELAY": "stream",
        "CAREHUB_BROKER_URL": f"sqs://?region={REGION}",
        "CAREHUB_BROKER_PREFIX": prefix,
        "CAREHUB_STORAGE_URL": f"s3://{bucket}/carehub?region={REGION}",
        "CAREHUB_DATA_DIR": str(tmp_path),
        "CAREHUB_PUBLIC_URL": PUBLIC_URL,
        "CAREHUB_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "CAREHUB_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    table = parse_dynamodb_url(url).table
    try:
        yield LambdaWorld(moto_endpoint, table, bucket, prefix)
    finally:
        http.reset()
        CONTAINER.reset()
        aws_client("dynamodb", moto_endpoint).delete_table(TableName=table)
