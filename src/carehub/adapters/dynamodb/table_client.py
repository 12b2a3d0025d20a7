"""The table's calls: consistent reads, queries and transactions, each counting the
capacity it consumed (`ReturnConsumedCapacity=TOTAL`; on an emulator, what DynamoDB would
bill: see `capacity_meter`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from carehub.adapters.aws.clients import LazyClient, connector
from carehub.adapters.aws.errors import AwsFailure, aws_error_code
from carehub.adapters.dynamodb.capacity_meter import CapacityMeter, reported_units
from carehub.adapters.dynamodb.items import Item, from_wire, to_wire
from carehub.kernel.tracing import NO_TRACING, Tracing


class DynamoDbFailed(AwsFailure):
    """DynamoDB could not be reached, or refused a request."""


@dataclass
class Capacity:
    """Capacity units consumed by one unit of work's calls."""

    read_units: float = 0.0
    write_units: float = 0.0
    calls: int = 0

    def count(self, response: dict[str, Any], *, writes: bool) -> None:
        units = reported_units(response)
        if writes:
            self.write_units += units
        else:
            self.read_units += units
        self.calls += 1


# Why a transaction was cancelled, one entry per item in the order sent ("None" when that
# item was fine); the codes DynamoDB documents, e.g. "ConditionalCheckFailed".
CancellationCodes = list[str]
_BATCH_WRITE = 25  # BatchWriteItem's limit
_SINGLE_WRITES = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}


class DynamoTable:
    """carehub's table through one lazily made, thread-called boto3 client."""

    def __init__(self, name: str, client: LazyClient) -> None:
        self.name = name
        self._client = client
        self._tracing: Tracing = NO_TRACING

    def trace_with(self, tracing: Tracing) -> None:
        """Run each call inside the current span in a span of its own (its operation and
        the table's name, never keys or items)."""
        self._tracing = tracing

    @classmethod
    def connect(cls, name: str, *, region: str | None, endpoint_url: str | None) -> DynamoTable:
        # A unit of work's reads are on the request's path: fail fast rather than hang.
        config = Config(connect_timeout=5, read_timeout=10)
        make = connector("dynamodb", region=region, endpoint_url=endpoint_url, config=config)
        # An emulator reports placeholder capacity: there the meter bills by DynamoDB's rules.
        meter = CapacityMeter(billed_by="dynamodb" if endpoint_url is None else "rules")
        client = LazyClient(
            lambda: meter.instrument(make()), service="DynamoDB", failure=DynamoDbFailed
        )
        return cls(name, client)

    async def get(self, key: dict[str, str], capacity: Capacity) -> Item | None:
        """The item with this key, read consistently; None when there is none."""
        request = {
            "TableName": self.name,
            "Key": to_wire(key),
            "ConsistentRead": True,
            "ReturnConsumedCapacity": "TOTAL",
        }
        response = await self._call("read", "GetItem", lambda c: c.get_item(**request))
        capacity.count(response, writes=False)
        found = response.get("Item")
        return None if found is None else from_wire(found)

    async def get_many(
        self, keys: Sequence[dict[str, str]], capacity: Capacity
    ) -> dict[tuple[str, str], Item]:
        """The items with these keys (at most 100), read consistently in one
        `BatchGetItem`, by (PK, SK); keys with no item are left out."""
        pending: dict[str, Any] = {
            self.name: {"Keys": [to_wire(key) for key in keys], "ConsistentRead": True}
        }
        found: dict[tuple[str, str], Item] = {}
        while pending:
            asked = {"RequestItems": pending, "ReturnConsumedCapacity": "TOTAL"}
            response = await self._call("read", "BatchGetItem", partial(_batch_get, asked=asked))
            capacity.count(response, writes=False)
            for wire in response.get("Responses", {}).get(self.name, []):
                item = from_wire(wire)
                found[(item["PK"], item["SK"])] = item
            # Keys DynamoDB did not get to (throttling, 16 MB) are asked again.
            pending = response.get("UnprocessedKeys") or {}
        return found

    async def query(
        self, capacity: Capacity, **params: Any
    ) -> tuple[list[Item], dict[str, Any] | None]:
        """One page of a `Query` (`params` as boto3 takes them, values already in wire form);
        the items and the `LastEvaluatedKey` (None on the last page)."""
        request = {"TableName": self.name, "ReturnConsumedCapacity": "TOTAL", **params}
        response = await self._call("query", "Query", lambda c: c.query(**request))
        capacity.count(response, writes=False)
        items = [from_wire(found) for found in response.get("Items", [])]
        return items, response.get("LastEvaluatedKey")

    async def write(self, action: str, request: dict[str, Any], capacity: Capacity) -> bool:
        """One conditional `PutItem`, `UpdateItem` or `DeleteItem` (`action` as a transaction
        names it, `request` as the call takes it); False when its condition failed."""
        method = _SINGLE_WRITES[action]
        failed: list[bool] = []

        def send(client: Any) -> dict[str, Any]:
            try:
                response: dict[str, Any] = getattr(client, method)(
                    **request, ReturnConsumedCapacity="TOTAL"
                )
            except ClientError as exc:
                # An answer, as a transaction's cancellation is, not a failure.
                if aws_error_code(exc) != "ConditionalCheckFailedException":
                    raise
                failed.append(True)
                return {}
            return response

        response = await self._call("write", f"{action}Item", send)
        capacity.count(response, writes=True)
        return not failed

    async def put_many(self, items: Sequence[Item], capacity: Capacity) -> None:
        """Put the items, unconditionally and not as one transaction, in `BatchWriteItem`s
        of 25 sent together; items DynamoDB leaves unprocessed are sent again."""
        await self._write_many(
            [{"PutRequest": {"Item": to_wire(item)}} for item in items], capacity
        )

    async def delete_many(self, keys: Sequence[dict[str, str]], capacity: Capacity) -> None:
        """Delete the items with these keys as `put_many` puts them (maintenance: not in a
        unit's transaction)."""
        await self._write_many([{"DeleteRequest": {"Key": to_wire(key)}} for key in keys], capacity)

    async def _write_many(self, requests: Sequence[dict[str, Any]], capacity: Capacity) -> None:
        starts = range(0, len(requests), _BATCH_WRITE)
        chunks = [requests[start : start + _BATCH_WRITE] for start in starts]
        await asyncio.gather(*(self._write_chunk(chunk, capacity) for chunk in chunks))

    async def _write_chunk(self, requests: Sequence[dict[str, Any]], capacity: Capacity) -> None:
        pending: dict[str, Any] = {self.name: list(requests)}
        while pending:
            asked = {"RequestItems": pending, "ReturnConsumedCapacity": "TOTAL"}
            response = await self._call(
                "write", "BatchWriteItem", partial(_batch_write, asked=asked)
            )
            capacity.count(response, writes=True)
            pending = response.get("UnprocessedItems") or {}

    async def transact(
        self, actions: Sequence[dict[str, Any]], capacity: Capacity
    ) -> CancellationCodes | None:
        """Send one `TransactWriteItems`; None when it committed, else why each item was
        cancelled (so the caller can name the condition that failed)."""
        request = {"TransactItems": list(actions), "ReturnConsumedCapacity": "TOTAL"}
        outcome: list[CancellationCodes] = []

        def send(client: Any) -> dict[str, Any]:
            try:
                response: dict[str, Any] = client.transact_write_items(**request)
            except ClientError as exc:
                # A cancellation is an answer, not a failure: keep its reasons, which the
                # client's error mapping would drop.
                if aws_error_code(exc) != "TransactionCanceledException":
                    raise
                outcome.append(_cancellation_codes(exc, len(actions)))
                return {}
            return response

        response = await self._call("transaction", "TransactWriteItems", send)
        capacity.count(response, writes=True)
        return outcome[0] if outcome else None

    async def ping(self) -> None:
        """Raise `DynamoDbFailed` unless the table answers (the readiness check)."""
        await self._client.call("ping", lambda c: c.describe_table(TableName=self.name))

    async def call(self, what: str, call: Callable[[Any], Any]) -> Any:
        """Any other call on the client (maintenance: creating the table)."""
        return await self._call(what, what, call)

    async def close(self) -> None:
        await self._client.close()

    async def _call(self, what: str, operation: str, call: Callable[[Any], Any]) -> Any:
        if not self._tracing.enabled:
            return await self._client.call(what, call)
        attributes = {
            "db.system.name": "aws.dynamodb",
            "db.operation.name": operation,
            "db.collection.name": self.name,
        }
        with self._tracing.child(f"DynamoDB.{operation}", attributes):
            return await self._client.call(what, call)


def _batch_get(client: Any, *, asked: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = client.batch_get_item(**asked)
    return response


def _batch_write(client: Any, *, asked: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = client.batch_write_item(**asked)
    return response


def _cancellation_codes(exc: ClientError, count: int) -> CancellationCodes:
    reasons = exc.response.get("CancellationReasons")
    if reasons:
        return [str(reason.get("Code", "None")) for reason in reasons]
    # Some emulators give the reasons only in the message: "... reasons [A, None, B]".
    message = str(exc.response.get("Error", {}).get("Message", ""))
    start, end = message.rfind("["), message.rfind("]")
    if 0 <= start < end:
        codes = [code.strip() for code in message[start + 1 : end].split(",")]
        if len(codes) == count:
            return codes
    return ["Unknown"] * count
