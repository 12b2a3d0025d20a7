"""The capacity meter on a moto server: each request's calls, and only its own, are billed
into its tally, by DynamoDB's rules on an emulator (moto's own figures are placeholders)
and by what the service reports otherwise; a meter's mistake never fails a call."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from carehub.adapters.aws.clients import LazyClient, connector
from carehub.adapters.dynamodb import capacity_meter
from carehub.adapters.dynamodb.capacity_meter import CapacityMeter, metered_request
from carehub.adapters.dynamodb.items import to_wire
from carehub.adapters.dynamodb.table_client import Capacity, DynamoDbFailed, DynamoTable
from tests.support.moto import REGION

pytestmark = pytest.mark.aws

COUNTRY_KEY = {"PK": "COUNTRY#PE", "SK": "COUNTRY"}


def put(pk: str, **extra: str) -> dict[str, Any]:
    """A Put of a small new item (under 1 KB) into `table`'s transaction."""
    item = {"PK": pk, "SK": "X", "kind": "test", **extra}
    return {
        "Put": {
            "TableName": "",
            "Item": to_wire(item),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def actions(table: DynamoTable, *puts: dict[str, Any]) -> list[dict[str, Any]]:
    for action in puts:
        action["Put"]["TableName"] = table.name
    return list(puts)


async def test_a_request_is_billed_item_by_item_by_dynamodbs_rules(table: DynamoTable) -> None:
    unit = Capacity()
    with metered_request() as reading:
        assert await table.get(COUNTRY_KEY, unit) is None  # absent: 1 unit all the same
        listed = put("A#1", GSI1PK="L", GSI1SK="1", GSI2PK="M", GSI2SK="1")
        assert await table.transact(actions(table, listed, put("B#1")), unit) is None
        refused = await table.transact(actions(table, put("B#1")), unit)
    assert refused == ["ConditionalCheckFailed"]
    fields = reading()
    assert fields["billed_by"] == "rules"
    assert (fields["calls"], fields["refused"]) == (3, 1)
    assert fields["items"] == {
        "GetItem COUNTRY/COUNTRY": [1, 1.0, 0.0],
        "Put A/X +2 index": [1, 0.0, 4.0],  # 2 for the transaction, 1 per index
        "Put B/X": [2, 0.0, 4.0],  # the refused one is billed too, as DynamoDB does
    }
    assert (fields["read_units"], fields["write_units"]) == (1.0, 8.0)
    # The unit of work's own count reads the same figures (moto reports none for a
    # transaction); DynamoDB reports nothing for a refused one.
    assert (unit.read_units, unit.write_units) == (1.0, 6.0)


async def test_each_request_counts_its_own_calls_only(table: DynamoTable) -> None:
    async def request(gets: int) -> dict[str, Any]:
        with metered_request() as reading:
            for _ in range(gets):
                await table.get(COUNTRY_KEY, Capacity())
            return dict(reading())

    await table.get(COUNTRY_KEY, Capacity())  # outside any request: nobody's
    one, three = await asyncio.gather(request(1), request(3))
    assert (one["calls"], three["calls"]) == (1, 3)
    with metered_request() as reading:
        await table.ping()  # not billed by capacity
    assert reading() == {}


async def test_against_dynamodb_the_meter_takes_the_units_it_reports(
    table: DynamoTable, moto_endpoint: str
) -> None:
    # A meter trusting the service: moto reports its placeholder 0.5 for any GetItem.
    make = connector("dynamodb", region=REGION, endpoint_url=moto_endpoint)
    meter = CapacityMeter(billed_by="dynamodb")
    trusting = DynamoTable(
        table.name,
        LazyClient(lambda: meter.instrument(make()), service="x", failure=DynamoDbFailed),
    )
    try:
        with metered_request() as reading:
            await trusting.get(COUNTRY_KEY, Capacity())
        fields = reading()
    finally:
        await trusting.close()
    assert (fields["billed_by"], fields["read_units"]) == ("dynamodb", 0.5)
    assert fields["items"] == {"GetItem COUNTRY/COUNTRY": [1, 1.0, 0.0]}  # the rules' view


async def test_a_meter_that_fails_leaves_the_call_alone(
    table: DynamoTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> None:
        raise KeyError("TransactItems")

    monkeypatch.setattr(capacity_meter, "bill", broken)
    warnings = structlog.wrap_logger(
        None, wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG)
    )
    monkeypatch.setattr(capacity_meter, "log", warnings)
    with capture_logs() as logs, metered_request() as reading:
        assert await table.get(COUNTRY_KEY, Capacity()) is None
    assert reading() == {}
    assert [(e["event"], e["error"]) for e in logs] == [("dynamodb.capacity_unmetered", "KeyError")]
