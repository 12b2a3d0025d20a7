"""`make bench-timeline`: the first page of a long patient timeline.

One patient with 5,000 timeline entries (written through the timeline's repository, as
the consumer writes them, without the events that would feed it), then
`GET /patients/{id}/timeline?limit=20` over HTTP on a real `carehub serve`: p95 with 1
client and with 16, on SQLite and on PostgreSQL (CAREHUB_BENCH_DATABASE_URL, as
`make bench-http`). On DynamoDB (a moto server) the read capacity units of the page's
Query, as the server's capacity meter bills them (moto's latencies are local only).

Targets (issue 20): p95 < 20 ms with 1 client, < 60 ms with 16; the page's Query at most
2 RCU.

Environment:
  CAREHUB_BENCH_TIMELINE_ENTRIES   entries of the patient (5000)
  CAREHUB_BENCH_TIMELINE_SECONDS   measured seconds per concurrency (10)
  CAREHUB_BENCH_CAPACITY_SAMPLES   first pages whose units are read on DynamoDB (20)
  CAREHUB_BENCH_DATABASE_URL, CAREHUB_BENCH_BACKENDS  as for `make bench-http`
"""

from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from typing import Any

import httpx
import psycopg
from rich.console import Console
from rich.table import Table

from bench.capacity import OperationCost, measure_capacity
from bench.dynamodb_store import moto_dynamodb
from bench.http_bench import BenchConfig, measure
from bench.loadgen import Request, Scenario
from bench.report import Measurement, Target, run_environment, write_json
from bench.scenarios import auth_headers
from bench.server import RunningServer, backends_from_env, carehub_server, database
from carehub.bootstrap import open_store, secret_box
from carehub.config import Settings
from carehub.entrypoints.logging import configure_logging
from carehub.kernel.clock import SystemClock
from carehub.timeline.model import EntryType, TimelineEntry

CLIENTS = (1, 16)
PAGE = 20
SCENARIO = "timeline first page"
P95_LIMITS = {1: 20.0, 16: 60.0}  # ms
QUERY_RCU_LIMIT = 2.0
# A DynamoDB transaction takes 100 items; SQL takes a bigger unit gladly.
BATCH = {"dynamodb": 90, "sql": 1000}
SUMMARIES = {
    EntryType.PATIENT: ("updated", "Patient details updated", None),
    EntryType.APPOINTMENT: ("confirmed", "Appointment confirmed", "confirmed"),
    EntryType.DOCUMENT: ("uploaded", "Lab document uploaded", None),
    EntryType.NOTE: ("amended", "Note amended", "current"),
    EntryType.MEDICATION: ("started", "Medication started", "active"),
    EntryType.TASK: ("changed", "Task assigned", "open"),
    EntryType.CHECKLIST: ("item_checked", "Checklist item checked (3 required left)", None),
}


@dataclass(frozen=True)
class TimelineConfig:
    entries: int
    seconds: float
    samples: int
    postgres_url: str | None
    backends: tuple[str, ...]

    @classmethod
    def from_env(cls) -> TimelineConfig:
        env = os.environ
        backends, url = backends_from_env()
        return cls(
            entries=int(env.get("CAREHUB_BENCH_TIMELINE_ENTRIES", "5000")),
            seconds=float(env.get("CAREHUB_BENCH_TIMELINE_SECONDS", "10")),
            samples=int(env.get("CAREHUB_BENCH_CAPACITY_SAMPLES", "20")),
            postgres_url=url,
            backends=backends,
        )

    def load(self) -> BenchConfig:
        """What `http_bench.measure` reads of a run's settings."""
        return BenchConfig(1, self.seconds, None, self.backends)


def main() -> None:
    configure_logging("WARNING")  # this process writes entries: not its units' DEBUG lines
    config = TimelineConfig.from_env()
    console = Console(width=max(Console().width, 120))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    environment = run_environment()
    if environment["load_average_1_5_15"][0] > 0.5:
        console.print("[yellow]the machine is busy with something else: figures will suffer")
    rows: list[tuple[str, Measurement]] = []
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        for backend in config.backends:
            rows += [(backend, row) for row in bench_sql(backend, config, pool, console)]
        cost, moto_rows = bench_dynamodb(config, pool, console)
    checks = [
        Target(f"{backend} p95 < {P95_LIMITS[r.clients]:g} ms ({r.clients} cl.)",
               r.outcome.p95_ms, P95_LIMITS[r.clients], False)
        for backend, r in rows
    ]  # fmt: skip
    query_rcu = page_query_units(cost)
    checks.append(
        Target(f"dynamodb page Query <= {QUERY_RCU_LIMIT:g} RCU", query_rcu, QUERY_RCU_LIMIT, False)
    )
    print_results(console, rows, moto_rows, cost, checks, config)
    payload: dict[str, Any] = {
        "bench": "timeline",
        "started_at": stamp,
        "config": {**asdict(config), "page": PAGE, "clients": CLIENTS},
        "environment": environment,
        "measurements": [{"backend": b, **asdict(r)} for b, r in rows],
        "dynamodb_moto_latencies": [asdict(r) for r in moto_rows],
        "dynamodb_capacity": asdict(cost),
        "dynamodb_page_query_rcu": query_rcu,
        "targets": [{**asdict(c), "met": c.met} for c in checks],
    }
    payload["config"].pop("postgres_url")  # may hold a password
    console.print(f"saved {write_json('timeline', stamp, payload)}")


def bench_sql(
    backend: str, config: TimelineConfig, pool: ProcessPoolExecutor, console: Console
) -> list[Measurement]:
    with database(backend, config.postgres_url) as url, carehub_server(url, 1) as server:
        patient = long_timeline(server, config, "sql")
        if server.database_url.startswith("postgres"):
            plain = server.database_url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(plain) as conn:
                conn.execute("ANALYZE timeline_entries")
        scenario = first_page(server, patient)
        found = []
        for clients in CLIENTS:
            found.append(measure(pool, server, scenario, clients, config.load()))
            o = found[-1].outcome
            console.print(
                f"  {backend} × {clients}: {o.rps:,.0f} req/s, p95 {o.p95_ms:.2f} ms, "
                f"{o.errors} errors"
            )
        return found


def bench_dynamodb(
    config: TimelineConfig, pool: ProcessPoolExecutor, console: Console
) -> tuple[OperationCost, list[Measurement]]:
    with (
        moto_dynamodb() as moto,
        carehub_server(
            moto.url,
            1,
            extra_env=moto.env,
            log_level="DEBUG",  # the meter's lines are DEBUG
            demo_batch=2,
            unpublished=moto.unpublished,
        ) as server,
    ):
        # This process writes the entries: it needs the credentials moto takes.
        os.environ.update({k: v for k, v in moto.env.items() if k.startswith("AWS_")})
        patient = long_timeline(server, config, "dynamodb")
        scenario = first_page(server, patient)
        costs = measure_capacity(server, {SCENARIO: list(scenario.requests) * config.samples})
        found = [measure(pool, server, scenario, c, config.load()) for c in (1, 4)]
        for row in found:
            o = row.outcome
            console.print(f"  dynamodb (moto) × {row.clients}: p95 {o.p95_ms:.1f} ms (local only)")
        return costs[SCENARIO], found


def long_timeline(server: RunningServer, config: TimelineConfig, store: str) -> str:
    """A patient registered over HTTP, and `config.entries` entries of theirs written
    through the repository; checks that the route answers the newest ones."""
    headers = auth_headers(server.base_url)
    created = httpx.post(
        f"{server.base_url}/patients",
        json={"name": "Timeline Bench", "countryId": "PE"},
        headers=headers,
        timeout=30,
    )
    created.raise_for_status()
    patient: str = created.json()["id"]
    entries = [an_entry(patient, n) for n in range(config.entries)]
    asyncio.run(write_entries(server, entries, BATCH[store]))
    page = httpx.get(
        f"{server.base_url}/patients/{patient}/timeline",
        params={"limit": PAGE},
        headers=headers,
        timeout=30,
    )
    page.raise_for_status()
    newest = sorted(entries, key=lambda e: (e.occurred_at, e.event_id), reverse=True)[:PAGE]
    assert [item["eventId"] for item in page.json()["items"]] == [e.event_id for e in newest]
    return patient


def an_entry(patient: str, n: int) -> TimelineEntry:
    """Entry n: two years of a busy record, one entry every 3.5 hours, as the projection
    makes them (UUID ids, codes, a summary)."""
    entry_type = list(EntryType)[n % len(EntryType)]
    action, summary, status = SUMMARIES[entry_type]
    return TimelineEntry(
        patient_id=patient,
        event_id=str(uuid.uuid4()),
        occurred_at=datetime(2029, 1, 1, tzinfo=UTC) + timedelta(minutes=210 * n),
        entry_type=entry_type,
        action=action,
        item_id=str(uuid.uuid4()),
        actor_id=str(uuid.uuid4()),
        summary=summary,
        status=status,
        version=n % 5 + 1,
    )


async def write_entries(server: RunningServer, entries: list[TimelineEntry], batch: int) -> None:
    settings = Settings(
        database_url=server.database_url,
        data_dir=server.env["CAREHUB_DATA_DIR"],
        aws_endpoint_url=server.env.get("CAREHUB_AWS_ENDPOINT_URL"),
    )
    store = await open_store(settings, SystemClock(), lambda: None, secrets=secret_box(settings))
    try:
        for start in range(0, len(entries), batch):
            async with store.units_of_work() as uow:
                for entry in entries[start : start + batch]:
                    await uow.timeline.add(entry)
                await uow.commit()
    finally:
        await store.close()


def first_page(server: RunningServer, patient: str) -> Scenario:
    headers = tuple(auth_headers(server.base_url).items())
    path = f"/patients/{patient}/timeline?limit={PAGE}"
    return Scenario(SCENARIO, (Request("GET", path, headers),))


def page_query_units(cost: OperationCost) -> float:
    """The read units of the timeline's Query alone, per request."""
    return sum(units[1] for label, units in cost.items.items() if "TIMELINE" in label)


def print_results(
    console: Console,
    rows: list[tuple[str, Measurement]],
    moto_rows: list[Measurement],
    cost: OperationCost,
    checks: list[Target],
    config: TimelineConfig,
) -> None:
    table = Table(
        title=f"first timeline page ({PAGE} of {config.entries:,} entries), "
        f"{config.seconds:g} s each",
        title_justify="left",
    )
    table.add_column("store")
    for header in ("clients", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "server CPU"):
        table.add_column(header, justify="right")
    for backend, row in [*rows, *(("dynamodb (moto, local)", r) for r in moto_rows)]:
        o = row.outcome
        table.add_row(
            backend,
            str(row.clients),
            f"{o.rps:,.0f}",
            f"{o.p50_ms:.2f}",
            f"{o.p95_ms:.2f}",
            f"{o.p99_ms:.2f}",
            str(o.errors),
            f"{row.server_cpu:.0%}",
        )
    console.print(table)
    console.print(
        f"dynamodb, per first page: {cost.mean_read:.2f} RCU, {cost.mean_write:.2f} WCU "
        f"(statuses {cost.statuses}); items, RCU, WCU:"
    )
    for label, (n, read, write) in cost.items.items():
        console.print(f"    {label:<44} {n:>6.2f} {read:>7.2f} {write:>7.2f}")
    for check in checks:
        mark = "[green]✓ met[/green]" if check.met else "[red]✗ missed[/red]"
        console.print(f"  {mark}  {check.name}: {check.value:.2f}")


if __name__ == "__main__":
    main()
