"""`make bench-scheduling`: availability, booking throughput and booking under contention,
over HTTP on SQLite, and on PostgreSQL when asked.

Set-up goes through the API as the bench admin: a synchronous country open all day every
day, doctors working all day every day, and patients made with POST /patients. Then:

  availability  GET /doctors/{id}/availability over 30 days, some slots booked, 1 client
  book          POST /appointments at 32 clients, each request a free slot that no other
                request uses (doctor, time and patient), spread over doctors and days
  create        POST /patients at 32 clients, on the same server, right after
  contention    64 clients at once on 5 slot starts of one doctor per round, lengths of
                15 to 60 minutes overlapping; then every appointment of that doctor is
                read back and overlapping live pairs counted (there must be none)

Environment:
  CAREHUB_BENCH_DOCTORS              doctors made at set-up (200)
  CAREHUB_BENCH_SCHEDULING_PATIENTS  patients made at set-up with POST /patients (2000)
  CAREHUB_BENCH_SCHEDULING_SECONDS   measured seconds per scenario (10)
  CAREHUB_BENCH_CONTENTION_ROUNDS    rounds of the contention scenario (20)
  CAREHUB_BENCH_DATABASE_URL         a PostgreSQL URL: also measure PostgreSQL, on a fresh
                                     carehub_bench_* database made on that server, dropped after
  CAREHUB_BENCH_BACKENDS             e.g. "postgresql" to run one backend only
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from rich.console import Console
from rich.table import Table

from bench.loadgen import Load, Outcome, Request, Scenario, run
from bench.report import Target, run_environment, write_json
from bench.scenarios import auth_headers, create_body
from bench.server import (
    RunningServer,
    backends_from_env,
    carehub_server,
    cpu_used,
    database,
    machine_busy_seconds,
)

AVAILABILITY, BOOK, CREATE, CONTENTION = "availability", "book", "create", "contention"
THROUGHPUT_CLIENTS = 32
CONTENTION_CLIENTS = 64
CONTENTION_SLOTS = 5
AVAILABILITY_DAYS = 30
BOOKED_EVERY = 7  # book one slot in seven of the availability doctor's 30 days
THROUGHPUT_DAYS = 120  # the booking scenario spreads over this many days
SETUP_CONCURRENCY = 16
DEMO_PATIENTS = 200  # `carehub demo` loads a few: their records shape the new patients
LIVE = frozenset({"requested", "pending", "confirmed", "checked_in", "completed"})
T = TypeVar("T")
# The shipped US record (`carehub db upgrade` adds it), changed to book at any time.
COUNTRY_ID = "US"
COUNTRY_CHANGES = {
    "name": "United States (bench)",
    "rules": {
        "bookingMode": "sync",
        "minLeadMinutes": 0,
        "horizonDays": 730,
        "businessHours": ["Monday-Sunday 00:00-24:00"],
    },
}


@dataclass(frozen=True)
class SchedulingConfig:
    """The run's settings, from CAREHUB_BENCH_* variables."""

    doctors: int
    patients: int
    seconds: float
    contention_rounds: int
    postgres_url: str | None
    backends: tuple[str, ...]

    @property
    def warmup(self) -> float:
        return min(2.0, self.seconds / 10)

    @classmethod
    def from_env(cls) -> SchedulingConfig:
        env = os.environ
        backends, url = backends_from_env()
        config = cls(
            doctors=int(env.get("CAREHUB_BENCH_DOCTORS", "200")),
            patients=int(env.get("CAREHUB_BENCH_SCHEDULING_PATIENTS", "2000")),
            seconds=float(env.get("CAREHUB_BENCH_SCHEDULING_SECONDS", "10")),
            contention_rounds=int(env.get("CAREHUB_BENCH_CONTENTION_ROUNDS", "20")),
            postgres_url=url,
            backends=backends,
        )
        if config.doctors < 3 or config.patients < CONTENTION_CLIENTS:
            raise SystemExit(f"needs 3 doctors and {CONTENTION_CLIENTS} patients at least")
        return config


@dataclass(frozen=True)
class Row:
    """One scenario's outcome, with the CPU the server (and PostgreSQL) used meanwhile."""

    scenario: str
    clients: int
    outcome: Outcome
    server_cpu: float  # shares of one core
    database_cpu: float  # PostgreSQL's backends for the bench database (0 on SQLite)
    other_cpu: float  # everything else on the machine: other jobs make the figures worse


@dataclass(frozen=True)
class World:
    """What set-up made: ids, and the free slots every doctor shares (same hours, zone)."""

    doctors: list[str]
    patients: list[str]
    samples: list[dict[str, Any]]
    time_zone: str
    day0: datetime  # midnight UTC, tomorrow


@dataclass(frozen=True)
class Contention:
    """The contention scenario's counts and what reading the doctor back found."""

    requests: int
    succeeded: int
    conflicts: int
    other: dict[int, int]
    live_appointments: int
    overlapping_pairs: int


def main() -> None:
    config = SchedulingConfig.from_env()
    console = Console(width=max(Console().width, 120))
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        for backend in config.backends:
            bench_backend(backend, config, pool, console)


def bench_backend(
    backend: str, config: SchedulingConfig, pool: ProcessPoolExecutor, console: Console
) -> None:
    """Set up over HTTP, run the three scenarios, report and save."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    environment = run_environment()
    if environment["load_average_1_5_15"][0] > 0.5:
        console.print("[yellow]the machine is busy with something else: figures will suffer")
    with (
        database(backend, config.postgres_url) as url,
        carehub_server(url, DEMO_PATIENTS) as server,
    ):
        headers = auth_headers(server.base_url)
        started = time.perf_counter()
        world = asyncio.run(set_up(server.base_url, headers, config))
        setup_seconds = time.perf_counter() - started
        console.print(
            f"{backend}: {len(world.doctors)} doctors and {len(world.patients):,} patients "
            f"made over HTTP in {setup_seconds:.0f} s"
        )
        rows: list[Row] = []
        scenario = asyncio.run(availability_scenario(server.base_url, headers, world))
        rows.append(measure(pool, server, scenario, 1, config.seconds, config.warmup))
        _say(console, rows[-1])
        scenario = asyncio.run(
            booking_scenario(server.base_url, headers, world, config.seconds + config.warmup)
        )
        rows.append(
            measure(pool, server, scenario, THROUGHPUT_CLIENTS, config.seconds, config.warmup)
        )
        _say(console, rows[-1])
        rows.append(
            measure(
                pool,
                server,
                create_scenario(world, headers),
                THROUGHPUT_CLIENTS,
                config.seconds,
                config.warmup,
            )
        )
        _say(console, rows[-1])
        scenario = asyncio.run(contention_scenario(server.base_url, headers, world, config))
        # Dealt once each, no warm-up: every request counts; the time is a ceiling.
        rows.append(measure(pool, server, scenario, CONTENTION_CLIENTS, 600.0, 0.0))
        _say(console, rows[-1])
        contention = read_back(server.base_url, headers, world.doctors[1], rows[-1].outcome)
    checks = targets(rows, contention)
    title = (
        f"carehub scheduling on {backend}: {len(world.doctors)} doctors, "
        f"{len(world.patients):,} patients, {config.seconds:g} s each"
    )
    print_report(console, title, rows, contention, checks)
    payload = {
        "bench": "scheduling",
        "backend": backend,
        "started_at": stamp,
        "config": {**asdict(config), "warmup": config.warmup},
        "environment": environment,
        "setup_seconds": round(setup_seconds, 2),
        "measurements": [asdict(r) for r in rows],
        "bookings_per_create": _ratio(rows),
        "contention": asdict(contention),
        "targets": [{**asdict(c), "met": c.met} for c in checks],
    }
    payload["config"].pop("postgres_url")  # may hold a password
    console.print(f"saved {write_json(f'scheduling-{backend}', stamp, payload)}")


# --- set-up ------------------------------------------------------------------------------


async def set_up(base_url: str, headers: dict[str, str], config: SchedulingConfig) -> World:
    """The country, the doctors and the patients, made over HTTP as the admin."""
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        await open_all_day(client)
        doctors = await post_many(
            client, "/doctors", [doctor_body(n) for n in range(config.doctors)]
        )
        samples = await _samples(client)
        patient_bodies = [
            json.loads(create_body(samples[n % len(samples)]).replace(b"@SEQ@", b"setup-%d" % n))
            for n in range(config.patients)
        ]
        patients = await post_many(client, "/patients", patient_bodies)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    return World(
        doctors=[d["doctorId"] for d in doctors],
        patients=[p["id"] for p in patients],
        samples=samples,
        time_zone=doctors[0]["timeZone"],
        day0=datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC),
    )


def doctor_body(n: int) -> dict[str, Any]:
    """A US doctor working all day, every day (as the bench's country is open)."""
    return {
        "doctorId": f"bench-doctor-{n:04d}",
        "name": f"Dr. Bench {n}",
        "specialty": "General practice",
        "countryId": "US",
        "availableTimes": ["Monday-Sunday 00:00-24:00"],
    }


async def _samples(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Demo patients of the US, whose records shape the ones the bench makes."""
    response = await client.get("/patients", params={"countryId": "US", "limit": 50})
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()["items"]
    if not found:
        raise RuntimeError("no US demo patient to copy")
    return found


async def open_all_day(client: httpx.AsyncClient) -> None:
    """Change the shipped country the bench books in to open all day, every day."""
    path = f"/countries/{COUNTRY_ID}"
    current = await client.get(path)
    current.raise_for_status()
    headers = {"If-Match": current.headers["ETag"]}
    response = await client.patch(path, json=COUNTRY_CHANGES, headers=headers)
    if response.status_code >= 300:
        raise RuntimeError(f"PATCH {path}: {response.status_code} {response.text[:500]}")


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    if response.status_code >= 300:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:500]}")
    result: dict[str, Any] = response.json()
    return result


async def post_many(
    client: httpx.AsyncClient, path: str, bodies: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """POST each body, a few at a time; the answers in the bodies' order."""
    return await _gather([lambda b=b: _post(client, path, b) for b in bodies])


async def _gather(calls: list[Callable[[], Awaitable[T]]]) -> list[T]:
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(c) for c in calls))


async def free_slots(
    client: httpx.AsyncClient, doctor: str, start: datetime, days: int
) -> list[tuple[datetime, datetime]]:
    """A doctor's free slots over `days` days from `start`, asked 31 days at a time."""
    found: list[tuple[datetime, datetime]] = []
    for offset in range(0, days, 31):
        a = start + timedelta(days=offset)
        b = start + timedelta(days=min(days, offset + 31))
        response = await client.get(
            f"/doctors/{doctor}/availability", params={"from": _iso(a), "to": _iso(b)}
        )
        response.raise_for_status()
        found += [
            (datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]))
            for s in response.json()["slots"]
        ]
    return found


# --- scenarios ---------------------------------------------------------------------------


async def availability_scenario(base_url: str, headers: dict[str, str], world: World) -> Scenario:
    """Doctor 0 over its first 30 days, one slot in seven booked first."""
    doctor, start = world.doctors[0], world.day0
    end = start + timedelta(days=AVAILABILITY_DAYS)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        slots = await free_slots(client, doctor, start, AVAILABILITY_DAYS)
        chosen = slots[::BOOKED_EVERY]
        await _gather(
            [
                lambda n=n, s=s: _post(client, "/appointments", _booking(world, doctor, n, s))
                for n, s in enumerate(chosen)
            ]
        )
    path = f"/doctors/{quote(doctor)}/availability?from={_q(start)}&to={_q(end)}"
    return Scenario(AVAILABILITY, (Request("GET", path, tuple(headers.items())),))


async def booking_scenario(
    base_url: str, headers: dict[str, str], world: World, seconds: float
) -> Scenario:
    """Free slots of doctors 2..N after the availability window, each used once, dealt in
    random order, enough for `seconds`; a patient is never booked twice at one time."""
    start = world.day0 + timedelta(days=AVAILABILITY_DAYS)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        # Every doctor has the same hours in the same zone: one doctor's slots are all's.
        slots = await free_slots(client, world.doctors[2], start, THROUGHPUT_DAYS)
    doctors = world.doctors[2:]
    # More requests than the run can send (an ample 1,500 bookings/s), as many as exist.
    wanted = min(len(doctors) * len(slots), int(1500 * seconds))
    rng = random.Random(11)
    used_at: Counter[int] = Counter()  # bookings so far at each slot time
    extra = tuple(headers.items())
    requests = []
    for pair in rng.sample(range(len(doctors) * len(slots)), wanted):
        doctor, slot = divmod(pair, len(slots))
        patient = (slot * 131 + used_at[slot]) % len(world.patients)  # unique per time
        used_at[slot] += 1
        body = _booking(world, doctors[doctor], patient, slots[slot])
        requests.append(Request("POST", "/appointments", extra, _bytes(body)))
    return Scenario(BOOK, tuple(requests), deal=True)


def create_scenario(world: World, headers: dict[str, str]) -> Scenario:
    """POST /patients with bodies shaped like the demo records (as `make bench-http`)."""
    extra = tuple(headers.items())
    return Scenario(
        CREATE, tuple(Request("POST", "/patients", extra, create_body(p)) for p in world.samples)
    )


async def contention_scenario(
    base_url: str, headers: dict[str, str], world: World, config: SchedulingConfig
) -> Scenario:
    """Per round, 64 requests for 5 consecutive slots of doctor 1 on one day, 15 to 60
    minutes long (so they overlap each other), from 64 different patients."""
    doctor = world.doctors[1]
    start = world.day0 + timedelta(days=AVAILABILITY_DAYS + THROUGHPUT_DAYS + 10)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        slots = await free_slots(client, doctor, start, config.contention_rounds + 10)
    by_day: dict[Any, list[datetime]] = {}
    for a, _ in slots:
        by_day.setdefault(a.date(), []).append(a)
    # Mid-day slots, away from the ends of the day (and of any day a holiday shortens).
    days = [starts for starts in by_day.values() if len(starts) >= 24]
    days = days[: config.contention_rounds]
    rng = random.Random(13)
    extra = tuple(headers.items())
    requests = []
    for round_, starts in enumerate(days):
        middle = len(starts) // 2
        choices = starts[middle : middle + CONTENTION_SLOTS]
        for n in range(CONTENTION_CLIENTS):
            a = rng.choice(choices)
            b = a + timedelta(minutes=rng.randrange(15, 61, 5))
            body = _booking(world, doctor, round_ * CONTENTION_CLIENTS + n, (a, b))
            requests.append(Request("POST", "/appointments", extra, _bytes(body)))
    return Scenario(CONTENTION, tuple(requests), deal=True)


def read_back(base_url: str, headers: dict[str, str], doctor: str, outcome: Outcome) -> Contention:
    """Every appointment of the contention doctor; live ones that overlap, counted."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        while True:
            params: dict[str, str | int] = {"doctorId": doctor, "limit": 100}
            if cursor:
                params["cursor"] = cursor
            response = client.get("/appointments", params=params)
            response.raise_for_status()
            page = response.json()
            found += page["items"]
            if not (cursor := page["nextCursor"]):
                break
    live = sorted(
        (datetime.fromisoformat(a["start"]), datetime.fromisoformat(a["end"]))
        for a in found
        if a["status"] in LIVE
    )
    overlapping = sum(
        1
        for i, (_, end) in enumerate(live)
        for later_start, _ in live[i + 1 :]
        if later_start < end
    )
    statuses = outcome.statuses
    return Contention(
        requests=outcome.requests,
        succeeded=sum(n for s, n in statuses.items() if 200 <= s < 300),
        conflicts=statuses.get(409, 0),
        other={s: n for s, n in statuses.items() if s != 409 and not 200 <= s < 300},
        live_appointments=len(live),
        overlapping_pairs=overlapping,
    )


def _booking(
    world: World, doctor: str, patient: int, slot: tuple[datetime, datetime]
) -> dict[str, Any]:
    return {
        "patientId": world.patients[patient % len(world.patients)],
        "doctorId": doctor,
        "start": _iso(slot[0]),
        "end": _iso(slot[1]),
        "countryId": "US",
    }


# --- measuring and reporting -------------------------------------------------------------


def measure(
    pool: ProcessPoolExecutor,
    server: RunningServer,
    scenario: Scenario,
    clients: int,
    seconds: float,
    warmup: float,
) -> Row:
    """One scenario in the load generator's process, with the server's CPU meanwhile."""
    load = Load(server.host, server.port, clients, seconds, warmup, uuid.uuid4().hex[:8])
    started, busy = time.perf_counter(), machine_busy_seconds()
    server_before, database_before = server.tree.cpu_by_pid(), server.database_cpu_by_pid()
    outcome = pool.submit(run, load, scenario).result()
    wall = time.perf_counter() - started
    server_cpu = cpu_used(server_before, server.tree.cpu_by_pid()) / wall
    database_cpu = cpu_used(database_before, server.database_cpu_by_pid()) / wall
    busy = (machine_busy_seconds() - busy) / wall
    return Row(
        scenario=scenario.name,
        clients=clients,
        outcome=outcome,
        server_cpu=server_cpu,
        database_cpu=database_cpu,
        other_cpu=max(0.0, busy - server_cpu - database_cpu - outcome.client_cpu),
    )


def targets(rows: list[Row], contention: Contention) -> list[Target]:
    """The goals on a 2-core machine."""
    at = {r.scenario: r for r in rows}
    return [
        Target("availability p95 < 20 ms (1 cl.)", at[AVAILABILITY].outcome.p95_ms, 20, False),
        Target(f"bookings/creates >= 0.40 ({THROUGHPUT_CLIENTS} cl.)", _ratio(rows), 0.4, True),
        Target("booking throughput: failed bookings = 0", at[BOOK].outcome.errors, 1, False),
        Target(
            "contention: overlapping live appointments = 0", contention.overlapping_pairs, 1, False
        ),
        Target(
            "contention: live appointments = successes",
            abs(contention.live_appointments - contention.succeeded),
            1,
            False,
        ),
    ]


def print_report(
    console: Console, title: str, rows: list[Row], contention: Contention, checks: list[Target]
) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("scenario")
    for header in ("clients", "2xx/s", "p50 ms", "p95 ms", "p99 ms", "statuses", "server CPU"):
        table.add_column(header, justify="right")
    for header in ("client CPU", "db CPU", "other CPU"):
        table.add_column(header, justify="right")
    for row in rows:
        o = row.outcome
        table.add_row(
            row.scenario,
            str(row.clients),
            f"{o.rps:,.1f}",
            f"{o.p50_ms:.2f}",
            f"{o.p95_ms:.2f}",
            f"{o.p99_ms:.2f}",
            _statuses(o.statuses.items()),
            f"{row.server_cpu:.0%}",
            f"{o.client_cpu:.0%}",
            f"{row.database_cpu:.0%}",
            f"{row.other_cpu:.0%}",
        )
    console.print(table)
    c = contention
    console.print(
        f"  contention: {c.requests} requests, {c.succeeded} booked, {c.conflicts} × 409, "
        f"other {_statuses(c.other.items()) or 'none'}; read back {c.live_appointments} live, "
        f"{c.overlapping_pairs} overlapping pairs"
    )
    console.print(f"  bookings/creates: {_ratio(rows):.2f}")
    for check in checks:
        mark = "[green]✓ met[/green]" if check.met else "[red]✗ missed[/red]"
        console.print(f"  {mark}  {check.name}: {check.value:.2f}")


def _ratio(rows: list[Row]) -> float:
    at = {r.scenario: r.outcome.rps for r in rows}
    return at[BOOK] / at[CREATE] if at.get(CREATE) else float("nan")


def _say(console: Console, row: Row) -> None:
    o = row.outcome
    console.print(
        f"  {row.scenario} × {row.clients}: {o.rps:,.1f} 2xx/s, p95 {o.p95_ms:.2f} ms, "
        f"statuses {_statuses(o.statuses.items())}"
    )


def _statuses(items: Iterable[tuple[int, int]]) -> str:
    return " ".join(f"{status}:{n}" for status, n in sorted(items))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _q(moment: datetime) -> str:
    return quote(_iso(moment))


def _bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


if __name__ == "__main__":
    main()
