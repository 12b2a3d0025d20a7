"""The shared AWS client: made once on first use, its options merged onto standard retries,
and boto3's errors told as the adapter's failure with only the AWS code."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from carehub.adapters.aws.clients import LazyClient, connector
from carehub.adapters.aws.errors import AwsFailure


class Failed(AwsFailure):
    """The failure of the adapter under test."""


class _Client:
    """Stands in for a boto3 client: it only remembers being closed."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def refusal(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "PutObject")


def test_a_connector_keeps_standard_retries_under_the_adapters_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    connect = connector(
        "s3",
        region="eu-west-1",
        endpoint_url="http://127.0.0.1:9",
        config=Config(signature_version="s3v4", max_pool_connections=32),
    )

    client = connect()

    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url == "http://127.0.0.1:9"
    assert client.meta.config.retries == {"mode": "standard"}
    assert client.meta.config.signature_version == "s3v4"
    assert client.meta.config.max_pool_connections == 32
    client.close()


async def test_one_client_for_concurrent_calls_and_a_new_one_after_close() -> None:
    made: list[_Client] = []

    def connect() -> _Client:
        made.append(_Client())
        return made[-1]

    lazy = LazyClient(connect, service="S3", failure=Failed)
    assert made == []

    await asyncio.gather(*(lazy.call("read", lambda client: client) for _ in range(10)))
    assert len(made) == 1
    await lazy.close()
    await lazy.close()
    assert await lazy.call("read", lambda client: client) is made[1]
    assert [client.closed for client in made] == [True, False]


async def test_a_refusal_keeps_the_code_but_not_the_message() -> None:
    lazy = LazyClient(_Client, service="S3", failure=Failed)

    def refuse(client: Any) -> None:
        raise refusal("AccessDenied", "no access to patients/p-1/file.pdf")

    with pytest.raises(Failed) as failed:
        await lazy.call("write", refuse)

    assert failed.value.aws_code == "AccessDenied"
    assert str(failed.value) == "S3 refused the write: AccessDenied"
    assert failed.value.__suppress_context__


async def test_an_unreachable_service_names_only_the_kind_of_error() -> None:
    lazy = LazyClient(_Client, service="SNS", failure=Failed)

    def unreachable(client: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9/?to=+51987654321")

    with pytest.raises(Failed) as failed:
        await lazy.call("SMS", unreachable)

    assert failed.value.aws_code is None
    assert str(failed.value) == "SNS not reachable: EndpointConnectionError"
