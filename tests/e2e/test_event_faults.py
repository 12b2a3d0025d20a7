"""Faults of the event backbone with real processes and a real Redis.

- The broker goes away: writes still succeed, events wait in the outbox, and they are
  delivered once it is back.
- `kill -9` of `carehub worker` in the middle of its work: after a restart every event is
  delivered and each consumer's effect happened exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from carehub.analytics.model import Metric
from carehub.bootstrap import build
from carehub.config import Settings
from carehub.kernel.actor import Actor
from carehub.patients.model import HumanName, PatientDetails
from carehub.patients.service import PatientDraft
from tests.support.event_world import ANALYTICS, consume_until, event_world, registered_today
from tests.support.redis_space import REDIS_URL, redis_prefix
from tests.support.server import free_port
from tests.support.services import fresh_sqlite
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import until

pytestmark = pytest.mark.redis


async def test_events_wait_in_the_outbox_while_redis_is_away(
    database_url: str, tmp_path: Path
) -> None:
    target = urlsplit(REDIS_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    async with (
        redis_prefix() as prefix,
        event_world(
            database_url,
            tmp_path,
            [ANALYTICS],
            broker_url=f"redis://127.0.0.1:{proxy.port}/0",
            broker_prefix=prefix,
            event_visibility_timeout_seconds=2,
        ) as world,
    ):
        await proxy.cut()
        for _ in range(5):
            await world.register()  # writes do not need the broker
        stopping = asyncio.Event()
        relay = asyncio.create_task(world.events.relay.run(stopping))
        await asyncio.sleep(1.5)
        stopping.set()
        await relay
        assert await world.events.outbox.backlog() == 5

        await proxy.start()  # Redis is back

        async def all_counted() -> bool:
            return await registered_today(world) == 5

        await consume_until(world, all_counted, within=30)
        assert await world.events.outbox.backlog() == 0
        await proxy.cut()


PATIENTS = 4000


@contextmanager
def worker_process(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`carehub worker` in its own process; waits until it is ready."""
    command = [sys.executable, "-c", "from carehub.entrypoints.cli.main import app; app()"]
    process = subprocess.Popen(
        [*command, "worker", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(process, port)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def _wait_ready(process: subprocess.Popen[bytes], port: int) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"carehub worker exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        subprocess.run(["sleep", "0.1"], check=True)
    raise RuntimeError("carehub worker did not become ready")


async def test_killing_the_worker_mid_batch_delivers_everything_and_repeats_no_effect(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database_url = fresh_sqlite(sqlite_template, tmp_path)
    async with redis_prefix() as prefix:
        env = {
            "CAREHUB_DATABASE_URL": database_url,
            "CAREHUB_DATA_DIR": str(tmp_path),
            "CAREHUB_BROKER_URL": REDIS_URL,
            "CAREHUB_BROKER_PREFIX": prefix,
            "CAREHUB_EVENT_VISIBILITY_TIMEOUT_SECONDS": "2",
        }
        settings = Settings(
            database_url=database_url,
            data_dir=tmp_path,
            broker_url=REDIS_URL,
            broker_prefix=prefix,
        )
        carehub = await build(settings)  # declares the consumers, so nothing is missed
        try:
            await carehub.countries.load_shipped(actor=Actor.system("test"))
            drafts = [
                PatientDraft(
                    country_id="PE", details=PatientDetails(name=HumanName.from_text("Ana Ruiz"))
                )
                for _ in range(PATIENTS)
            ]
            actor = Actor.system("test")
            for start in range(0, PATIENTS, 500):
                batch = drafts[start : start + 500]
                await carehub.patients.register_many(actor=actor, drafts=batch)
            today = carehub.clock.now().date()

            async def counted() -> int:
                days = await carehub.analytics.daily(
                    actor=actor,
                    metric=Metric.PATIENTS_REGISTERED,
                    first=today,
                    last=today,
                    where={},
                )
                return days.days[0][1]

            async def some_counted() -> bool:
                return await counted() > 0

            async def all_counted() -> bool:
                return await counted() >= PATIENTS

            with worker_process(env, free_port()) as first:
                await until(some_counted, within=60, every=0.005)
                first.send_signal(signal.SIGKILL)
                first.wait()
            at_kill = await counted()
            assert 0 < at_kill < PATIENTS, "the worker was not killed in the middle"

            # The killed worker's relay lease runs out (15 s), then the new one takes over.
            with worker_process(env, free_port()):
                await until(all_counted, within=90)
            assert await counted() == PATIENTS  # each effect exactly once
            assert await carehub.events.outbox.backlog() == 0
        finally:
            await carehub.close()
