"""Upload completion on Lambda: S3's object-created events, straight from the bucket or
through an SQS queue, complete uploads as the storage-events loop does.

Straight from S3 (an asynchronous invocation) the event is `{"Records": [S3 records]}`: a
completion that fails raises, and Lambda invokes again. Through SQS each record's body is
such an event (or an SNS notification wrapping one); a record whose completion failed is
reported in `batchItemFailures` and comes again. An upload rejected by its checks, or one
already settled, is final and never retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carehub.bootstrap import Carehub
from carehub.bootstrap.lambda_events import s3_notifications
from carehub.entrypoints.aws.container import CONTAINER


class CompletionFailed(Exception):
    """An upload could not be completed now (the store or S3 failed); Lambda tries again."""


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Complete the uploads an S3 event (or an SQS batch of them) reports stored."""
    return CONTAINER.run(lambda carehub: complete_stored(carehub, event))


async def complete_stored(carehub: Carehub, event: Mapping[str, Any]) -> dict[str, Any]:
    notifications = s3_notifications(carehub.settings)
    uploads = carehub.uploads

    async def complete(key: str) -> object:
        return await uploads.complete_stored(key=key)

    records = event.get("Records") or []
    if not all(record.get("eventSource") == "aws:sqs" for record in records):
        if await notifications.complete(event, complete) is None:
            raise CompletionFailed("an upload could not be completed; S3's event comes again")
        return {}
    failed = []
    for record in records:
        message_id = str(record["messageId"])
        body = str(record["body"])
        if await notifications.complete(body, complete, message_id=message_id) is None:
            failed.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failed}
