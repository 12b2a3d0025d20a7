"""S3 object-created events, read from the SQS queue the bucket notifies.

Configured by a URL naming the queue, with options in the query:

    sqs://carehub-uploads?region=eu-west-1

- the host part is the queue's name (letters, digits, `-`, `_`; S3 cannot notify FIFO
  queues); its URL is looked up once, on first use.
- `region`: the queue's region (default: boto3's own lookup).

Credentials come from boto3's usual chain (environment, profile, task or instance role),
never from the URL. The bucket sends `s3:ObjectCreated:*` to the queue (directly, or through
SNS with or without raw delivery); only keys under the object store's prefix are carehub's,
and they reach the callback as the store names them, without that prefix.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from functools import partial
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

import orjson
import structlog

from carehub.adapters.aws.clients import LazyClient, connector
from carehub.adapters.aws.errors import AwsFailure
from carehub.kernel.errors import CarehubError

log = structlog.get_logger("carehub.storage_events")

_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
# Short, so that a stopping process is never held up for long by a poll in flight.
_WAIT_SECONDS = 2
_RECEIVE_BATCH = 10  # SQS's limit
_STALE_RECEIPT = frozenset({"ReceiptHandleIsInvalid", "MessageNotInflight"})


class StorageEventsFailed(AwsFailure):
    """SQS could not be reached, or refused the request."""


class _NotAnS3Event(ValueError):
    """A message body that is neither an S3 event nor S3's test event."""


class S3Notifications:
    """The object-created keys an S3 notification reports, completed one by one: read from
    an SQS message body (directly, or through SNS with or without raw delivery) or from the
    event S3 hands a Lambda, which has the same shape. Only keys under the object store's
    prefix are carehub's; they reach the callback without that prefix."""

    def __init__(self, key_prefix: str = "") -> None:
        prefix = key_prefix.strip("/")
        self._prefix = f"{prefix}/" if prefix else ""

    async def complete(
        self,
        notification: str | Mapping[str, Any],
        complete: Callable[[str], Awaitable[object]],
        *,
        message_id: str | None = None,
    ) -> int | None:
        """How many keys of the notification were completed (0 for one that is not an S3
        event: nothing will ever make it readable), or None when a completion failed and the
        notification should come again; `message_id` names it in the log."""
        try:
            keys = list(self._created_keys(notification))
        except _NotAnS3Event:
            log.warning("storage_events.unreadable_message", id=message_id)
            return 0
        for key in keys:
            try:
                await complete(key)
            except CarehubError as exc:
                # Final (rejected) or for the client to retry: another delivery won't help.
                # The detail may quote what the patient sent, so only the kind is logged.
                log.warning(
                    "storage_events.not_completed",
                    key=key,
                    kind=exc.kind,
                    error=type(exc).__name__,
                )
            except Exception as exc:
                log.error("storage_events.completion_failed", key=key, error=type(exc).__name__)
                return None
        return len(keys)

    def _created_keys(self, notification: str | Mapping[str, Any]) -> Iterator[str]:
        """The store's keys of the object-created records of a notification."""
        event = _loads(notification) if isinstance(notification, str) else notification
        if event.get("Type") == "Notification" and isinstance(event.get("Message"), str):
            # Through SNS without raw delivery: the S3 event is the notification's message.
            event = _loads(event["Message"])
        if event.get("Event") == "s3:TestEvent":
            # Sent once when the bucket's notifications are configured.
            return
        records = event.get("Records")
        if not isinstance(records, list):
            raise _NotAnS3Event()
        for record in records:
            try:
                name = str(record["eventName"])
                # S3 sends keys URL-encoded, with spaces as '+'.
                object_key = unquote_plus(str(record["s3"]["object"]["key"]))
            except (KeyError, TypeError):
                raise _NotAnS3Event() from None
            if name.startswith("ObjectCreated:") and object_key.startswith(self._prefix):
                yield object_key[len(self._prefix) :]


class S3EventQueue:
    """Reads the S3 events of one SQS queue, with one boto3 client made by `connect` on
    first use (not before: building a client reads configuration)."""

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        queue_name: str | None = None,
        queue_url: str | None = None,
        key_prefix: str = "",
        wait_seconds: int = _WAIT_SECONDS,
    ) -> None:
        if (queue_name is None) == (queue_url is None):
            raise ValueError("S3 events need exactly one of queue_name and queue_url")
        if queue_name is not None and not _QUEUE_NAME.fullmatch(queue_name):
            raise ValueError("SQS queue name must be 1-80 letters, digits, '-' or '_'")
        if not 0 <= wait_seconds <= 20:
            raise ValueError("SQS waits 0 to 20 seconds")
        self._notifications = S3Notifications(key_prefix)
        self._queue_name = queue_name
        self._queue_url = queue_url
        self._wait_seconds = wait_seconds
        self._client = LazyClient(connect, service="SQS", failure=StorageEventsFailed)

    async def drain(self, complete: Callable[[str], Awaitable[object]], *, limit: int = 10) -> int:
        """Receive up to `limit` messages (one short long poll) and `complete` every key S3
        reports created; returns how many keys were handed over and finished."""
        url = await self._url()
        reply = await self._client.call(
            "receive",
            lambda sqs: sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=max(1, min(limit, _RECEIVE_BATCH)),
                WaitTimeSeconds=self._wait_seconds,
            ),
        )
        handled = 0
        for message in reply.get("Messages", []):
            body, message_id = str(message.get("Body", "")), message.get("MessageId")
            done = await self._notifications.complete(body, complete, message_id=message_id)
            # None: a completion failed; the message comes again after its visibility timeout.
            if done is not None:
                handled += done
                await self._delete(url, str(message["ReceiptHandle"]))
        return handled

    async def close(self) -> None:
        """Close the client's connections; a later call makes a new client."""
        await self._client.close()

    async def _delete(self, url: str, receipt: str) -> None:
        try:
            await self._client.call(
                "delete", partial(_delete_message, queue_url=url, receipt=receipt)
            )
        except StorageEventsFailed as exc:
            if exc.aws_code not in _STALE_RECEIPT:
                raise
            # Its visibility timeout passed: it comes back, and completing again is harmless.
            log.warning("storage_events.stale_receipt")

    async def _url(self) -> str:
        if self._queue_url is None:
            name = self._queue_name
            found = await self._client.call("lookup", lambda sqs: sqs.get_queue_url(QueueName=name))
            self._queue_url = str(found["QueueUrl"])
        return self._queue_url


def s3_event_queue_from_url(
    url: str, *, endpoint_url: str | None = None, key_prefix: str = ""
) -> S3EventQueue:
    """S3 events from `sqs://queue-name?region=eu-west-1`, for the keys under `key_prefix`
    (the object store's prefix); `endpoint_url` points it at something other than AWS."""
    parts = urlsplit(url)
    if parts.scheme != "sqs":
        raise ValueError(f"S3 events URL scheme must be sqs, not {parts.scheme!r}")
    if "@" in parts.netloc:
        # Never echo it: it would be a secret.
        raise ValueError("SQS credentials come from boto3's chain, never from the URL")
    if not _QUEUE_NAME.fullmatch(parts.netloc) or parts.path.strip("/"):
        raise ValueError("S3 events URL needs an SQS queue name: sqs://queue-name")
    options = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(options) - {"region"}
    if unknown:
        raise ValueError(f"S3 events URL has unknown options: {sorted(unknown)}")
    if not all(options.values()):
        raise ValueError("S3 events URL has empty options")
    connect = connector("sqs", region=options.get("region"), endpoint_url=endpoint_url)
    return S3EventQueue(connect, queue_name=parts.netloc, key_prefix=key_prefix)


def _loads(body: str) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _NotAnS3Event() from None
    if not isinstance(value, dict):
        raise _NotAnS3Event()
    return value


def _delete_message(sqs: Any, *, queue_url: str, receipt: str) -> None:
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)
