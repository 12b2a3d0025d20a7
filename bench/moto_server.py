"""`python -m bench.moto_server PORT`: a moto server in a process of its own, for
`make bench-dynamodb`, answering DynamoDB one request at a time.

Two changes to moto, both about transactions:

- it answers one DynamoDB request at a time. moto checks a transaction's conditions and
  then applies its writes with no lock between, so two racing transactions could both
  commit where DynamoDB lets one through; the tests' server is serialised for the same
  reason (`tests/support/moto.py`);
- a transaction keeps a copy of the items it touches to roll back to, where moto copies
  the whole table, stream records included, once per item of the transaction: a cost that
  grows with everything ever written (a 2-patient import took over a second on a table of
  100 patients). What a cancelled transaction leaves is the same: the items it touched as
  they were, and no stream record of it.
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


def sort_items_by_key_text() -> None:
    """moto sorts every item of the table, comparing its own value objects, for each
    Query on an index (150 ms on 2,400 items); carehub's keys are strings, and sorting by
    their text gives the same order, faster."""

    def all_items(self: Table) -> list[Item]:
        if self.range_key_attr:
            items = [item for by_range in self.items.values() for item in by_range.values()]
        else:
            items = list(self.items.values())
        return sorted(items, key=_key_text)

    Table.all_items = all_items  # type: ignore[method-assign]


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
    sort_items_by_key_text()
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
