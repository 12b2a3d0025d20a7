"""What the capacity meter bills a call, by DynamoDB's published rules: item sizes, 1 KB
write units and 4 KB read units rounded up, transactions at twice the price, one index
write per index that lists the item, eventually consistent reads at half, batch calls as
their items one by one."""

from __future__ import annotations

from typing import Any

import pytest

from carehub.adapters.dynamodb.billing import bill, item_size, key_kind, number_size
from carehub.adapters.dynamodb.items import to_wire


def s(text: str) -> dict[str, str]:
    return {"S": text}


def test_an_items_size_is_its_names_and_values() -> None:
    # DynamoDB's own example: a string is its UTF-8 bytes, its name counts too.
    assert item_size({"PK": s("AB"), "SK": s("é")}) == 2 + 2 + 2 + 2
    assert item_size(to_wire({"n": 12345, "flag": True, "none": None})) == 1 + 4 + 4 + 1 + 4 + 1
    # A list or map: 3 bytes, and one byte per member on top of the member.
    assert item_size(to_wire({"l": ["ab", "c"]})) == 1 + 3 + (2 + 1) + (1 + 1)
    assert item_size(to_wire({"m": {"k": "v"}})) == 1 + 3 + (1 + 1 + 1)


@pytest.mark.parametrize(
    ("text", "size"), [("0", 2), ("7", 2), ("12", 2), ("123", 3), ("1200", 2), ("-0.05", 2)]
)
def test_a_number_is_about_a_byte_per_two_significant_digits(text: str, size: int) -> None:
    assert number_size(text) == size


def put(size: int, **indexes: str) -> dict[str, Any]:
    """A Put of an item of exactly `size` bytes, listed under the index keys given."""
    item = {"PK": s("PATIENT#1"), "SK": s("PATIENT"), **{k: s(v) for k, v in indexes.items()}}
    item["data"] = s("x" * (size - item_size(item) - len("data")))
    assert item_size(item) == size
    return {"Put": {"TableName": "t", "Item": item}}


def test_a_transactional_write_is_twice_its_kilobytes_plus_one_write_per_index() -> None:
    small = put(1024)  # exactly 1 KB: one unit, doubled
    large = put(1025, GSI1PK="A", GSI1SK="1", GSI2PK="B", GSI2SK="2")  # 2 KB, two indexes
    half_indexed = put(300, GSI3PK="C")  # an index key without its sort key lists nothing
    billed = bill("TransactWriteItems", {"TransactItems": [small, large, half_indexed]}, {})
    assert billed is not None
    assert [line.write_units for line in billed.lines] == [2.0, 2 * 2 + 2 * 2, 2.0]
    assert [line.label for line in billed.lines] == [
        "Put PATIENT/PATIENT",
        "Put PATIENT/PATIENT +2 index",
        "Put PATIENT/PATIENT",
    ]
    assert (billed.read_units, billed.write_units) == (0.0, 12.0)


def test_an_update_or_delete_costs_at_least_what_it_shows() -> None:
    key = {"PK": s("MRN_COUNTER#PE"), "SK": s("COUNTER")}
    update = {"Key": key, "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {}}
    update["ExpressionAttributeValues"] = {":v": s("x" * 2000)}
    transaction = {"TransactItems": [{"Update": {**update, "TableName": "t"}}]}
    assert bill("TransactWriteItems", transaction, {}).write_units == 2 * 2  # type: ignore[union-attr]
    assert bill("DeleteItem", {"Key": key}, {}).write_units == 1.0  # type: ignore[union-attr]
    assert bill("UpdateItem", update, {}).write_units == 2.0  # type: ignore[union-attr]


def test_a_consistent_get_is_a_unit_per_4_kb_even_of_nothing() -> None:
    key = {"PK": s("SESSION#abc"), "SK": s("SESSION")}
    found = {"Item": {**key, "data": s("x" * 5000)}}
    assert bill("GetItem", {"Key": key, "ConsistentRead": True}, found).read_units == 2.0  # type: ignore[union-attr]
    assert bill("GetItem", {"Key": key, "ConsistentRead": True}, {}).read_units == 1.0  # type: ignore[union-attr]
    assert bill("GetItem", {"Key": key}, {}).read_units == 0.5  # type: ignore[union-attr]


def test_a_query_pays_for_what_it_read_together_at_half_on_an_index() -> None:
    items = [{"PK": s(f"PATIENT#{n}"), "data": s("x" * 1500)} for n in range(3)]  # ~4.5 KB
    request = {"IndexName": "GSI2", "ExpressionAttributeValues": {":pk": s("COUNTRY#PE#X")}}
    billed = bill("Query", request, {"Items": items})
    assert billed is not None
    assert billed.read_units == 1.0  # 2 units of 4 KB, eventually consistent
    assert billed.lines[0].label == "Query GSI2 COUNTRY"
    table = {"ConsistentRead": True, "ExpressionAttributeValues": {":pk": s("AUDIT#0")}}
    assert bill("Query", table, {"Items": []}).read_units == 1.0  # type: ignore[union-attr]


def test_a_batch_pays_for_each_item_it_read_or_wrote() -> None:
    key = {"PK": s("AUDIT#3"), "SK": s("SEQ#1")}
    asked = {"RequestItems": {"t": {"Keys": [key, key], "ConsistentRead": True}}}
    found = {"Responses": {"t": [{**key, "data": s("x" * 5000)}]}}  # one key had no item
    billed = bill("BatchGetItem", asked, found)
    assert billed is not None
    assert [(line.label, line.read_units) for line in billed.lines] == [
        ("BatchGetItem AUDIT/SEQ", 2.0)
    ]
    items = [put(300, GSI1PK="A", GSI1SK="1")["Put"]["Item"], put(1500)["Put"]["Item"]]
    puts = [{"PutRequest": {"Item": item}} for item in items]
    written = bill("BatchWriteItem", {"RequestItems": {"t": puts}}, {})
    assert written is not None
    assert [line.write_units for line in written.lines] == [1.0 + 1.0, 2.0]  # no doubling
    left = bill(
        "BatchWriteItem", {"RequestItems": {"t": puts}}, {"UnprocessedItems": {"t": puts[1:]}}
    )
    assert left is not None
    assert left.write_units == 2.0  # the unprocessed put is billed when it is sent again


def test_calls_that_are_not_billed_by_capacity_are_not_billed() -> None:
    assert bill("DescribeTable", {"TableName": "t"}, {}) is None


def test_a_label_names_the_kind_of_a_key_never_its_values() -> None:
    # Name words and emails sit in keys after their kind; only the kind is ever named.
    assert key_kind({"PK": s("PATIENT#0192"), "SK": s("NAME#garcía")}) == "PATIENT/NAME"
    assert key_kind({"PK": s("EMAIL#ana@example.org"), "SK": s("GUARD")}) == "EMAIL/GUARD"
    assert key_kind({"PK": s("ana@example.org"), "SK": s("x")}) == "-/-"
