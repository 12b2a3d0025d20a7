"""The DynamoDB the bench serves from: a moto server in its own process
(`tests.support.moto_process`), the environment that points carehub at it, and a count of the
events the relay has yet to publish."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from tests.support.moto import moto_process

from carehub.adapters.dynamodb.outbox import OUTBOX_SHARDS, outbox_shard
from carehub.adapters.dynamodb.url import parse_dynamodb_url

RESULTS = Path(__file__).parent / "results"
REGION = "us-east-1"
TABLE = "carehub-bench"
# moto takes any credentials; boto3 needs some.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}


@dataclass(frozen=True)
class MotoDynamoDb:
    """A running moto server: carehub's database URL on it and the environment to reach it."""

    endpoint: str
    url: str

    @property
    def env(self) -> dict[str, str]:
        return {
            **CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            "CAREHUB_AWS_ENDPOINT_URL": self.endpoint,
        }

    def unpublished(self) -> int:
        """Events in the outbox the relay has not published yet (its sparse index)."""
        client = self._client()
        table = parse_dynamodb_url(self.url).table
        return sum(
            int(
                client.query(
                    TableName=table,
                    IndexName="GSI1",
                    KeyConditionExpression="GSI1PK = :pk",
                    ExpressionAttributeValues={":pk": {"S": outbox_shard(shard)}},
                    Select="COUNT",
                )["Count"]
            )
            for shard in range(OUTBOX_SHARDS)
        )

    def _client(self) -> Any:
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )


@contextmanager
def moto_dynamodb() -> Iterator[MotoDynamoDb]:
    """The tests' moto server (`tests.support.moto_process`, with the same changes to moto)
    until the block ends; its output goes to `bench/results/moto.log`."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    with moto_process(RESULTS / "moto.log") as endpoint:
        yield MotoDynamoDb(endpoint, f"dynamodb://{TABLE}?region={REGION}")
