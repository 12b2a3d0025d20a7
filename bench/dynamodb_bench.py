"""`make bench-dynamodb`: carehub on DynamoDB (a moto server in its own process), the
scenarios of `make bench-http` and booking, with the capacity units each operation
consumes.

moto is not DynamoDB: it answers one request at a time on this machine, so its latencies
describe this local set-up only and carry over to AWS not at all. The capacity units do:
carehub's meter bills every call by DynamoDB's rules (docs/performance.md, "DynamoDB").

Environment:
  CAREHUB_BENCH_DYNAMODB_PATIENTS  demo patients loaded first (500)
  CAREHUB_BENCH_DYNAMODB_SECONDS   measured seconds per scenario and concurrency (5)
  CAREHUB_BENCH_CAPACITY_SAMPLES   requests of each operation whose units are read (20)
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from multiprocessing import get_context

import httpx
from rich.console import Console
from rich.table import Table

from bench.capacity import capacity_targets, measure_capacity, print_capacity
from bench.dynamodb_store import moto_dynamodb
from bench.loadgen import Request, Scenario
from bench.report import run_environment, write_json
from bench.scenarios import (
    COUNTRY,
    CREATE,
    NAME,
    READ,
    Dataset,
    auth_headers,
    build,
    collect,
)
from bench.scheduling_bench import (
    BOOK,
    Row,
    World,
    booking_scenario,
    doctor_body,
    measure,
    open_all_day,
    post_many,
)
from bench.server import carehub_server

# moto answers one request at a time: more clients only queue (16 timed out at 10 s).
CLIENTS = (1, 4)
DOCTORS = 6  # the booking scenario books doctors 2..5
LOCAL_ONLY = "latencies on moto (local, one request at a time): not DynamoDB's, not for AWS"
# What each measured operation is, and which scenario's requests it samples.
OPERATIONS = {
    "read": READ,
    "create": CREATE,
    "booking": BOOK,
    "list page": COUNTRY,
    "name prefix": NAME,
}


@dataclass(frozen=True)
class DynamoConfig:
    """The run's settings, from CAREHUB_BENCH_* variables."""

    patients: int
    seconds: float
    samples: int

    @property
    def warmup(self) -> float:
        return min(1.0, self.seconds / 10)

    @classmethod
    def from_env(cls) -> DynamoConfig:
        env = os.environ
        return cls(
            patients=int(env.get("CAREHUB_BENCH_DYNAMODB_PATIENTS", "500")),
            seconds=float(env.get("CAREHUB_BENCH_DYNAMODB_SECONDS", "5")),
            samples=int(env.get("CAREHUB_BENCH_CAPACITY_SAMPLES", "20")),
        )


def main() -> None:
    config = DynamoConfig.from_env()
    console = Console(width=max(Console().width, 120))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    environment = run_environment()
    with (
        ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool,
        moto_dynamodb() as moto,
        carehub_server(
            moto.url,
            config.patients,
            extra_env=moto.env,
            log_level="DEBUG",  # the meter's lines are DEBUG
            demo_batch=2,  # a transaction takes 100 items: two patients' worth
            unpublished=moto.unpublished,
        ) as server,
    ):
        console.print(
            f"dynamodb (moto): {config.patients:,} patients in {server.load_seconds:.0f} s, "
            f"their events relayed in {server.relay_seconds:.0f} s"
        )
        headers = auth_headers(server.base_url)
        # A page's audit entry links each patient it lists, and a transaction takes 100
        # items: pages of 200 are refused on DynamoDB (docs/performance.md, "DynamoDB").
        dataset = collect(server.base_url, headers)
        plan = {scenario.name: scenario for scenario in build(dataset, headers)}
        bookings = iter(asyncio.run(booking_requests(server.base_url, headers, dataset, config)))
        sampled = {
            operation: list(islice(bookings, config.samples))
            if name == BOOK
            else _first(plan[name].requests, config.samples)
            for operation, name in OPERATIONS.items()
        }
        costs = measure_capacity(server, sampled)
        rows: list[Row] = []
        for clients in CLIENTS:
            booking = Scenario(BOOK, tuple(islice(bookings, 200 * clients)), deal=True)
            for scenario in (*plan.values(), booking):
                rows.append(measure(pool, server, scenario, clients, config.seconds, config.warmup))
                o = rows[-1].outcome
                console.print(
                    f"  {scenario.name} × {clients}: {o.rps:,.1f} 2xx/s, p95 {o.p95_ms:.1f} ms"
                )
    checks = capacity_targets(costs)
    print_latencies(console, rows, config)
    print_capacity(console, costs, checks)
    payload = {
        "bench": "dynamodb",
        "backend": "dynamodb on moto",
        "started_at": stamp,
        "config": asdict(config),
        "environment": environment,
        "load_seconds": round(server.load_seconds, 2),
        "relay_seconds": round(server.relay_seconds, 2),
        "latencies": LOCAL_ONLY,
        "measurements": [asdict(r) for r in rows],
        "capacity": {op: asdict(cost) for op, cost in costs.items()},
        "targets": [{**asdict(c), "met": c.met} for c in checks],
    }
    console.print(f"saved {write_json('dynamodb-moto', stamp, payload)}")


async def booking_requests(
    base_url: str, headers: dict[str, str], dataset: Dataset, config: DynamoConfig
) -> list[Request]:
    """POST /appointments bodies, each a free slot used once, for the sampled requests and
    both concurrencies (as `make bench-scheduling` books, on fewer doctors)."""
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        await open_all_day(client)
        doctors = await post_many(client, "/doctors", [doctor_body(n) for n in range(DOCTORS)])
    patients = [p["id"] for p in dataset.samples if p["countryId"] == "US"] or dataset.ids
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    world = World(
        doctors=[d["doctorId"] for d in doctors],
        patients=patients,
        samples=[],
        time_zone=doctors[0]["timeZone"],
        day0=datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC),
    )
    wanted = config.samples + 200 * sum(CLIENTS)
    scenario = await booking_scenario(base_url, headers, world, wanted / 1500)
    return list(scenario.requests)


def print_latencies(console: Console, rows: list[Row], config: DynamoConfig) -> None:
    table = Table(title=f"carehub on {LOCAL_ONLY}; {config.seconds:g} s each", title_justify="left")
    table.add_column("scenario")
    for header in ("clients", "2xx/s", "p50 ms", "p95 ms", "p99 ms", "errors", "server CPU"):
        table.add_column(header, justify="right")
    for row in rows:
        o = row.outcome
        table.add_row(
            row.scenario,
            str(row.clients),
            f"{o.rps:,.1f}",
            f"{o.p50_ms:.1f}",
            f"{o.p95_ms:.1f}",
            f"{o.p99_ms:.1f}",
            f"[red]{o.errors}[/red]" if o.errors else "0",
            f"{row.server_cpu:.0%}",
        )
    console.print(table)


def _first(requests: tuple[Request, ...], count: int) -> list[Request]:
    """`count` requests, going round the list when it is shorter (5 country pages)."""
    return [requests[n % len(requests)] for n in range(count)]


if __name__ == "__main__":
    main()
