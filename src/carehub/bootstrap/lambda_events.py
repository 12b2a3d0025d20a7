"""What the Lambda entry points read with the AWS adapters: a consumer's queued messages,
S3's object-created notifications and the table's stream records, decoded exactly as the
broker, the storage-events queue and the stream reader decode them. Importing this module
connects to nothing."""

from __future__ import annotations

from urllib.parse import urlsplit

from carehub.adapters.blob.s3_events import S3Notifications
from carehub.adapters.broker.sns_sqs import UnreadableMessage, queued_delivery
from carehub.adapters.dynamodb.outbox_stream import (
    partial_batch_response,
    relay_from_stream_records,
)
from carehub.config import Settings

__all__ = [
    "UnreadableMessage",
    "partial_batch_response",
    "queued_delivery",
    "relay_from_stream_records",
    "s3_notifications",
]


def s3_notifications(settings: Settings) -> S3Notifications:
    """Reads S3 notifications for the keys of the object store `CAREHUB_STORAGE_URL` names."""
    return S3Notifications(urlsplit(settings.storage_url).path)
