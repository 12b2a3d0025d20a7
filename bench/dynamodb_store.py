"""The DynamoDB the bench serves from: a moto server in its own process
(`bench.moto_server`), the environment that points carehub at it, and a count of the
events the relay has yet to publish."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from carehub.adapters.dynamodb.outbox import OUTBOX_SHARDS, outbox_shard
from carehub.adapters.dynamodb.url import parse_dynamodb_url

HOST = "127.0.0.1"
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
    """`bench.moto_server` on a free port until the block ends."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen([sys.executable, "-m", "bench.moto_server", str(port)])
    try:
        _wait_listening(port, process)
        yield MotoDynamoDb(f"http://{HOST}:{port}", f"dynamodb://{TABLE}?region={REGION}")
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("bench.moto_server exited")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("bench.moto_server did not start within 30 s")
