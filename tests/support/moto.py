"""One moto server for the whole test session, shared by every test that talks to AWS."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest

from tests.support.services import unavailable

REGION = "us-east-1"


def serialise_dynamodb_requests() -> None:
    """Make moto's DynamoDB answer one request at a time.

    moto's server handles each request on its own thread, and its DynamoDB checks a
    transaction's conditions and then applies its writes with no lock between: two
    transactions writing the same item can both pass their conditions, which DynamoDB never
    allows (a transaction is atomic and isolated). Serialising requests gives the emulator
    that guarantee, so a race test proves the adapter's conditions, not moto's gaps.
    """
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler, "_carehub_serialised", False):
        return
    lock = threading.Lock()
    call_action = DynamoHandler.call_action

    def one_at_a_time(self: Any) -> Any:
        with lock:
            return call_action(self)

    DynamoHandler.call_action = one_at_a_time  # type: ignore[method-assign]
    DynamoHandler._carehub_serialised = True  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free loopback port, for the whole session."""
    try:
        from moto.server import ThreadedMotoServer

        serialise_dynamodb_requests()

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        # start() waits forever when the server thread dies, so wait for it with a limit.
        starter = threading.Thread(target=server.start, daemon=True)
        starter.start()
        starter.join(timeout=15)
        if starter.is_alive():
            raise TimeoutError("moto did not start within 15 s")
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        httpx.get(f"{endpoint}/moto-api/data.json", timeout=5).raise_for_status()
    except Exception as exc:
        unavailable("moto server", exc)
        raise
    yield endpoint
    server.stop()


def aws_client(service: str, endpoint: str) -> Any:
    """A boto3 client for one service of the moto server."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",  # moto accepts any credentials
        aws_secret_access_key="testing",
    )
