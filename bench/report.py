"""Targets, the printed table and the JSON file of one backend's run."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.loadgen import Outcome
from bench.scenarios import CREATE, FLOOR, NAME, NOTE, READ, READ_BASELINE

RESULTS = Path(__file__).with_name("results")
_NUMBER_COLUMNS = (
    "clients",
    "req/s",
    "vs floor",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "server CPU",
    "client CPU",
    "db CPU",
    "other CPU",
    "peak RSS MB",
)


@dataclass(frozen=True)
class Measurement:
    """One scenario at one concurrency, with what the server process used meanwhile."""

    scenario: str
    clients: int
    outcome: Outcome
    peak_rss_mb: float
    server_cpu: float  # shares of one core: the carehub server process
    database_cpu: float  # PostgreSQL's backends for the benchmark database (0 on SQLite)
    other_cpu: float  # everything else on the machine (other jobs, kernel threads)


@dataclass(frozen=True)
class Target:
    """A goal this machine should meet; `at_least` False means `value` must stay below."""

    name: str
    value: float
    limit: float
    at_least: bool

    @property
    def met(self) -> bool:
        return self.value >= self.limit if self.at_least else self.value < self.limit


def ratio_to_floor(rows: list[Measurement], row: Measurement) -> float:
    """Requests/s of `row` over the floor's at the same concurrency."""
    floor = next(r for r in rows if r.scenario == FLOOR and r.clients == row.clients)
    return row.outcome.rps / floor.outcome.rps if floor.outcome.rps else math.nan


def targets(rows: list[Measurement], server_peak_mb: float) -> list[Target]:
    """The goals for a 2-core machine at 100,000 patients, checked at every concurrency."""
    found: list[Target] = []
    for clients in sorted({r.clients for r in rows}):
        at = {r.scenario: r for r in rows if r.clients == clients}
        found += [
            Target(
                f"read/floor >= 0.50 ({clients} cl.)", ratio_to_floor(rows, at[READ]), 0.5, True
            ),
            Target(
                f"create/floor >= 0.30 ({clients} cl.)", ratio_to_floor(rows, at[CREATE]), 0.3, True
            ),
            Target(f"name-prefix p95 < 20 ms ({clients} cl.)", at[NAME].outcome.p95_ms, 20, False),
        ]
        note, create = at.get(NOTE), at.get(CREATE)
        if note and create and create.outcome.rps:
            found.append(
                Target(
                    f"note write / patient create >= 0.80 ({clients} cl.)",
                    note.outcome.rps / create.outcome.rps,
                    0.8,
                    True,
                )
            )
        guarded, unguarded = at.get(READ), at.get(READ_BASELINE)
        if guarded and unguarded and unguarded.outcome.rps:
            found.append(
                Target(
                    f"read with auth+audit / without >= 0.70 ({clients} cl.)",
                    guarded.outcome.rps / unguarded.outcome.rps,
                    0.7,
                    True,
                )
            )
    found.append(Target("server peak RSS < 200 MB", server_peak_mb, 200, False))
    return found


def print_report(
    console: Console, title: str, rows: list[Measurement], checks: list[Target]
) -> None:
    """A table of every measurement, then each target with ✓ or ✗."""
    table = Table(title=title, title_justify="left")
    table.add_column("scenario")
    for header in _NUMBER_COLUMNS:
        table.add_column(header, justify="right")
    for row in rows:
        o = row.outcome
        table.add_row(
            row.scenario,
            str(row.clients),
            f"{o.rps:,.0f}",
            f"{ratio_to_floor(rows, row):.2f}",
            f"{o.p50_ms:.2f}",
            f"{o.p95_ms:.2f}",
            f"{o.p99_ms:.2f}",
            f"[red]{o.errors}[/red]" if o.errors else "0",
            f"{row.server_cpu:.0%}",
            f"{o.client_cpu:.0%}",
            f"{row.database_cpu:.0%}",
            f"{row.other_cpu:.0%}",
            f"{row.peak_rss_mb:.0f}",
        )
    console.print(table)
    for check in checks:
        mark = "[green]✓ met[/green]" if check.met else "[red]✗ missed[/red]"
        console.print(f"  {mark}  {check.name}: {check.value:.2f}")


def write_json(backend: str, stamp: str, payload: dict[str, Any]) -> Path:
    """Save the run as bench/results/<backend>-<timestamp>.json."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{backend}-{stamp}.json"
    path.write_text(json.dumps(_finite(payload), indent=2, default=str) + "\n")
    return path


def as_json(rows: list[Measurement], checks: list[Target]) -> dict[str, Any]:
    """The measurements and targets as plain data."""
    return {
        "measurements": [
            {**asdict(r), "ratio_to_floor": round(ratio_to_floor(rows, r), 4)} for r in rows
        ],
        "targets": [{**asdict(c), "met": c.met} for c in checks],
    }


def _finite(value: Any) -> Any:
    """NaN (no requests completed) as null: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def run_environment() -> dict[str, Any]:
    """Where and on what a run happened, stored with its figures."""
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"], capture_output=True, text=True
    )
    return {
        "cpus": os.cpu_count(),
        "load_average_1_5_15": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit.stdout.strip() or None,
        "src_changed_since_commit": bool(changed.stdout.strip()),
        "server_settings": {  # CAREHUB_* passed through to the server, secrets left out
            k: v
            for k, v in os.environ.items()
            if k.startswith("CAREHUB_")
            and not k.startswith("CAREHUB_BENCH_")
            and not any(word in k for word in ("PASSWORD", "SECRET", "KEY", "TOKEN"))
        },
    }
