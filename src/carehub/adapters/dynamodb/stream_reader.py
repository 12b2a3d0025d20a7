"""A reader of the table's stream feeding the stream-fed relay, for a local emulator (moto,
DynamoDB Local) and tests; in AWS a Lambda reads the stream instead (docs/dynamodb.md,
"Outbox and relay").

It reads as Lambda's event source mapping does: each shard from the oldest record the
stream keeps (`TRIM_HORIZON`, so events committed while no reader ran go out when one
starts; those published already are found so and skipped), a child shard only once its
parent is read to its end (after a partition split an aggregate's older events are in the
parent), and a batch with failed records read again from the first of them that may yet be
relayed, after a pause (a record that does not decode is logged and read past).
Positions live in this process only. Only the holder of the relay lease reads, so the
processes that each run a reader read the stream once between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Mapping
from typing import Any

from botocore.config import Config

from carehub.adapters.aws.clients import LazyClient, connector
from carehub.adapters.dynamodb.outbox_stream import relay_from_stream_records
from carehub.adapters.dynamodb.table_client import DynamoDbFailed, DynamoTable
from carehub.events.lease import RelayLease
from carehub.events.stream_relay import StreamRelay

log = logging.getLogger("carehub.dynamodb.stream_reader")

# Where a shard's next read starts: an iterator type and, for the two that need one, a
# sequence number.
_Start = tuple[str, str | None]
_OLDEST: _Start = ("TRIM_HORIZON", None)


class TableStreamReader:
    """Reads the table's stream while it holds the relay lease, relaying every batch."""

    def __init__(
        self,
        table: DynamoTable,
        streams: LazyClient,
        relay: StreamRelay,
        lease: RelayLease,
        *,
        batch_size: int = 1000,
        idle_seconds: float = 0.5,
        max_pause_seconds: float = 10.0,
        rediscover_seconds: float = 60.0,
    ) -> None:
        self._table = table
        self._streams = streams
        self._relay = relay
        self._lease = lease
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._max_pause = max_pause_seconds
        self._rediscover_seconds = rediscover_seconds
        self._arn: str | None = None
        self._parents: dict[str, str | None] = {}  # every shard listed, with its parent
        self._finished: set[str] = set()  # shards read to their end
        self._starts: dict[str, _Start] = {}
        self._iterators: dict[str, str] = {}
        self._rediscover_at = 0.0
        self._failures = 0

    @classmethod
    def connect(
        cls,
        table: DynamoTable,
        relay: StreamRelay,
        lease: RelayLease,
        *,
        region: str | None,
        endpoint_url: str | None,
    ) -> TableStreamReader:
        """A reader with its own `dynamodbstreams` client (made on first use)."""
        config = Config(connect_timeout=5, read_timeout=10)
        make = connector("dynamodbstreams", region=region, endpoint_url=endpoint_url, config=config)
        streams = LazyClient(make, service="DynamoDB Streams", failure=DynamoDbFailed)
        return cls(table, streams, relay, lease)

    async def run(self, stopping: asyncio.Event) -> None:
        """Read and relay until `stopping` is set; then step down and close the client."""
        try:
            while not stopping.is_set():
                try:
                    read = await self.step() if await self._lease.held() else 0
                except Exception:
                    log.exception("reading the table's stream failed")
                    self._failures += 1
                    read = 0
                if self._failures:
                    await _rest(stopping, min(self._max_pause, 0.2 * 2 ** min(self._failures, 10)))
                elif not read:
                    idle = self._idle_seconds if self._lease.leading else self._lease.seconds / 3
                    await _rest(stopping, idle)
        finally:
            await self._lease.release()
            await self._streams.close()

    async def step(self) -> int:
        """Read one batch from every shard that may be read now and relay it; how many
        records were read (failed ones are read again at the next step)."""
        loop = asyncio.get_running_loop()
        if self._arn is None or loop.time() >= self._rediscover_at:
            await self._discover()
            self._rediscover_at = loop.time() + self._rediscover_seconds
        read, failed = 0, False
        for shard in readable_shards(self._parents, self._finished):
            count, shard_failed = await self._read(shard)
            read += count
            failed = failed or shard_failed
        self._failures = self._failures + 1 if failed else 0
        return read

    async def _read(self, shard: str) -> tuple[int, bool]:
        """Read and relay one batch of the shard; how many records, and whether some failed."""
        # Taken out until the read succeeds: a failed call makes a new one where it stood.
        iterator = self._iterators.pop(shard, None) or await self._iterator(shard)
        request = {"ShardIterator": iterator, "Limit": self._batch_size}
        response = await self._streams.call("stream read", lambda c: c.get_records(**request))
        records: list[dict[str, Any]] = response.get("Records", [])
        report = await relay_from_stream_records(records, self._relay)
        # As a Lambda's answer does, this leaves a record that does not decode behind.
        retry = report.to_deliver_again
        if retry:
            self._starts[shard] = ("AT_SEQUENCE_NUMBER", min(retry, key=int))
            return len(records), True
        if records:
            last = records[-1]["dynamodb"]["SequenceNumber"]
            self._starts[shard] = ("AFTER_SEQUENCE_NUMBER", last)
        following = response.get("NextShardIterator")
        if following is None:  # a closed shard read to its end: its children may start
            self._finished.add(shard)
            self._rediscover_at = 0.0
        else:
            self._iterators[shard] = following
        return len(records), False

    async def _iterator(self, shard: str) -> str:
        kind, sequence = self._starts.get(shard, _OLDEST)
        request: dict[str, Any] = {"StreamArn": self._arn, "ShardId": shard}
        request["ShardIteratorType"] = kind
        if sequence is not None:
            request["SequenceNumber"] = sequence
        response = await self._streams.call(
            "stream iterator", lambda c: c.get_shard_iterator(**request)
        )
        iterator: str = response["ShardIterator"]
        return iterator

    async def _discover(self) -> None:
        """Find the table's stream (once) and list its shards."""
        if self._arn is None:
            name = self._table.name
            described = await self._table.call(
                "describe", lambda c: c.describe_table(TableName=name)
            )
            arn = described["Table"].get("LatestStreamArn")
            if not arn:
                raise RuntimeError("the table has no stream: run `carehub db upgrade`")
            self._arn = arn
        parents: dict[str, str | None] = {}
        after: str | None = None
        while True:
            description = await self._describe(after)
            for shard in description.get("Shards", []):
                parents[shard["ShardId"]] = shard.get("ParentShardId")
            after = description.get("LastEvaluatedShardId")
            if not after:
                break
        self._parents = parents

    async def _describe(self, after: str | None) -> dict[str, Any]:
        """One page of the stream's shards, those after the shard `after`."""
        request: dict[str, Any] = {"StreamArn": self._arn}
        if after is not None:
            request["ExclusiveStartShardId"] = after
        response = await self._streams.call(
            "stream description", lambda c: c.describe_stream(**request)
        )
        description: dict[str, Any] = response["StreamDescription"]
        return description


def readable_shards(parents: Mapping[str, str | None], finished: Collection[str]) -> list[str]:
    """The shards to read now: not read to their end, and with no parent still to read (a
    parent the stream no longer lists was trimmed, so there is nothing left in it)."""
    return [
        shard
        for shard, parent in parents.items()
        if shard not in finished and (parent is None or parent in finished or parent not in parents)
    ]


async def _rest(stopping: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
