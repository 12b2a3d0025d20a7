"""One moto server for the whole test session, shared by every test that talks to AWS."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest

from tests.support.services import unavailable

REGION = "us-east-1"


def serialise_dynamodb_requests() -> None:
    """Make moto's DynamoDB answer one request at a time, and a transaction sent again with
    its `ClientRequestToken` answer as the first did.

    moto's server handles each request on its own thread, and its DynamoDB checks a
    transaction's conditions and then applies its writes with no lock between: two
    transactions writing the same item can both pass their conditions, which DynamoDB never
    allows (a transaction is atomic and isolated). Serialising requests gives the emulator
    that guarantee, so a race test proves the adapter's conditions, not moto's gaps.

    botocore sends a `TransactWriteItems` again, with the same token, when the first answer
    is late (a read timeout); DynamoDB then answers success without writing twice. moto
    ignores the token and applies the writes again, whose conditions now fail: under load a
    committed booking would come back refused.
    """
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler, "_carehub_serialised", False):
        return
    lock = threading.Lock()
    call_action = DynamoHandler.call_action
    committed = CommittedTransactions()

    def one_at_a_time(self: Any) -> Any:
        with lock:
            replay = committed.replay(self)
            if replay is not None:
                return replay
            answer = call_action(self)
            committed.remember(self, answer)
            return answer

    DynamoHandler.call_action = one_at_a_time  # type: ignore[method-assign]
    DynamoHandler._carehub_serialised = True  # type: ignore[attr-defined]


class CommittedTransactions:
    """The answers of committed `TransactWriteItems` by client token, for ten minutes (as
    DynamoDB keeps them); callers hold the serialising lock."""

    WINDOW = 600.0

    def __init__(self) -> None:
        self._answers: dict[str, tuple[float, Any]] = {}

    def replay(self, handler: Any) -> Any:
        token = self._token(handler)
        if token is None:
            return None
        self._forget_old()
        kept = self._answers.get(token)
        return None if kept is None else kept[1]

    def remember(self, handler: Any, answer: Any) -> None:
        token = self._token(handler)
        if token is not None and answer[0] == 200:
            self._answers[token] = (time.monotonic(), answer)

    @staticmethod
    def _token(handler: Any) -> str | None:
        if handler._get_action() != "TransactWriteItems":
            return None
        body = handler.body if isinstance(handler.body, dict) else json.loads(handler.body)
        token = body.get("ClientRequestToken")
        return token if isinstance(token, str) else None

    def _forget_old(self) -> None:
        horizon = time.monotonic() - self.WINDOW
        for token in [t for t, (at, _) in self._answers.items() if at < horizon]:
            del self._answers[token]


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
