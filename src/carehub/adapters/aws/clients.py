"""One boto3 client per adapter, made on first use and called off the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from carehub.adapters.aws.errors import AwsFailure, aws_failure

T = TypeVar("T")

_STANDARD = Config(retries={"mode": "standard"})


def connector(
    service: str,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    config: Config | None = None,
) -> Callable[[], Any]:
    """A function that makes a `service` client: credentials from boto3's usual chain,
    "standard" retries, and `config` on top; `endpoint_url` points it at something other
    than AWS (MinIO, or a local emulator in tests)."""
    merged = _STANDARD if config is None else _STANDARD.merge(config)

    def connect() -> Any:
        session = boto3.session.Session(region_name=region)
        return session.client(service, endpoint_url=endpoint_url, config=merged)

    return connect


class LazyClient:
    """The boto3 client made by `connect` on first use (not before: building a client
    reads configuration), and again on the first use after `close`. Its blocking calls run
    on the default executor's threads, and its errors become `failure`s."""

    def __init__(
        self, connect: Callable[[], Any], *, service: str, failure: type[AwsFailure]
    ) -> None:
        self._connect = connect
        self._service = service
        self._failure = failure
        self._client: Any = None
        # Calls run on threads, and the first few may race to make the client.
        self._lock = threading.Lock()

    async def call(self, what: str, call: Callable[[Any], T]) -> T:
        """`call(client)` on a thread; a refusal or an unreachable service raises the
        failure, which names `what` was asked and AWS's error code, nothing more."""
        try:
            return await asyncio.to_thread(lambda: call(self._get()))
        except (ClientError, BotoCoreError) as exc:
            raise aws_failure(exc, self._failure, service=self._service, what=what) from None

    async def close(self) -> None:
        """Close the client's connections; a later call makes a new client."""
        await asyncio.to_thread(self._close)

    def _get(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()
