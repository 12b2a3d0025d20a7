"""`make bench-fhir`: a FHIR Patient read against the native read, and the Synthea import.

- Reads: `carehub demo` loads the patients, and one `carehub serve` (cache off, so both
  routes read the store) answers `GET /patients/{id}` and `GET /fhir/R4/Patient/{id}` for
  the same ids, with 1 and 16 clients, in the same run.
- Import: both Synthea folders (information bundles first, as `carehub import fhir` orders
  them) into a fresh database of each store, DynamoDB on moto among them, timed in process
  around the importer's calls (not the start, nor `build()`), in resources read per second
  (`bench.fhir_import`).

Targets (issue 22): a FHIR read at least 0.8x the native read's rate; the import at least
2,000 resources/s on SQLite.

Environment:
  CAREHUB_BENCH_FHIR_PATIENTS    demo patients for the reads (10000)
  CAREHUB_BENCH_FHIR_SECONDS     measured seconds per scenario and concurrency (8)
  CAREHUB_BENCH_DATABASE_URL, CAREHUB_BENCH_BACKENDS  as for `make bench-http`
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from typing import Any
from urllib.parse import quote

import httpx
from rich.console import Console

from bench.fhir_import import IMPORT_TARGET, bench_import
from bench.http_bench import BenchConfig, measure
from bench.loadgen import Request, Scenario
from bench.report import Measurement, Target, run_environment, write_json
from bench.scenarios import auth_headers
from bench.server import backends_from_env, carehub_server, database
from carehub.entrypoints.logging import configure_logging

CLIENTS = (1, 16)
READ_RATIO = 0.8
NATIVE, FHIR = "read by id, native", "read by id, FHIR"
IDS = 2_000


@dataclass(frozen=True)
class FhirConfig:
    patients: int
    seconds: float
    postgres_url: str | None
    backends: tuple[str, ...]

    @classmethod
    def from_env(cls) -> FhirConfig:
        backends, url = backends_from_env()
        return cls(
            patients=int(os.environ.get("CAREHUB_BENCH_FHIR_PATIENTS", "10000")),
            seconds=float(os.environ.get("CAREHUB_BENCH_FHIR_SECONDS", "8")),
            postgres_url=url,
            backends=backends,
        )

    def load(self) -> BenchConfig:
        return BenchConfig(self.patients, self.seconds, None, self.backends)


def main() -> None:
    configure_logging("WARNING")
    config = FhirConfig.from_env()
    console = Console(width=max(Console().width, 120))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    # Before the run: taken after, the load average would count the run's own work.
    environment = run_environment()
    load = environment["load_average_1_5_15"]
    console.print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if load[0] > 0.5:
        console.print("[yellow]the machine is busy with something else: figures will suffer")
    results: dict[str, Any] = {}
    checks: list[Target] = []
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        for backend in config.backends:
            rows = bench_reads(backend, config, pool, console)
            imported = bench_import(backend, config.postgres_url, console)
            results[backend] = {"reads": [asdict(r) for r in rows], "import": imported}
            checks += targets(backend, rows, imported)
        results["dynamodb"] = {"import": bench_import("dynamodb", None, console)}
    for check in checks:
        mark = "[green]✓ met[/green]" if check.met else "[red]✗ missed[/red]"
        console.print(f"  {mark}  {check.name}: {check.value:.2f}")
    payload: dict[str, Any] = {
        "bench": "fhir",
        "started_at": stamp,
        "config": {**asdict(config), "clients": CLIENTS},
        "environment": environment,
        "results": results,
        "targets": [{**asdict(c), "met": c.met} for c in checks],
    }
    payload["config"].pop("postgres_url")  # may hold a password
    console.print(f"saved {write_json('fhir', stamp, payload)}")


def bench_reads(
    backend: str, config: FhirConfig, pool: ProcessPoolExecutor, console: Console
) -> list[Measurement]:
    with (
        database(backend, config.postgres_url) as url,
        carehub_server(url, config.patients, extra_env={"CAREHUB_CACHE": "off"}) as server,
    ):
        headers = auth_headers(server.base_url)
        ids = patient_ids(server.base_url, headers)
        native = Scenario(NATIVE, tuple(read(f"/patients/{quote(i)}", headers) for i in ids))
        fhir = Scenario(FHIR, tuple(read(f"/fhir/R4/Patient/{quote(i)}", headers) for i in ids))
        rows = []
        for clients in CLIENTS:
            # Alternated, so a drift of the machine meanwhile touches both alike.
            rows.append(measure(pool, server, native, clients, config.load()))
            rows.append(measure(pool, server, fhir, clients, config.load()))
    for row in rows:
        o = row.outcome
        console.print(
            f"{backend}: {row.scenario} × {row.clients}: {o.rps:,.0f} req/s, "
            f"p50 {o.p50_ms:.2f} ms, p95 {o.p95_ms:.2f} ms, {o.errors} errors"
        )
    return rows


def read(path: str, headers: dict[str, str]) -> Request:
    return Request("GET", path, tuple(headers.items()))


def patient_ids(base_url: str, headers: dict[str, str]) -> list[str]:
    """Up to IDS patient ids, from the native list's pages."""
    ids: list[str] = []
    cursor: str | None = None
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        while len(ids) < IDS:
            params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            page = client.get("/patients", params=params).json()
            ids += [p["id"] for p in page["items"]]
            cursor = page["nextCursor"]
            if cursor is None:
                break
    return ids[:IDS]


def targets(backend: str, rows: list[Measurement], imported: dict[str, Any]) -> list[Target]:
    def rps(scenario: str, clients: int) -> float:
        return next(r.outcome.rps for r in rows if (r.scenario, r.clients) == (scenario, clients))

    found = [
        Target(
            f"{backend}: FHIR / native read × {clients}",
            rps(FHIR, clients) / max(rps(NATIVE, clients), 1e-9),
            READ_RATIO,
            True,
        )
        for clients in CLIENTS
    ]
    if backend == "sqlite":
        found.append(
            Target("sqlite: Synthea import, resources/s", imported["rate"], IMPORT_TARGET, True)
        )
    return found


if __name__ == "__main__":
    main()
