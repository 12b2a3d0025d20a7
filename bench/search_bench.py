"""`make bench-search`: patient search at a million patients, and reads with and without
the cache.

For each SQL store: `carehub demo` bulk-loads the patients (their registration events are
dropped before the server starts: the benchmark measures search, not a million
deliveries to the consumers; the demo indexes what it loads itself), 300 marker patients
with names the demo never uses are registered over HTTP and indexed by the consumer, then
`GET /patients/search` is timed on a real `carehub serve`:

- cold: each typo query sent once, in turn, right after the server starts;
- warm, with 1 and 16 clients: queries spelt right, with one typo, and common names that
  match thousands of patients;
- recall@10 of the typo queries (the marker among the first ten).

Then a read by id on that server (cache on) against a second server on the same database
with the cache off, in the same run. On DynamoDB (a moto server, fewer patients) the items
and read units each search costs, as the capacity meter logs them.

Targets (issue 21), at 1,000,000 patients: search p95 < 30 ms on PostgreSQL and < 50 ms on
SQLite with one client; recall@10 >= 0.95 on the typo set; a cached read at least 1.3x an
uncached one.

Environment:
  CAREHUB_BENCH_SEARCH_PATIENTS    demo patients (1000000)
  CAREHUB_BENCH_SEARCH_SECONDS     measured seconds per scenario and concurrency (8)
  CAREHUB_BENCH_DYNAMODB_PATIENTS  demo patients on DynamoDB (300)
  CAREHUB_BENCH_REDIS_URL          cache in Redis on PostgreSQL (default: in-process)
  CAREHUB_BENCH_DATABASE_URL, CAREHUB_BENCH_BACKENDS  as for `make bench-http`
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import psycopg
from rich.console import Console

from bench.capacity import measure_capacity
from bench.dynamodb_store import moto_dynamodb
from bench.http_bench import BenchConfig, measure
from bench.loadgen import Request, Scenario
from bench.report import Measurement, Target, run_environment, write_json
from bench.scenarios import auth_headers
from bench.search_queries import COMMON_QUERIES, Marker, markers
from bench.server import (
    CAREHUB,
    RunningServer,
    backends_from_env,
    carehub_server,
    database,
    second_server,
)
from carehub.entrypoints.logging import configure_logging

CLIENTS = (1, 16)
TOP = 10
MARKERS = 300
P95_LIMITS = {"sqlite": 50.0, "postgresql": 30.0}  # ms, one client
RECALL_TARGET = 0.95
CACHED_RATIO = 1.3
EXACT, TYPO, COMMON = "search, spelt right", "search, one typo", "search, common names"
COLD = "search, one typo, cold"
READ_CACHED, READ_UNCACHED = "read by id, cached", "read by id, uncached"


@dataclass(frozen=True)
class SearchConfig:
    patients: int
    seconds: float
    dynamodb_patients: int
    postgres_url: str | None
    backends: tuple[str, ...]

    @classmethod
    def from_env(cls) -> SearchConfig:
        env = os.environ
        backends, url = backends_from_env()
        return cls(
            patients=int(env.get("CAREHUB_BENCH_SEARCH_PATIENTS", "1000000")),
            seconds=float(env.get("CAREHUB_BENCH_SEARCH_SECONDS", "8")),
            dynamodb_patients=int(env.get("CAREHUB_BENCH_DYNAMODB_PATIENTS", "300")),
            postgres_url=url,
            backends=backends,
        )

    def load(self) -> BenchConfig:
        return BenchConfig(self.patients, self.seconds, None, self.backends)


class ColdConfig(BenchConfig):
    """No warm-up: a cold query sent while warming up would not be measured."""

    @property
    def warmup(self) -> float:
        return 0.0


def main() -> None:
    configure_logging("WARNING")
    config = SearchConfig.from_env()
    console = Console(width=max(Console().width, 120))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    environment = run_environment()
    if environment["load_average_1_5_15"][0] > 0.5:
        console.print("[yellow]the machine is busy with something else: figures will suffer")
    results: dict[str, Any] = {}
    checks: list[Target] = []
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        for backend in config.backends:
            found = bench_sql(backend, config, pool, console)
            results[backend] = found
            checks += sql_targets(backend, found)
        results["dynamodb"] = bench_dynamodb(config, console)
    for check in checks:
        mark = "[green]✓ met[/green]" if check.met else "[red]✗ missed[/red]"
        console.print(f"  {mark}  {check.name}: {check.value:.2f}")
    payload = {
        "bench": "search",
        "started_at": stamp,
        "config": {**asdict(config), "markers": MARKERS, "clients": CLIENTS},
        "environment": environment,
        "results": results,
        "targets": [{**asdict(c), "met": c.met} for c in checks],
    }
    payload["config"].pop("postgres_url")  # may hold a password
    console.print(f"saved {write_json('search', stamp, payload)}")


def bench_sql(
    backend: str, config: SearchConfig, pool: ProcessPoolExecutor, console: Console
) -> dict[str, Any]:
    people = markers(MARKERS)
    cached, uncached = cache_settings(backend)
    with (
        database(backend, config.postgres_url) as url,
        carehub_server(
            url, config.patients, extra_env=cached, after_load=drop_demo_events
        ) as server,
    ):
        console.print(
            f"{backend}: {config.patients:,} patients loaded in {server.load_seconds:.0f} s"
        )
        headers = auth_headers(server.base_url)
        ids = register_markers(server, headers, people)
        console.print(f"  {len(ids)} markers registered and found by search")
        cold_load = ColdConfig(config.patients, 600.0, None, config.backends)
        cold = measure(pool, server, cold_scenario(headers, people), 1, cold_load)
        rows = [cold]
        plan = [
            search_scenario(EXACT, headers, [m.name for m in people]),
            search_scenario(TYPO, headers, [m.typo_query for m in people]),
            search_scenario(COMMON, headers, list(COMMON_QUERIES)),
        ]
        for clients in CLIENTS:
            rows += [measure(pool, server, s, clients, config.load()) for s in plan]
        recall = recall_at_top(server, headers, people, ids)
        reads = read_scenario(headers, list(ids.values()))
        with second_server(server, [CAREHUB, "serve"], uncached) as uncached:
            for clients in CLIENTS:
                rows.append(
                    rename(measure(pool, server, reads, clients, config.load()), READ_CACHED)
                )
                rows.append(
                    rename(measure(pool, uncached, reads, clients, config.load()), READ_UNCACHED)
                )
    for row in rows:
        o = row.outcome
        console.print(
            f"  {row.scenario} × {row.clients}: {o.rps:,.0f} req/s, p50 {o.p50_ms:.2f} ms, "
            f"p95 {o.p95_ms:.2f} ms, {o.errors} errors"
        )
    console.print(f"  recall@{TOP} of the typo queries: {recall:.3f}")
    return {
        "patients": config.patients,
        "load_seconds": round(server.load_seconds, 1),
        "recall_at_10": recall,
        "measurements": [asdict(r) for r in rows],
    }


def cache_settings(backend: str) -> tuple[dict[str, str], dict[str, str]]:
    """The measured server's cache, and the second server's (off). Both count request
    budgets in the same place, so only the read cache differs between them. One server
    process writes: the in-process cache is exact there (with Redis on PostgreSQL when
    CAREHUB_BENCH_REDIS_URL is set)."""
    redis_url = os.environ.get("CAREHUB_BENCH_REDIS_URL")
    if backend == "postgresql" and redis_url:
        shared = {"CAREHUB_CACHE_URL": redis_url}
        return {**shared, "CAREHUB_CACHE": "auto"}, {**shared, "CAREHUB_CACHE": "off"}
    return {"CAREHUB_CACHE": "memory"}, {"CAREHUB_CACHE": "off"}


def drop_demo_events(env: dict[str, str]) -> None:
    """Forget the demo's registration events before the server starts (see the module)."""
    url = env["CAREHUB_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute("DELETE FROM outbox")
        return
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("DELETE FROM outbox")


def register_markers(
    server: RunningServer, headers: dict[str, str], people: list[Marker]
) -> dict[str, str]:
    """Register the markers over HTTP; wait until search finds every one of them."""
    ids: dict[str, str] = {}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        for marker in people:
            created = client.post(
                "/patients", json={"name": marker.name, "countryId": marker.country_id}
            )
            created.raise_for_status()
            ids[marker.name] = created.json()["id"]
        deadline = time.monotonic() + 300
        waiting = list(people)
        while waiting and time.monotonic() < deadline:
            waiting = [m for m in waiting if ids[m.name] not in top_ids(client, m.name)]
            if waiting:
                time.sleep(1)
    if waiting:
        raise RuntimeError(f"{len(waiting)} markers were never indexed")
    return ids


def top_ids(client: httpx.Client, query: str) -> list[str]:
    response = client.get("/patients/search", params={"q": query, "limit": TOP})
    response.raise_for_status()
    return [item["id"] for item in response.json()["items"]]


def recall_at_top(
    server: RunningServer, headers: dict[str, str], people: list[Marker], ids: dict[str, str]
) -> float:
    """The share of typo queries whose marker is among the first ten results."""
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        hits = sum(ids[m.name] in top_ids(client, m.typo_query) for m in people)
    return hits / len(people)


def search_path(query: str) -> str:
    return "/patients/search?" + urlencode({"q": query, "limit": TOP})


def search_scenario(name: str, headers: dict[str, str], queries: list[str]) -> Scenario:
    sent = tuple(headers.items())
    return Scenario(name, tuple(Request("GET", search_path(q), sent) for q in queries))


def cold_scenario(headers: dict[str, str], people: list[Marker]) -> Scenario:
    """Each typo query once, in turn: none of them has been asked since the server started."""
    queries = [m.typo_query for m in people]
    random.Random(5).shuffle(queries)
    scenario = search_scenario(COLD, headers, queries)
    return Scenario(COLD, scenario.requests, deal=True)


def read_scenario(headers: dict[str, str], ids: list[str]) -> Scenario:
    sent = tuple(headers.items())
    return Scenario(READ_CACHED, tuple(Request("GET", f"/patients/{quote(i)}", sent) for i in ids))


def rename(row: Measurement, scenario: str) -> Measurement:
    return Measurement(**{**asdict(row), "scenario": scenario, "outcome": row.outcome})


def sql_targets(backend: str, found: dict[str, Any]) -> list[Target]:
    rows = found["measurements"]

    def p95(scenario: str, clients: int) -> float:
        return next(
            r["outcome"]["p95_ms"]
            for r in rows
            if r["scenario"] == scenario and r["clients"] == clients
        )

    def rps(scenario: str, clients: int) -> float:
        return next(
            r["outcome"]["rps"]
            for r in rows
            if r["scenario"] == scenario and r["clients"] == clients
        )

    limit = P95_LIMITS[backend]
    checks = [
        Target(f"{backend} {s} p95 < {limit:g} ms (1 cl.)", p95(s, 1), limit, False)
        for s in (EXACT, TYPO, COMMON)
    ]
    checks.append(
        Target(f"{backend} recall@10, typo set", found["recall_at_10"], RECALL_TARGET, True)
    )
    for clients in CLIENTS:
        ratio = rps(READ_CACHED, clients) / max(rps(READ_UNCACHED, clients), 1e-9)
        checks.append(
            Target(f"{backend} cached/uncached read ({clients} cl.)", ratio, CACHED_RATIO, True)
        )
    return checks


def bench_dynamodb(config: SearchConfig, console: Console) -> dict[str, Any]:
    """Items and read units per search on DynamoDB (moto), as the meter bills them."""
    people = markers(50, seed=13)
    with (
        moto_dynamodb() as moto,
        carehub_server(
            moto.url,
            config.dynamodb_patients,
            extra_env=moto.env,
            log_level="DEBUG",  # the meter's lines are DEBUG
            demo_batch=2,
            unpublished=moto.unpublished,
        ) as server,
    ):
        headers = auth_headers(server.base_url)
        register_markers(server, headers, people)
        # Request ids carry the operation's name: letters, digits and dashes only.
        sets = {
            "spelt-right": search_scenario(EXACT, headers, [m.name for m in people]).requests,
            "one-typo": search_scenario(TYPO, headers, [m.typo_query for m in people]).requests,
            "common-names": search_scenario(COMMON, headers, list(COMMON_QUERIES)).requests,
        }
        costs = measure_capacity(server, {k: list(v) for k, v in sets.items()})
    found: dict[str, Any] = {"patients": config.dynamodb_patients}
    for name, cost in costs.items():
        search_items = {label: units for label, units in cost.items.items() if "SEARCH" in label}
        found[name] = {
            "mean_rcu": cost.mean_read,
            "max_rcu": max(cost.read_units, default=0.0),
            "search_items_per_query": {k: v[0] for k, v in search_items.items()},
        }
        console.print(
            f"  dynamodb {name}: {cost.mean_read:.1f} RCU on average, "
            f"{max(cost.read_units, default=0.0):.1f} at most; search items per query "
            f"{sum(v[0] for v in search_items.values()):.1f}"
        )
    return found


if __name__ == "__main__":
    main()
