"""The processes under test: a fresh database, `carehub db upgrade`, `demo` and `serve`."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import psycopg

CAREHUB = str(Path(sys.executable).with_name("carehub"))
HOST = "127.0.0.1"
ADMIN_EMAIL = "bench-admin@carehub.invalid"
ADMIN_PASSWORD = "benchmark passphrase 2026"
_TICKS = os.sysconf("SC_CLK_TCK")

BACKENDS = ("sqlite", "postgresql")


def backends_from_env() -> tuple[tuple[str, ...], str | None]:
    """The backends to measure (CAREHUB_BENCH_BACKENDS) and the PostgreSQL server's URL."""
    env = os.environ
    url = env.get("CAREHUB_BENCH_DATABASE_URL") or None
    default = ",".join(BACKENDS if url else BACKENDS[:1])
    backends = tuple(b for b in env.get("CAREHUB_BENCH_BACKENDS", default).split(",") if b)
    if unknown := set(backends) - set(BACKENDS):
        raise SystemExit(f"unknown backends {sorted(unknown)}; choose from {BACKENDS}")
    if "postgresql" in backends and not url:
        raise SystemExit("postgresql needs CAREHUB_BENCH_DATABASE_URL")
    return backends, url


@contextmanager
def database(backend: str, postgres_url: str | None) -> Iterator[str | None]:
    """The database URL to serve from: None for SQLite in a temporary folder."""
    if backend == "sqlite":
        yield None
        return
    assert postgres_url is not None  # backends_from_env checked it
    with fresh_postgres(postgres_url) as url:
        yield url


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_postgres(url: str) -> Iterator[str]:
    """A new database on the server `url` points at (named carehub_bench_*), dropped after."""
    name = f"carehub_bench_{uuid.uuid4().hex[:10]}"
    admin_url = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ProcessTree:
    """Memory and CPU of a process and its descendants, read from /proc (Linux)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def pids(self) -> list[int]:
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                todo.extend(int(child) for child in _read(task).split())
        return found

    def reset_peak(self) -> None:
        """Start a new peak-RSS window (VmHWM := VmRSS) where the kernel allows it."""
        # Where it is refused, the peak covers the whole process life: an overestimate.
        for pid in self.pids():
            with suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    def peak_rss_mb(self) -> float:
        """Sum of the processes' peak resident set sizes since the last reset."""
        return sum(_status_kb(pid, "VmHWM") for pid in self.pids()) / 1024

    def cpu_by_pid(self) -> dict[int, float]:
        """User + system CPU seconds each process used so far."""
        return cpu_by_pid(self.pids())


def cpu_by_pid(pids: Iterable[int]) -> dict[int, float]:
    """User + system CPU seconds each of some processes used so far."""
    found = {}
    for pid in pids:
        fields = _read(Path(f"/proc/{pid}/stat")).rsplit(")", 1)[-1].split()
        if len(fields) > 12:
            found[pid] = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings (processes gone by `after` are not counted)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def postgres_backends(database: str) -> list[int]:
    """The PostgreSQL processes serving `database` (their process title names it)."""
    marker = f" {database} ".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                if marker in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy since boot (to see what else ran meanwhile)."""
    fields = [int(f) for f in _read(Path("/proc/stat")).split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / _TICKS


@dataclass(frozen=True)
class RunningServer:
    """A `carehub serve` process answering on `base_url`."""

    host: str
    port: int
    database_url: str
    load_seconds: float
    tree: ProcessTree
    env: dict[str, str]
    relay_seconds: float = 0.0  # to relay and consume the demo patients' events at start
    log_path: Path | None = None  # what the server writes (JSON lines)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def database_cpu_by_pid(self) -> dict[int, float]:
        """CPU seconds of PostgreSQL's backends for this database (parallel workers not
        included); none for SQLite, which runs inside the server."""
        if not self.database_url.startswith("postgres"):
            return {}
        return cpu_by_pid(postgres_backends(self.database_url.rsplit("/", 1)[-1]))


@contextmanager
def carehub_server(
    database_url: str | None,
    patients: int,
    *,
    extra_env: Mapping[str, str] | None = None,
    log_level: str = "WARNING",
    demo_batch: int | None = None,
    unpublished: Callable[[], int] | None = None,
    after_load: Callable[[dict[str, str]], None] | None = None,
) -> Iterator[RunningServer]:
    """Migrate, load `patients` demo patients, serve; stops the server on exit.

    `database_url` None means SQLite in a fresh temporary data folder. `extra_env` is added
    to the server's environment, `demo_batch` sets how many demo patients go in one
    transaction, `unpublished` counts the events the relay has yet to publish (by
    default, the SQL outbox's), and `after_load` runs (with the server's environment)
    between loading and serving.
    """
    with tempfile.TemporaryDirectory(prefix="carehub-bench-") as folder:
        port = free_port()
        env = {
            **os.environ,
            **(extra_env or {}),
            "CAREHUB_DATA_DIR": str(Path(folder) / "data"),
            "CAREHUB_HOST": HOST,
            "CAREHUB_PORT": str(port),
            "CAREHUB_LOG_LEVEL": log_level,
            "CAREHUB_DATABASE_URL": database_url or f"sqlite:///{folder}/data/carehub.db",
            "CAREHUB_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
            "CAREHUB_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            # The sign-in scenario signs in as fast as it can from one address and account.
            "CAREHUB_AUTH_LIMIT_PER_ACCOUNT": "100000000",
            "CAREHUB_AUTH_LIMIT_PER_ADDRESS": "100000000",
            # Thousands of requests a second from one principal: counted (the limiter's
            # cost is measured) but never refused.
            "CAREHUB_RATE_LIMIT_PER_MINUTE": "100000000",
        }
        _run([CAREHUB, "db", "upgrade"], env)
        loading = time.perf_counter()
        batch = ["--batch", str(demo_batch)] if demo_batch else []
        _run([CAREHUB, "demo", "--patients", str(patients), *batch], env)
        if after_load is not None:
            after_load(env)
        load_seconds = time.perf_counter() - loading
        if database_url and database_url.startswith("postgres"):
            _analyze(database_url)
        log_path = Path(folder) / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [CAREHUB, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            _wait_ready(f"http://{HOST}:{port}", process, log_path)
            waiting = unpublished or partial(_sql_unpublished, env["CAREHUB_DATABASE_URL"])
            relay_seconds = _wait_outbox_drained(waiting)
            yield RunningServer(
                HOST,
                port,
                env["CAREHUB_DATABASE_URL"],
                load_seconds,
                ProcessTree(process.pid),
                env,
                relay_seconds,
                log_path,
            )
        finally:
            _stop(process)
            _echo_errors(log_path)


@contextmanager
def baseline_server(measured: RunningServer) -> Iterator[RunningServer]:
    """`bench.baseline` on the measured server's database (see that module)."""
    with second_server(measured, [sys.executable, "-m", "bench.baseline"]) as baseline:
        yield baseline


@contextmanager
def second_server(
    measured: RunningServer, command: list[str], extra_env: Mapping[str, str] | None = None
) -> Iterator[RunningServer]:
    """Another server process on the measured server's database, with `extra_env` added
    to its environment (to compare two settings in one run)."""
    port = free_port()
    env = {**measured.env, **(extra_env or {}), "CAREHUB_PORT": str(port)}
    with tempfile.TemporaryDirectory(prefix="carehub-second-") as folder:
        log_path = Path(folder) / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(f"http://{HOST}:{port}", process, log_path)
            yield RunningServer(
                HOST, port, measured.database_url, 0.0, ProcessTree(process.pid), env
            )
        finally:
            _stop(process)
            _echo_errors(log_path)


def _wait_outbox_drained(unpublished: Callable[[], int], limit_seconds: float = 900) -> float:
    """Wait until the server has relayed and consumed the demo patients' events (they are
    committed by `carehub demo`), so that the scenarios measure a steady state."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit_seconds:
        if not unpublished():
            return time.perf_counter() - started
        time.sleep(0.5)
    raise RuntimeError("the server did not relay the demo patients' events in time")


def _sql_unpublished(url: str) -> int:
    query = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return int(conn.execute(query).fetchone()[0])
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute(query).fetchone()
        return int(row[0]) if row else 0


def _analyze(url: str) -> None:
    """Planner statistics and visibility maps for the loaded rows, as autovacuum would
    gather and set within minutes of a bulk load.

    Measured without the statistics, PostgreSQL's plans depend on whether autovacuum
    happened to run yet: name-prefix searches went from 10 ms to 90 ms at p95. Without the
    visibility map, an index-only scan still visits the table for every row: reading
    3,000 postings of one search word took 18 ms instead of 0.8.
    """
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:  # VACUUM runs outside a transaction
        conn.execute("VACUUM ANALYZE")


def run_carehub(*args: str, env: dict[str, str]) -> None:
    """Run one `carehub` command with the server's environment; raise if it fails."""
    _run([CAREHUB, *args], env)


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed:\n{done.stderr[-4000:]}")


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"carehub serve exited:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(f"{base_url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("carehub serve did not become ready within 60 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _echo_errors(log_path: Path) -> None:
    """Show what the server logged at WARNING and up: it explains any error counts."""
    text = "\n".join(
        line for line in log_path.read_text(errors="replace").splitlines() if _worth_showing(line)
    )
    if text:
        print(f"server log ({log_path.name}, last 2,000 characters):\n{text[-2000:]}")


def _worth_showing(line: str) -> bool:
    """A line above INFO, or one that is not carehub's JSON (a traceback printed as is)."""
    try:
        level = json.loads(line).get("level", "")
    except (ValueError, AttributeError):
        return bool(line.strip())
    return level not in ("debug", "info")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""  # the process ended meanwhile


def _status_kb(pid: int, field: str) -> int:
    for line in _read(Path(f"/proc/{pid}/status")).splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0
