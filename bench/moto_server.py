"""`python -m bench.moto_server PORT`: a moto server in a process of its own, for
`make bench-dynamodb`. Three changes to moto; the DynamoDB contract suites pass on it
unchanged:

- it answers one DynamoDB request at a time. moto checks a transaction's conditions and
  then applies its writes with no lock between, so two racing transactions could both
  commit where DynamoDB lets one through; the tests' server is serialised for the same
  reason (`tests/support/moto.py`);
- a transaction keeps a copy of the items it touches to roll back to, where moto copies
  the whole table, stream records included, once per item of the transaction: a cost that
  grows with everything ever written (a 2-patient import took over a second on a table of
  100 patients). What a cancelled transaction leaves is the same: the items it touched as
  they were, and no stream record of it;
- a Query reads its partition's items only (see `query_only_the_partition`).
"""

from __future__ import annotations

import copy
import logging
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.server import ThreadedMotoServer
from tests.support.moto import serialise_dynamodb_requests


@dataclass
class _Before:
    """One item a transaction touches, as it was before: None when it did not exist."""

    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Item | None


class _TablesUncopied:
    """Stands for the `copy` module inside moto's DynamoDB models: the whole-table copies
    its transactions take are skipped (the items they touch are kept instead), any other
    copy is made as before."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def roll_back_touched_items_only() -> None:
    """Replace moto's whole-table transaction copies with copies of the touched items."""
    if getattr(DynamoDBBackend, "_carehub_item_rollback", False):
        return
    transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        before = [_before(self, action) for action in transact_items[:100]]
        streams = {id(b.table): (b.table, _stream_length(b.table)) for b in before}
        try:
            transact(self, transact_items)
        except Exception:
            for touched in reversed(before):
                _restore(touched)
            for table, length in streams.values():
                if table.stream_shard is not None:
                    del table.stream_shard.items[length:]
            raise

    dynamodb_models.copy = _TablesUncopied  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    DynamoDBBackend._carehub_item_rollback = True  # type: ignore[attr-defined]


def query_only_the_partition() -> None:
    """moto answers every Query by sorting every item of the table, comparing its own
    value objects, then keeping those of the partition asked for (150 ms on 2,400 items;
    every carehub request queries, and the relay polls 16 partitions). Here a Query reads
    its partition only: a table partition by its key, an index partition from a listing of
    the items that carried its value when written (each still checked, so a value an
    update removed since is dropped), sorted by key text (carehub's keys are strings)."""
    if getattr(Table, "_carehub_partition_query", False):
        return
    query, put, update = Table.query, Table.put_item, DynamoDBBackend.update_item

    def partition_query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        wanted = kwargs.get("hash_key_conditions") if index_name else None
        _PARTITION.only = wanted or [(self.hash_key_attr, hash_key)]
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _PARTITION.only = None

    def all_items(self: Table) -> list[Item]:
        wanted = getattr(_PARTITION, "only", None)
        if wanted is None:
            items = _every_item(self)
        elif wanted[0][0] == self.hash_key_attr:
            found = self.items.get(wanted[0][1])
            items = [] if found is None else list(found.values())
        else:
            name, value = wanted[0]
            keys = _listing(self).get((name, value.type, value.value), set())
            items = [i for k in keys if (i := _current(self, *k)) and _in_partition(i, wanted)]
        return sorted(items, key=_key_text)

    def put_item(self: Table, *args: Any, **kwargs: Any) -> Item:
        item = put(self, *args, **kwargs)
        _list(self, item)
        return item

    def update_item(self: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Item:
        item = update(self, table_name, *args, **kwargs)
        _list(self.get_table(table_name), item)
        return item

    Table.query = partition_query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.put_item = put_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]
    Table._carehub_partition_query = True  # type: ignore[attr-defined]


_PARTITION = threading.local()
# (index key attribute, value type, value) -> the keys of the items written with it
Listing = dict[tuple[str, str, Any], set[tuple[DynamoType, DynamoType | None]]]


def _listing(table: Table) -> Listing:
    listing: Listing = table.__dict__.setdefault("_carehub_listing", {})
    return listing


def _list(table: Table, item: Item) -> None:
    """Note the index partitions `item` is in now (only the table's range-keyed layout)."""
    listing = _listing(table)
    for index in table.global_indexes or []:
        for key in index.schema:
            value = item.attrs.get(key["AttributeName"]) if key["KeyType"] == "HASH" else None
            if value is not None:
                listing.setdefault((key["AttributeName"], value.type, value.value), set()).add(
                    (item.hash_key, item.range_key)
                )


def _current(table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
    return table.items.get(hash_key, {}).get(range_key)


def _every_item(table: Table) -> list[Item]:
    return [item for by_range in table.items.values() for item in by_range.values()]


def _in_partition(item: Item, wanted: list[tuple[str, DynamoType]]) -> bool:
    for name, value in wanted:
        found = item.attrs.get(name)
        if found is None or found.type != value.type or found.value != value.value:
            return False
    return True


def _key_text(item: Item) -> tuple[str, str]:
    return item.hash_key.value, "" if item.range_key is None else item.range_key.value


def _before(backend: DynamoDBBackend, action: dict[str, Any]) -> _Before:
    _, operation = next(iter(action.items()))
    table = backend.get_table(operation["TableName"])
    key = operation.get("Key") or operation["Item"]
    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    item = table.get_item(hash_key, range_key)
    return _Before(table, hash_key, range_key, copy.deepcopy(item))


def _restore(touched: _Before) -> None:
    if touched.item is not None:
        _list(touched.table, touched.item)
    items = touched.table.items
    if touched.range_key is None:
        if touched.item is None:
            items.pop(touched.hash_key, None)
        else:
            items[touched.hash_key] = touched.item
    elif touched.item is None:
        items[touched.hash_key].pop(touched.range_key, None)
    else:
        items[touched.hash_key][touched.range_key] = touched.item


def _stream_length(table: Table) -> int:
    return 0 if table.stream_shard is None else len(table.stream_shard.items)


def main(port: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    serialise_dynamodb_requests()
    roll_back_touched_items_only()
    query_only_the_partition()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    stopped = threading.Event()

    def stop(*_: Any) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stopped.wait()
    server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]))
