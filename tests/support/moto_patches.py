"""What the test moto server changes in moto: DynamoDB's isolation, which moto lacks, and
the costs that grow with the session, which make a long run crawl.

Applied once, in the process that serves moto (`tests.support.moto_process`).
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import threading
import time
from typing import Any


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


class _TablesKeptInPlace:
    """`copy` as moto's DynamoDB backend module sees it: a table is "copied" as itself,
    anything else as usual. The module deep-copies only items (`update_item`) and, before
    each action of a transaction, the whole table, to put it back if the transaction is
    cancelled; `undo_cancelled_transactions_item_by_item` puts back the touched items
    instead."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def undo_cancelled_transactions_item_by_item() -> None:
    """Undo a cancelled transaction by putting back the items it touched, not a copy of the
    whole table.

    moto deep-copies the whole table once per action of every transaction, stream records
    included, and its table stream keeps a record of every write ever made: a transaction
    costs more with each write before it, and a long run slows to seconds a request. Kept
    here: only the touched items (as they were) and the stream's length, restored when the
    transaction fails, so a cancelled transaction still leaves neither items nor stream
    records behind, as on DynamoDB.
    """
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_carehub_item_undo", False):
        return
    transact_write_items = DynamoDBBackend.transact_write_items

    @functools.wraps(transact_write_items)
    def undone_item_by_item(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = _TouchedItems(self, transact_items)
        try:
            transact_write_items(self, transact_items)
        except BaseException:
            saved.put_back()
            raise

    models.copy = _TablesKeptInPlace  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = undone_item_by_item  # type: ignore[method-assign]
    DynamoDBBackend._carehub_item_undo = True  # type: ignore[attr-defined]


class _TouchedItems:
    """The items a transaction names, copied as they were before it, and the length of each
    table's stream."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        self._saved: list[tuple[Any, Any, Any, Any]] = []  # table, hash, range, item
        self._streams: dict[str, tuple[Any, int]] = {}
        for action in transact_items:
            for operation in action.values():
                table = backend.tables.get(operation.get("TableName"))
                if table is None:
                    continue  # moto refuses the transaction itself
                key = operation.get("Key") or operation.get("Item") or {}
                if table.hash_key_attr not in key:
                    continue
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = None
                if table.range_key_attr is not None:
                    if table.range_key_attr not in key:
                        continue
                    range_value = DynamoType(key[table.range_key_attr])
                item = table.get_item(hash_value, range_value)
                self._saved.append((table, hash_value, range_value, copy.deepcopy(item)))
                if table.stream_shard is not None and table.name not in self._streams:
                    self._streams[table.name] = (table, len(table.stream_shard.items))

    def put_back(self) -> None:
        # In reverse, so an item named twice (moto refuses that) ends as it first was.
        for table, hash_value, range_value, item in reversed(self._saved):
            if range_value is None:
                if item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item
            elif item is None:
                table.items[hash_value].pop(range_value, None)
            else:
                table.items[hash_value][range_value] = item
        for table, length in self._streams.values():
            del table.stream_shard.items[length:]


def query_without_sorting_the_table() -> None:
    """Let a `Query` read only what it can match, unsorted.

    moto starts every `Query` from the whole table sorted by primary key (`all_items`),
    then keeps the items of the asked partition and sorts those again by the index's keys
    (the table's keys breaking ties), so the first sort only costs: with a few hundred
    items it makes a query cost several times a `GetItem`. During a query the table lists
    its items unsorted instead, and only the asked partition for a query on the table
    itself; `Scan`, whose pages follow the table's order, is left as it is.
    """
    from moto.dynamodb.models.table import Table

    if getattr(Table, "_carehub_unsorted_query", False):
        return
    query = Table.query

    @functools.wraps(query)
    def unsorted_query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs["index_name"] if "index_name" in kwargs else args[6]
        if index_name:
            self.all_items = functools.partial(_every_item, self)  # type: ignore[method-assign]
        else:
            self.all_items = functools.partial(_partition_items, self, hash_key)  # type: ignore[method-assign]
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = unsorted_query  # type: ignore[method-assign]
    Table._carehub_unsorted_query = True  # type: ignore[attr-defined]


def _every_item(table: Any) -> list[Any]:
    if table.range_key_attr is None:
        return list(table.items.values())
    return [item for partition in table.items.values() for item in partition.values()]


def _partition_items(table: Any, hash_key: Any) -> list[Any]:
    partition = table.items.get(hash_key)
    if partition is None:
        return []
    return list(partition.values()) if table.range_key_attr is not None else [partition]


# Operations whose answers hold only items, keys, counts and consumed capacity: no
# timestamps or shapes that need moto's model-driven serialiser.
_DATA_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


def answer_item_calls_as_plain_json() -> None:
    """Write the answers of DynamoDB's item operations as JSON directly.

    moto renders every answer by walking botocore's model of its shape, attribute value by
    attribute value, which costs more than the operation itself. An item operation's
    answer is already DynamoDB's JSON (binary values excepted, which are base64-encoded
    here as the model would), so it is dumped as it is.
    """
    from moto.dynamodb.models.utilities import dynamo_json_dump
    from moto.dynamodb.responses import DynamoResult

    if getattr(DynamoResult, "_carehub_plain_json", False):
        return
    execute_result = DynamoResult.execute_result

    def plain_json(self: DynamoResult, context: Any) -> Any:
        if context.operation_model.name not in _DATA_OPERATIONS:
            return execute_result(self, context)
        headers = {"Content-Type": "application/x-amz-json-1.0"}
        return 200, headers, dynamo_json_dump(self.result)

    DynamoResult.execute_result = plain_json  # type: ignore[method-assign]
    DynamoResult._carehub_plain_json = True  # type: ignore[attr-defined]


def drop_per_request_overheads() -> None:
    """Skip two costs of every request that tell the tests nothing: the list of moto's
    services, which moto's dispatcher reads from the disk (a directory listing and a
    `stat` per service) for each request, and the werkzeug log line per request."""
    import moto.backends

    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: iter(modules)  # type: ignore[assignment]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
