"""Closed-loop HTTP/1.1 load over raw asyncio streams (uvloop) with keep-alive.

`run` is meant to execute in its own process (http_bench submits it to a one-process
pool), so the load generator never shares an interpreter with the server or with the
harness. Each of `clients` connections sends a request, reads the whole response, then
sends the next one. A scenario that `deals` its requests sends each one once, in order,
across all clients, and ends early when none are left.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import uvloop

SEQ_MARK = b"@SEQ@"
# A server that stops answering (a deadlock) shows up as errors instead of a hung run.
REQUEST_TIMEOUT = 10.0
_HEAD_END = b"\r\n\r\n"


@dataclass(frozen=True)
class Request:
    """One request the scenario may send. `SEQ_MARK` in the body becomes a unique number."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class Scenario:
    """A named set of requests; each request sent is one of them, picked at random, or,
    when `deal` is set, the next one not sent yet (each goes out once)."""

    name: str
    requests: tuple[Request, ...]
    deal: bool = False


@dataclass(frozen=True)
class Load:
    """How hard and how long to push; `run_id` keeps unique bodies unique across runs."""

    host: str
    port: int
    clients: int
    seconds: float
    warmup: float = 0.0
    run_id: str = "run"


@dataclass(frozen=True)
class Outcome:
    """What one run measured: `rps` counts 2xx responses only; the latencies (in ms) cover
    every request. Status 0 counts requests that got no response (connection error, timeout).
    """

    requests: int
    errors: int
    statuses: dict[int, int]
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    client_cpu: float  # share of one core the load generator used


# A prepared request is either its final bytes, or a (head, body) template to fill.
Prepared = bytes | tuple[bytes, bytes]


def run(load: Load, scenario: Scenario) -> Outcome:
    """Drive the server for `load.warmup + load.seconds`; only the last part is measured."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_run(load, scenario))


async def _run(load: Load, scenario: Scenario) -> Outcome:
    host = f"{load.host}:{load.port}"
    prepared = [_prepare(r, host) for r in scenario.requests]
    connections = [await asyncio.open_connection(load.host, load.port) for _ in range(load.clients)]
    dealt = iter(prepared) if scenario.deal else None
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    start = wall_before + load.warmup
    end = start + load.seconds
    await asyncio.gather(
        *(
            _client(
                load, conn, prepared, dealt, f"{load.run_id}-{i}", start, end, latencies, statuses
            )
            for i, conn in enumerate(connections)
        )
    )
    finished = time.perf_counter()
    cpu = (time.process_time() - cpu_before) / (finished - wall_before)
    # Dealt requests all sent before the end: the window closes with the last response.
    exhausted = dealt is not None and next(dealt, None) is None and finished < end
    stop = finished if exhausted else max(finished, end)
    return _outcome(latencies, statuses, max(stop - start, 1e-9), cpu)


async def _client(
    load: Load,
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    prepared: list[Prepared],
    dealt: Iterator[Prepared] | None,
    seq_prefix: str,
    start: float,
    end: float,
    latencies: list[float],
    statuses: Counter[int],
) -> None:
    reader, writer = connection
    rng = random.Random(seq_prefix)
    sequence = 0
    try:
        while (sent := time.perf_counter()) < end:
            if dealt is None:
                message = rng.choice(prepared)
            else:
                following = next(dealt, None)
                if following is None:
                    break  # every request went out
                message = following
            if isinstance(message, tuple):
                sequence += 1
                message = _fill(message, f"{seq_prefix}-{sequence}".encode())
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    writer.write(message)
                    status, keep_alive = await _read_response(reader)
            except (TimeoutError, OSError, ValueError, EOFError, asyncio.LimitOverrunError):
                status, keep_alive = 0, False
            # Counted when it completes in the window, so a request sent during the
            # warm-up that times out later is an error, not silently dropped.
            if (done := time.perf_counter()) >= start:
                latencies.append(done - sent)
                statuses[status] += 1
            if not keep_alive:
                writer.close()
                reader, writer = await asyncio.open_connection(load.host, load.port)
    finally:
        writer.close()


def _prepare(request: Request, host: str) -> Prepared:
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in request.headers]
    if request.body:
        lines.append("Content-Type: application/json")
    head = ("\r\n".join(lines) + "\r\n").encode("latin-1")
    if SEQ_MARK in request.body:
        return head, request.body
    if request.body:
        return head + b"Content-Length: %d\r\n\r\n" % len(request.body) + request.body
    return head + b"\r\n"


def _fill(template: tuple[bytes, bytes], sequence: bytes) -> bytes:
    head, body = template
    body = body.replace(SEQ_MARK, sequence)
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; returns its status and whether the connection stays open."""
    head = (await reader.readuntil(_HEAD_END)).lower()
    status = int(head[9:12])
    keep_alive = b"\r\nconnection: close" not in head
    at = head.find(b"\r\ncontent-length:")
    if at >= 0:
        length = int(head[at + 17 : head.index(b"\r\n", at + 17)])
        await reader.readexactly(length)
    elif b"\r\ntransfer-encoding: chunked" in head:
        await _read_chunked(reader)
    else:
        await reader.read()  # no framing: the body runs to the end of the connection
        keep_alive = False
    return status, keep_alive


async def _read_chunked(reader: asyncio.StreamReader) -> None:
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        await reader.readexactly(size + 2)
    await reader.readuntil(b"\r\n")  # no trailers expected


def _outcome(latencies: list[float], statuses: Counter[int], seconds: float, cpu: float) -> Outcome:
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    errors = sum(n for status, n in statuses.items() if not 200 <= status < 300)
    succeeded = len(ordered) - errors
    return Outcome(
        requests=len(ordered),
        errors=errors,
        statuses=dict(sorted(statuses.items())),
        seconds=round(seconds, 3),
        rps=succeeded / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(0.50),
        p95_ms=percentile(0.95),
        p99_ms=percentile(0.99),
        max_ms=ordered[-1] * 1000 if ordered else float("nan"),
        client_cpu=cpu,
    )
