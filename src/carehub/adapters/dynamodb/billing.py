"""What DynamoDB bills for one call, worked out from its request and response the way
DynamoDB's documentation prices them (on-demand request units and provisioned capacity
units are counted alike):

- an item's size is the sum of its attribute names and values (a string its UTF-8
  bytes, a number about one byte per two significant digits plus one, a list or map
  3 bytes plus its members, each with one byte more);
- a write costs 1 unit per KB of the item, rounded up; a write inside a transaction
  costs twice that (DynamoDB prepares, then commits each item);
- each global secondary index an item is written into costs 1 unit per KB of the index
  entry, which is the whole item here (every index projects ALL);
- a consistent read costs 1 unit per 4 KB read, rounded up, an eventually consistent one
  (every index query) half of that; a Query pays for the items it read together, a
  GetItem for its item (1 unit even when there is none).

A request shows what is written, not what it replaces, so these figures are what a write
costs at least: a Put over a larger item, the index entries a Delete or an Update removes
or moves, and the items a filter discards are not in them. carehub's commits are mostly
new items, so on the paths measured the figures are exact (docs/performance.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from carehub.adapters.dynamodb.table import INDEXES

READS = frozenset({"GetItem", "BatchGetItem", "Query"})  # never a Scan on a request's path
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
TRANSACTION_FACTOR = 2
_WRITE_UNIT_BYTES = 1024
_READ_UNIT_BYTES = 4096
# Key values start with their kind (`PATIENT#...`, `AUDIT#0`, `SEQ#...`); only that part
# is ever named, never the ids, codes or search tokens after it.
_KIND = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class Line:
    """One item (or one Query) of a call: what it is, and the units it costs."""

    label: str
    read_units: float = 0.0
    write_units: float = 0.0


@dataclass(frozen=True)
class Bill:
    """What one call costs, item by item."""

    lines: tuple[Line, ...] = field(default_factory=tuple)

    @property
    def read_units(self) -> float:
        return sum(line.read_units for line in self.lines)

    @property
    def write_units(self) -> float:
        return sum(line.write_units for line in self.lines)


def bill(operation: str, request: Mapping[str, Any], response: Mapping[str, Any]) -> Bill | None:
    """What `operation` costs, given its parameters and its (parsed) answer, both in wire
    form; None for a call DynamoDB does not bill by capacity (DescribeTable, ...) or that
    carehub makes only in maintenance commands."""
    if operation == "GetItem":
        found = response.get("Item") or {}
        units = read_units(item_size(found), consistent=bool(request.get("ConsistentRead")))
        return Bill((Line(f"GetItem {key_kind(request['Key'])}", read_units=units),))
    if operation == "BatchGetItem":
        return Bill(tuple(_batch_get_lines(request, response)))
    if operation == "Query":
        return Bill((_query_line(request, response),))
    if operation == "PutItem":
        return Bill((_put_line("PutItem", request["Item"], transactional=False),))
    if operation == "UpdateItem":
        return Bill((_keyed_line("UpdateItem", request, transactional=False),))
    if operation == "DeleteItem":
        return Bill((_keyed_line("DeleteItem", request, transactional=False),))
    if operation == "BatchWriteItem":
        return Bill(tuple(_batch_write_lines(request, response)))
    if operation == "TransactWriteItems":
        return Bill(tuple(_transaction_line(action) for action in request["TransactItems"]))
    return None


def item_size(item: Mapping[str, Any]) -> int:
    """An item's size in bytes as DynamoDB counts it, from its wire form."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: Mapping[str, Any]) -> int:
    """The size of one attribute value in wire form (`{"S": "..."}`, `{"N": "12"}`, ...)."""
    [(kind, inner)] = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(member.encode()) for member in inner)
    if kind == "NS":
        return sum(number_size(member) for member in inner)
    if kind == "BS":
        return sum(len(member) for member in inner)
    if kind == "L":
        return 3 + sum(value_size(member) + 1 for member in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in inner.items())
    raise ValueError(f"not a DynamoDB attribute value: {kind}")


def number_size(text: str) -> int:
    """About one byte per two significant digits, plus one."""
    digits = text.lstrip("+-").split("e")[0].split("E")[0].replace(".", "").strip("0")
    return math.ceil(max(len(digits), 1) / 2) + 1


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / _WRITE_UNIT_BYTES)))


def read_units(size: int, *, consistent: bool) -> float:
    units = float(max(1, math.ceil(size / _READ_UNIT_BYTES)))
    return units if consistent else units / 2


def key_kind(key: Mapping[str, Any]) -> str:
    """`PK/SK` kinds of a key (`PATIENT/NAME`), never the values after them."""
    return f"{_kind(key.get('PK'))}/{_kind(key.get('SK'))}"


def _kind(value: Mapping[str, Any] | None) -> str:
    text = value.get("S", "") if value else ""
    found = _KIND.match(text)
    return found.group() if found else "-"


def _query_line(request: Mapping[str, Any], response: Mapping[str, Any]) -> Line:
    index = request.get("IndexName")
    consistent = bool(request.get("ConsistentRead")) and index is None
    read = sum(item_size(item) for item in response.get("Items", []))
    partition = _kind((request.get("ExpressionAttributeValues") or {}).get(":pk"))
    label = f"Query {index or 'table'} {partition}"
    return Line(label, read_units=read_units(read, consistent=consistent))


def _batch_get_lines(request: Mapping[str, Any], response: Mapping[str, Any]) -> list[Line]:
    """Each item found costs as a GetItem of it (a key with no item costs nothing here)."""
    lines = []
    for table, found in (response.get("Responses") or {}).items():
        consistent = bool(request["RequestItems"][table].get("ConsistentRead"))
        for item in found:
            units = read_units(item_size(item), consistent=consistent)
            lines.append(Line(f"BatchGetItem {key_kind(item)}", read_units=units))
    return lines


def _batch_write_lines(request: Mapping[str, Any], response: Mapping[str, Any]) -> list[Line]:
    """Each put the call processed costs as a PutItem of it, each delete as a DeleteItem
    (BatchWriteItem is no transaction); the ones DynamoDB sends back unprocessed cost
    nothing yet."""
    lines = []
    for table, asked in request["RequestItems"].items():
        unprocessed = (response.get("UnprocessedItems") or {}).get(table, [])
        for wanted in asked:
            if wanted in unprocessed:
                continue
            if "PutRequest" in wanted:
                put = wanted["PutRequest"]["Item"]
                lines.append(_put_line("BatchWriteItem", put, transactional=False))
            elif "DeleteRequest" in wanted:
                delete = {"Key": wanted["DeleteRequest"]["Key"]}
                lines.append(_keyed_line("BatchWriteItem delete", delete, transactional=False))
    return lines


def _put_line(operation: str, item: Mapping[str, Any], *, transactional: bool) -> Line:
    size = item_size(item)
    table = write_units(size) * (TRANSACTION_FACTOR if transactional else 1)
    indexed = _indexes_of(item)
    label = f"{operation} {key_kind(item)}" + (f" +{indexed} index" if indexed else "")
    return Line(label, write_units=table + indexed * write_units(size))


def _keyed_line(operation: str, request: Mapping[str, Any], *, transactional: bool) -> Line:
    """An Update, Delete or ConditionCheck: the request shows the key and the values it
    sets, not the item, so its size is that much at least."""
    values = request.get("ExpressionAttributeValues") or {}
    size = item_size(request["Key"]) + sum(value_size(v) for v in values.values())
    units = write_units(size) * (TRANSACTION_FACTOR if transactional else 1)
    return Line(f"{operation} {key_kind(request['Key'])}", write_units=units)


def _transaction_line(action: Mapping[str, Any]) -> Line:
    [(kind, request)] = action.items()
    if kind == "Put":
        return _put_line("Put", request["Item"], transactional=True)
    return _keyed_line(kind, request, transactional=True)


def _indexes_of(item: Mapping[str, Any]) -> int:
    """How many indexes list the item (it carries both of an index's key attributes)."""
    return sum(1 for index in INDEXES if f"{index}PK" in item and f"{index}SK" in item)
