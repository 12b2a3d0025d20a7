"""The outbox relay on Lambda: the table's stream (`NEW_IMAGE`) → the stream-fed relay →
the broker.

Each batch's outbox inserts are decoded and relayed, each aggregate's events in order
(`carehub.events.stream_relay`). The answer names the records to deliver again by their
sequence numbers (the event source mapping has `ReportBatchItemFailures` on): Lambda
retries from the first of them. Records that can never be decoded are logged and left
behind, so they cannot hold the shard up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carehub.bootstrap import Carehub
from carehub.bootstrap.lambda_events import partial_batch_response, relay_from_stream_records
from carehub.entrypoints.aws.container import CONTAINER


def handler(event: Mapping[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """Relay a stream batch; the records to deliver again."""
    return CONTAINER.run(lambda carehub: relay(carehub, event))


async def relay(carehub: Carehub, event: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    stream_relay = carehub.events.stream_relay
    if stream_relay is None:
        raise ValueError("the stream function needs a dynamodb:// database")
    report = await relay_from_stream_records(event["Records"], stream_relay)
    return partial_batch_response(report)
