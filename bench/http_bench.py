"""`make bench`: carehub over HTTP on SQLite, and on PostgreSQL when asked.

Environment:
  CAREHUB_BENCH_PATIENTS      demo patients loaded before measuring (100000)
  CAREHUB_BENCH_SECONDS       measured seconds per scenario and concurrency (20)
  CAREHUB_BENCH_DATABASE_URL  a PostgreSQL URL: also measure PostgreSQL, on a fresh
                              carehub_bench_* database made on that server, dropped after
  CAREHUB_BENCH_BACKENDS      e.g. "postgresql" to run one backend only (default: sqlite,
                              plus postgresql when CAREHUB_BENCH_DATABASE_URL is set)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing import get_context

from rich.console import Console

from bench.loadgen import Load, Outcome, Request, Scenario, run
from bench.report import (
    Measurement,
    as_json,
    print_report,
    run_environment,
    targets,
    write_json,
)
from bench.scenarios import (
    FLOOR,
    PAGE_LIMIT,
    Dataset,
    auth_headers,
    baseline_read,
    build,
    collect,
    sign_in_scenario,
)
from bench.server import (
    HOST,
    RunningServer,
    backends_from_env,
    baseline_server,
    carehub_server,
    cpu_used,
    database,
    free_port,
    machine_busy_seconds,
)

CLIENTS = (1, 16)


@dataclass(frozen=True)
class BenchConfig:
    """The run's settings, from CAREHUB_BENCH_* variables."""

    patients: int
    seconds: float
    postgres_url: str | None
    backends: tuple[str, ...]

    @property
    def warmup(self) -> float:
        return min(2.0, self.seconds / 10)

    @classmethod
    def from_env(cls) -> BenchConfig:
        env = os.environ
        backends, url = backends_from_env()
        return cls(
            patients=int(env.get("CAREHUB_BENCH_PATIENTS", "100000")),
            seconds=float(env.get("CAREHUB_BENCH_SECONDS", "20")),
            postgres_url=url,
            backends=backends,
        )


def main() -> None:
    """Measure the load generator's own ceiling, then each backend in turn."""
    config = BenchConfig.from_env()
    console = Console(width=max(Console().width, 132))  # the table needs the room
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        ceiling = client_ceiling(pool, config)
        for clients, outcome in ceiling.items():
            console.print(f"load generator ceiling, {clients} cl.: {outcome.rps:,.0f} req/s (stub)")
        for backend in config.backends:
            bench_backend(backend, config, pool, ceiling, console)


def client_ceiling(pool: ProcessPoolExecutor, config: BenchConfig) -> dict[int, Outcome]:
    """Requests/s the load generator reaches against a server that does nothing."""
    port = free_port()
    stub = subprocess.Popen([sys.executable, "-m", "bench.stub", str(port)])
    try:
        _wait_listening(port)
        floor = Scenario(FLOOR, (Request("GET", "/health/live"),))
        seconds = min(5.0, config.seconds)
        return {
            c: pool.submit(run, Load(HOST, port, c, seconds, config.warmup), floor).result()
            for c in CLIENTS
        }
    finally:
        stub.terminate()
        stub.wait()


def bench_backend(
    backend: str,
    config: BenchConfig,
    pool: ProcessPoolExecutor,
    ceiling: dict[int, Outcome],
    console: Console,
) -> None:
    """Load the patients, run every scenario at every concurrency, report and save."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    environment = run_environment()
    if environment["load_average_1_5_15"][0] > 0.5:
        console.print("[yellow]the machine is busy with something else: figures will suffer")
    with (
        database(backend, config.postgres_url) as url,
        carehub_server(url, config.patients) as server,
    ):
        console.print(
            f"{backend}: {config.patients:,} patients in {server.load_seconds:.0f} s, "
            f"their events relayed and consumed in {server.relay_seconds:.0f} s"
        )
        headers = auth_headers(server.base_url)
        dataset = collect(server.base_url, headers)
        plan = build(dataset, headers)
        peak_mb = server.tree.peak_rss_mb()  # startup, loading caches, listing every page
        rows: list[Measurement] = []
        for clients in CLIENTS:
            for scenario in plan:
                row = measure(pool, server, scenario, clients, config)
                rows.append(row)
                o = row.outcome
                console.print(
                    f"  {row.scenario} × {clients}: {o.rps:,.0f} req/s, "
                    f"p95 {o.p95_ms:.2f} ms, {o.errors} errors"
                )
        rows += identity_rows(pool, server, dataset, config, console)
        peak_mb = max(peak_mb, *(r.peak_rss_mb for r in rows))
    checks = targets(rows, peak_mb)
    title = f"carehub on {backend}, {config.patients:,} patients, {config.seconds:g} s each"
    print_report(console, title, rows, checks)
    payload = {
        "backend": backend,
        "started_at": stamp,
        "config": {**asdict(config), "warmup": config.warmup, "clients": CLIENTS},
        "page_limit": PAGE_LIMIT,
        "environment": environment,
        "load_seconds": round(server.load_seconds, 2),
        "relay_seconds": round(server.relay_seconds, 2),
        "server_peak_rss_mb": round(peak_mb, 1),
        "client_ceiling": {str(c): asdict(o) for c, o in ceiling.items()},
        **as_json(rows, checks),
    }
    payload["config"].pop("postgres_url")  # may hold a password
    console.print(f"saved {write_json(backend, stamp, payload)}")


def identity_rows(
    pool: ProcessPoolExecutor,
    server: RunningServer,
    dataset: Dataset,
    config: BenchConfig,
    console: Console,
) -> list[Measurement]:
    """Sign-in on the real server; read by id on the unguarded baseline (same database)."""
    rows = [measure(pool, server, sign_in_scenario(), c, config) for c in CLIENTS]
    with baseline_server(server) as baseline:
        rows += [measure(pool, baseline, baseline_read(dataset), c, config) for c in CLIENTS]
    for row in rows:
        o = row.outcome
        console.print(
            f"  {row.scenario} × {row.clients}: {o.rps:,.0f} req/s, p95 {o.p95_ms:.2f} ms"
        )
    return rows


def measure(
    pool: ProcessPoolExecutor,
    server: RunningServer,
    scenario: Scenario,
    clients: int,
    config: BenchConfig,
) -> Measurement:
    """One scenario at one concurrency, with the server's peak RSS and CPU meanwhile."""
    run_id = f"{uuid.uuid4().hex[:8]}c{clients}"
    load = Load(server.host, server.port, clients, config.seconds, config.warmup, run_id)
    server.tree.reset_peak()
    started, busy = time.perf_counter(), machine_busy_seconds()
    server_before, database_before = server.tree.cpu_by_pid(), server.database_cpu_by_pid()
    outcome = pool.submit(run, load, scenario).result()
    wall = time.perf_counter() - started
    server_cpu = cpu_used(server_before, server.tree.cpu_by_pid()) / wall
    database_cpu = cpu_used(database_before, server.database_cpu_by_pid()) / wall
    busy = (machine_busy_seconds() - busy) / wall
    return Measurement(
        scenario=scenario.name,
        clients=clients,
        outcome=outcome,
        peak_rss_mb=server.tree.peak_rss_mb(),
        server_cpu=server_cpu,
        database_cpu=database_cpu,
        other_cpu=max(0.0, busy - server_cpu - database_cpu - outcome.client_cpu),
    )


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("bench.stub did not start")


if __name__ == "__main__":
    main()
