"""The capacity units each operation consumes, as the server's meter logs them: a few
requests of each operation, sent one at a time with request ids the log lines carry."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from bench.loadgen import SEQ_MARK, Request
from bench.server import RunningServer

# The targets: a patient read costs at most 1 RCU, its audit write at most 2 WCU;
# a booking at most 6 WCU. (operation, figure, at most)
TARGETS = (
    ("read", "read_units", 1.0),
    ("read", "write_units", 2.0),
    ("booking", "write_units", 6.0),
)


@dataclass(frozen=True)
class OperationCost:
    """What the sampled requests of one operation consumed, request by request."""

    operation: str
    statuses: dict[int, int]
    read_units: list[float]
    write_units: list[float]
    calls: list[int]
    # label -> [items, read units, write units], per request on average
    items: dict[str, list[float]] = field(default_factory=dict)

    @property
    def mean_read(self) -> float:
        return statistics.fmean(self.read_units) if self.read_units else float("nan")

    @property
    def mean_write(self) -> float:
        return statistics.fmean(self.write_units) if self.write_units else float("nan")


@dataclass(frozen=True)
class CapacityTarget:
    name: str
    value: float
    limit: float

    @property
    def met(self) -> bool:
        return self.value <= self.limit


def measure_capacity(
    server: RunningServer, operations: Mapping[str, Sequence[Request]]
) -> dict[str, OperationCost]:
    """Send each operation's requests one at a time, then read their units from the log."""
    statuses: dict[str, Counter[int]] = {op: Counter() for op in operations}
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        for operation, requests in operations.items():
            for n, request in enumerate(requests):
                headers = {**dict(request.headers), "X-Request-ID": _request_id(operation, n)}
                body = request.body.replace(SEQ_MARK, f"capacity-{n}".encode())
                if body:
                    headers["Content-Type"] = "application/json"
                response = client.request(
                    request.method, request.path, headers=headers, content=body or None
                )
                statuses[operation][response.status_code] += 1
    assert server.log_path is not None
    wanted = {
        _request_id(op, n) for op, requests in operations.items() for n in range(len(requests))
    }
    logged = _capacity_lines(server.log_path, wanted)
    return {
        operation: _cost(operation, dict(statuses[operation]), logged, len(requests))
        for operation, requests in operations.items()
    }


def _capacity_lines(log_path: Path, wanted: set[str]) -> dict[str, dict[str, Any]]:
    """The server's `request.capacity` lines of the `wanted` request ids. A line is written
    once the response has gone, so the last ones may take a moment."""
    deadline = time.monotonic() + 10
    while True:
        found = {}
        for line in log_path.read_text(errors="replace").splitlines():
            if '"request.capacity"' in line:
                entry = json.loads(line)
                found[entry["request_id"]] = entry
        if wanted <= found.keys() or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _cost(
    operation: str, statuses: dict[int, int], logged: dict[str, dict[str, Any]], sent: int
) -> OperationCost:
    entries = [logged[_request_id(operation, n)] for n in range(sent)]
    items: dict[str, list[float]] = {}
    for entry in entries:
        for label, counts in entry["items"].items():
            total = items.setdefault(label, [0.0, 0.0, 0.0])
            for i, value in enumerate(counts):
                total[i] += value / len(entries)
    return OperationCost(
        operation=operation,
        statuses=statuses,
        read_units=[e["read_units"] for e in entries],
        write_units=[e["write_units"] for e in entries],
        calls=[e["calls"] for e in entries],
        items={label: [round(v, 2) for v in counts] for label, counts in sorted(items.items())},
    )


def capacity_targets(costs: Mapping[str, OperationCost]) -> list[CapacityTarget]:
    """The issue's targets, on the mean of each operation's sampled requests."""
    found = []
    for operation, figure, limit in TARGETS:
        cost = costs[operation]
        value = cost.mean_read if figure == "read_units" else cost.mean_write
        unit = "RCU" if figure == "read_units" else "WCU"
        found.append(CapacityTarget(f"{operation} {unit} <= {limit:g}", value, limit))
    return found


def print_capacity(
    console: Console, costs: Mapping[str, OperationCost], checks: list[CapacityTarget]
) -> None:
    """Units per operation (mean, min-max), then each one's items, then the targets."""
    table = Table(
        title="capacity units per request (what carries over to AWS)", title_justify="left"
    )
    for header in ("operation", "requests", "statuses", "RCU", "WCU", "calls"):
        table.add_column(header, justify="left" if header == "operation" else "right")
    for cost in costs.values():
        table.add_row(
            cost.operation,
            str(len(cost.read_units)),
            " ".join(f"{s}:{n}" for s, n in sorted(cost.statuses.items())),
            _spread(cost.read_units),
            _spread(cost.write_units),
            _spread([float(c) for c in cost.calls]),
        )
    console.print(table)
    for cost in costs.values():
        console.print(f"  {cost.operation}, per request: items, RCU, WCU")
        for label, (n, read, write) in cost.items.items():
            console.print(f"    {label:<44} {n:>6.2f} {read:>7.2f} {write:>7.2f}")
    for check in checks:
        mark = "[green]✓ met[/green]" if check.met else "[red]✗ missed[/red]"
        console.print(f"  {mark}  {check.name}: {check.value:.2f}")


def _request_id(operation: str, n: int) -> str:
    """An id the server keeps (letters, digits, `._-`) and the log line carries."""
    return f"capacity-{operation.replace(' ', '-')}-{n}"


def _spread(values: list[float]) -> str:
    if not values:
        return "-"
    low, high, mean = min(values), max(values), statistics.fmean(values)
    return f"{mean:.1f}" if low == high else f"{mean:.1f} ({low:g}-{high:g})"
