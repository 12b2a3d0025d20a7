"""S3 object-created events on a moto server: a bucket notifying an SQS queue, read by the
S3 event queue, which hands each carehub key to the completion callback.

Like S3, moto sends an s3:TestEvent when the notification is configured (so every test's
first drain also meets one) and URL-encodes keys in its events ('+' for spaces).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest

from carehub.adapters.blob.s3 import S3ObjectStore, s3_object_store_from_url
from carehub.adapters.blob.s3_events import (
    S3EventQueue,
    StorageEventsFailed,
    s3_event_queue_from_url,
)
from carehub.documents.errors import UploadRejected
from carehub.kernel.errors import Conflict
from tests.support.moto import aws_client

pytestmark = pytest.mark.aws

PREFIX = "clinic/a"
VISIBILITY_SECONDS = 1


def new_key(name: str = "original.pdf") -> str:
    return f"patients/{uuid.uuid4().hex}/originals/docs/lab/{uuid.uuid4()}-{name}"


@dataclass
class Setup:
    endpoint: str
    bucket: str
    queue_name: str
    queue_url: str

    def put(self, name: str, data: bytes = b"%PDF-1.7") -> None:
        aws_client("s3", self.endpoint).put_object(Bucket=self.bucket, Key=name, Body=data)

    def send(self, body: str) -> None:
        aws_client("sqs", self.endpoint).send_message(QueueUrl=self.queue_url, MessageBody=body)

    def waiting(self) -> int:
        """Messages visible or in flight in the queue."""
        attributes = aws_client("sqs", self.endpoint).get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def receive(self) -> list[dict[str, Any]]:
        reply = aws_client("sqs", self.endpoint).receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        )
        return list(reply.get("Messages", []))


@pytest.fixture
def setup(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Setup:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    name = f"carehub-{uuid.uuid4().hex[:12]}"
    sqs = aws_client("sqs", moto_endpoint)
    queue_url = sqs.create_queue(
        QueueName=name, Attributes={"VisibilityTimeout": str(VISIBILITY_SECONDS)}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3 = aws_client("s3", moto_endpoint)
    s3.create_bucket(Bucket=name)
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    return Setup(moto_endpoint, name, name, queue_url)


@pytest.fixture
async def events(setup: Setup) -> AsyncIterator[S3EventQueue]:
    queue = s3_event_queue_from_url(
        f"sqs://{setup.queue_name}?region=us-east-1",
        endpoint_url=setup.endpoint,
        key_prefix=PREFIX,
    )
    try:
        yield queue
    finally:
        await queue.close()


@pytest.fixture
async def store(setup: Setup) -> AsyncIterator[S3ObjectStore]:
    s3 = s3_object_store_from_url(f"s3://{setup.bucket}/{PREFIX}", endpoint_url=setup.endpoint)
    try:
        yield s3
    finally:
        await s3.close()


class Completions:
    """The completion callback: records every key, and raises what it is told to."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.keys: list[str] = []
        self.failure = failure

    async def __call__(self, key: str) -> None:
        self.keys.append(key)
        if self.failure is not None:
            raise self.failure


async def test_created_objects_are_completed_by_their_carehub_key(
    setup: Setup, events: S3EventQueue, store: S3ObjectStore
) -> None:
    put_key, form_key = new_key(), new_key()
    setup.put(f"{PREFIX}/{put_key}")
    form = await store.presign_upload(
        key=form_key,
        content_type="application/pdf",
        max_bytes=100,
        expires_in=timedelta(minutes=15),
    )
    async with httpx.AsyncClient() as client:
        response = await client.post(
            form.url,
            data=dict(form.fields),
            files={"file": ("r.pdf", b"%PDF-1.7", "application/pdf")},
        )
    assert response.status_code == 204
    completed = Completions()

    handled = await events.drain(completed)

    assert sorted(completed.keys) == sorted([put_key, form_key])
    assert handled == 2
    assert setup.waiting() == 0
    assert setup.receive() == []


async def test_keys_with_spaces_and_unicode_arrive_decoded(
    setup: Setup, events: S3EventQueue
) -> None:
    key = new_key("lab résumé + notes (1).pdf")
    setup.put(f"{PREFIX}/{key}")
    completed = Completions()

    await events.drain(completed)

    assert completed.keys == [key]
    assert setup.waiting() == 0


async def test_keys_encoded_as_s3_encodes_them_are_decoded(
    setup: Setup, events: S3EventQueue
) -> None:
    key = new_key("lab résumé + notes.pdf")
    setup.send(s3_event("ObjectCreated:Post", quote_plus(f"{PREFIX}/{key}", safe="/")))
    completed = Completions()

    assert await events.drain(completed) == 1

    assert completed.keys == [key]
    assert setup.waiting() == 0


async def test_keys_outside_the_prefix_and_other_events_are_ignored(
    setup: Setup, events: S3EventQueue
) -> None:
    setup.put(f"other/{new_key()}")
    setup.put(f"{PREFIX}-b/{new_key()}")
    setup.send(s3_event("ObjectRemoved:Delete", f"{PREFIX}/{new_key()}"))
    completed = Completions()

    assert await events.drain(completed) == 0

    assert completed.keys == []
    assert setup.waiting() == 0


async def test_the_test_event_and_junk_are_deleted_without_completing(
    setup: Setup, events: S3EventQueue
) -> None:
    for body in (
        json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": setup.bucket}),
        "not json",
        "[1, 2]",
        json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]}),
        json.dumps({"hello": "world"}),
    ):
        setup.send(body)
    completed = Completions()

    assert await events.drain(completed) == 0

    assert completed.keys == []
    assert setup.waiting() == 0


async def test_events_through_sns_are_unwrapped(setup: Setup, events: S3EventQueue) -> None:
    key = new_key()
    setup.send(
        json.dumps(
            {"Type": "Notification", "Message": s3_event("ObjectCreated:Put", f"{PREFIX}/{key}")}
        )
    )
    completed = Completions()

    assert await events.drain(completed) == 1

    assert completed.keys == [key]


@pytest.mark.parametrize(
    "refusal",
    [UploadRejected("type_mismatch", "not a PDF"), Conflict("The upload URL expired")],
    ids=["rejected", "conflict"],
)
async def test_a_refused_completion_still_deletes_the_message(
    setup: Setup, events: S3EventQueue, refusal: Exception
) -> None:
    key = new_key()
    setup.put(f"{PREFIX}/{key}")
    completed = Completions(failure=refusal)

    assert await events.drain(completed) == 1

    assert completed.keys == [key]
    assert setup.waiting() == 0


async def test_an_unexpected_failure_leaves_the_message_to_come_back(
    setup: Setup, events: S3EventQueue
) -> None:
    failing, later = new_key(), new_key()
    setup.put(f"{PREFIX}/{failing}")
    completed = Completions(failure=RuntimeError("database down"))

    assert await events.drain(completed) == 0
    assert completed.keys == [failing]
    setup.put(f"{PREFIX}/{later}")

    await asyncio.sleep(VISIBILITY_SECONDS + 0.5)
    recovered = Completions()
    assert await events.drain(recovered) == 2

    assert sorted(recovered.keys) == sorted([failing, later])
    assert setup.waiting() == 0


async def test_one_failing_message_does_not_hold_up_the_next(
    setup: Setup, events: S3EventQueue
) -> None:
    failing, fine = new_key(), new_key()
    setup.put(f"{PREFIX}/{failing}")
    setup.put(f"{PREFIX}/{fine}")
    seen: list[str] = []

    async def complete(key: str) -> None:
        seen.append(key)
        if key == failing:
            raise RuntimeError("database down")

    assert await events.drain(complete) == 1

    assert sorted(seen) == sorted([failing, fine])
    assert setup.waiting() == 1


async def test_a_missing_queue_is_a_clear_failure(setup: Setup) -> None:
    queue = s3_event_queue_from_url(
        "sqs://no-such-queue?region=us-east-1", endpoint_url=setup.endpoint
    )

    with pytest.raises(StorageEventsFailed) as failed:
        await queue.drain(Completions())
    await queue.close()

    assert failed.value.aws_code is not None
    assert "no-such-queue" not in str(failed.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://bucket", "scheme must be sqs"),
        ("sqs://AKIA:secret@queue", "never from the URL"),
        ("sqs://", "queue name"),
        ("sqs://queue.fifo", "queue name"),
        ("sqs://queue/extra", "queue name"),
        ("sqs://queue?colour=red", "unknown options"),
        ("sqs://queue?region=", "empty options"),
    ],
)
def test_bad_urls_are_refused_without_echoing_secrets(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        s3_event_queue_from_url(url)

    assert "secret" not in str(refused.value)


def s3_event(name: str, encoded_key: str) -> str:
    """An S3 event notification of one record, its key already encoded as S3 encodes it."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": name,
        "s3": {"bucket": {"name": "b"}, "object": {"key": encoded_key, "size": 8}},
    }
    return json.dumps({"Records": [record]})
