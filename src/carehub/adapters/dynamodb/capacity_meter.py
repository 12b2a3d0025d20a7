"""The capacity meter: every call the table's client makes is billed, and its units are
added to the tally of the request it runs for.

A request's tally lives in a context variable that `metered_request()` opens (the HTTP
layer opens one per request and logs it at DEBUG). Calls run on executor threads, which
inherit the request's context, so each call, from any repository or store, finds the
tally itself: nothing is passed along.

Against AWS the units are those DynamoDB reports (`ReturnConsumedCapacity=TOTAL`, which
the meter asks for on every call). An emulator's figures are placeholders (moto answers
0.5 for any GetItem, 1 for any Query, nothing for a transaction), so on an emulator the
units are worked out by DynamoDB's billing rules (`billing.py`) and put in the response
in their place, where the unit of work's own count reads them. Either way each item is
listed with what the rules say it costs, by the kind of its key, never its values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

import structlog

from carehub.adapters.dynamodb.billing import READS, WRITES, Bill, bill

log = structlog.get_logger("carehub.dynamodb")

BilledBy = Literal["dynamodb", "rules"]
_REQUEST_KEY = "carehub.request"


class CapacityTally:
    """The units one request's calls consumed, and which items they went to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # calls of one request may run on several threads
        self.read_units = 0.0
        self.write_units = 0.0
        self.calls = 0
        self.refused = 0  # calls DynamoDB refused (a condition failed): billed all the same
        self.billed_by: BilledBy | None = None
        self.items: dict[str, list[float]] = {}  # label -> [how many, read units, write units]

    def add(
        self, billed: Bill, *, read_units: float, write_units: float, refused: bool, by: BilledBy
    ) -> None:
        with self._lock:
            self.read_units += read_units
            self.write_units += write_units
            self.calls += 1
            self.refused += refused
            self.billed_by = by
            for line in billed.lines:
                counts = self.items.setdefault(line.label, [0, 0.0, 0.0])
                counts[0] += 1
                counts[1] += line.read_units
                counts[2] += line.write_units

    def log_fields(self) -> dict[str, Any]:
        """The tally as log fields; empty when the request made no billed call."""
        with self._lock:
            if not self.calls:
                return {}
            return {
                "read_units": round(self.read_units, 2),
                "write_units": round(self.write_units, 2),
                "calls": self.calls,
                "refused": self.refused,
                "billed_by": self.billed_by,
                "items": {
                    label: [int(n), round(r, 2), round(w, 2)]
                    for label, (n, r, w) in sorted(self.items.items())
                },
            }


_CURRENT: ContextVar[CapacityTally | None] = ContextVar("dynamodb_capacity", default=None)


@contextmanager
def metered_request() -> Iterator[Callable[[], dict[str, Any]]]:
    """Count what the calls made inside the block (and in tasks and threads it starts)
    consume; yields a function that reads the count as log fields."""
    tally = CapacityTally()
    token = _CURRENT.set(tally)
    try:
        yield tally.log_fields
    finally:
        _CURRENT.reset(token)


class CapacityMeter:
    """Bills each call of the boto3 DynamoDB clients it instruments."""

    def __init__(self, *, billed_by: BilledBy) -> None:
        self.billed_by = billed_by

    def instrument(self, client: Any) -> Any:
        """Hook `client`'s calls (botocore's documented events); returns the client."""
        client.meta.events.register("provide-client-params.dynamodb", self._ask_for_capacity)
        client.meta.events.register("after-call.dynamodb", self._count)
        return client

    @staticmethod
    def _ask_for_capacity(
        params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        if model.name in READS or model.name in WRITES:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
            context[_REQUEST_KEY] = params

    def _count(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: Any, **_: Any
    ) -> None:
        request = context.get(_REQUEST_KEY)
        if request is None:
            return
        try:
            self._charge(model.name, request, parsed, refused=http_response.status_code >= 300)
        except Exception as exc:  # a meter's mistake must never fail the call it measures
            log.warning(
                "dynamodb.capacity_unmetered", operation=model.name, error=type(exc).__name__
            )

    def _charge(
        self, operation: str, request: Mapping[str, Any], parsed: dict[str, Any], *, refused: bool
    ) -> None:
        billed = bill(operation, request, parsed)
        if billed is None:
            return
        if self.billed_by == "rules":
            reads, writes = billed.read_units, billed.write_units
            if not refused:
                parsed["ConsumedCapacity"] = _reported_form(operation, request, reads + writes)
        else:
            units = reported_units(parsed)
            reads, writes = (units, 0.0) if operation in READS else (0.0, units)
        tally = _CURRENT.get()
        if tally is not None:
            tally.add(
                billed, read_units=reads, write_units=writes, refused=refused, by=self.billed_by
            )


def reported_units(response: Mapping[str, Any]) -> float:
    """The capacity units a response reports (one entry, or one per table)."""
    consumed = response.get("ConsumedCapacity") or []
    entries = consumed if isinstance(consumed, list) else [consumed]
    return sum(float(entry.get("CapacityUnits", 0.0)) for entry in entries)


def _reported_form(operation: str, request: Mapping[str, Any], units: float) -> Any:
    """`units` as DynamoDB reports them for `operation` under `TOTAL`."""
    if operation == "TransactWriteItems":
        [(_, first)] = request["TransactItems"][0].items()
        return [{"TableName": first["TableName"], "CapacityUnits": units}]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        [table] = request["RequestItems"]
        return [{"TableName": table, "CapacityUnits": units}]
    return {"TableName": request.get("TableName", ""), "CapacityUnits": units}
