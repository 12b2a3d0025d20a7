"""A patient read by id, cached and uncached: the same requests, on servers that differ
only in `CAREHUB_CACHE`. The ids are a hot set (every one read many times a run), as in a
clinic where the day's patients are read again and again.

    make bench-cache    # SQLite (in-process cache); PostgreSQL with Redis when
                        # CAREHUB_BENCH_DATABASE_URL and CAREHUB_BENCH_REDIS_URL are set

The target: a cached read at least 1.3x an uncached one.
"""

from __future__ import annotations

import os
import random
import uuid
from urllib.parse import quote

from rich.console import Console

from bench.loadgen import Load, Request, Scenario, run
from bench.scenarios import auth_headers, collect
from bench.server import backends_from_env, carehub_server, database

CACHED, UNCACHED = "patient read, cached", "patient read, uncached"
TARGET = 1.3


def main() -> None:
    env = os.environ
    patients = int(env.get("CAREHUB_BENCH_PATIENTS", "20000"))
    seconds = float(env.get("CAREHUB_BENCH_SECONDS", "15"))
    clients = int(env.get("CAREHUB_BENCH_CLIENTS", "16"))
    hot = int(env.get("CAREHUB_BENCH_HOT_IDS", "1000"))
    redis_url = env.get("CAREHUB_BENCH_REDIS_URL")
    backends, postgres_url = backends_from_env()
    console = Console()
    for backend in backends:
        if backend == "postgresql" and not redis_url:
            console.print("postgresql: skipped (its cache is Redis: set CAREHUB_BENCH_REDIS_URL)")
            continue
        # Both servers count their request budgets in the same place (Redis, with its URL
        # set): only the read cache differs between them.
        shared = {"CAREHUB_CACHE_URL": redis_url} if backend == "postgresql" and redis_url else {}
        cached_env = {**shared, "CAREHUB_CACHE": "auto" if shared else "memory"}
        uncached_env = {**shared, "CAREHUB_CACHE": "off"}
        rps: dict[str, float] = {}
        for name, extra in ((UNCACHED, uncached_env), (CACHED, cached_env)):
            with (
                database(backend, postgres_url) as url,
                carehub_server(url, patients, extra_env=extra) as server,
            ):
                headers = auth_headers(server.base_url)
                ids = random.Random(7).sample(collect(server.base_url, headers).ids, hot)
                sent = tuple(headers.items())
                scenario = Scenario(
                    name, tuple(Request("GET", f"/patients/{quote(i)}", sent) for i in ids)
                )
                load = Load(server.host, server.port, clients, seconds, 2.0, uuid.uuid4().hex[:8])
                outcome = run(load, scenario)
                rps[name] = outcome.rps
                console.print(
                    f"{backend}: {name}: {outcome.rps:,.0f} req/s, p95 {outcome.p95_ms:.1f} ms, "
                    f"{outcome.errors} errors ({clients} clients, {hot} ids)"
                )
        ratio = rps[CACHED] / rps[UNCACHED]
        verdict = "meets" if ratio >= TARGET else "misses"
        console.print(f"{backend}: cached / uncached = {ratio:.2f}x ({verdict} {TARGET}x)")


if __name__ == "__main__":
    main()
