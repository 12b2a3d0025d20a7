"""A real uvicorn server on a free loopback port, running carehub in a thread."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from starlette.types import ASGIApp

from carehub.bootstrap import Carehub, build
from carehub.config import Settings
from carehub.entrypoints.http.app import create_app
from carehub.kernel.clock import Clock
from tests.support.answers import ANSWERS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(settings: Settings, clock: Clock) -> Iterator[str]:
    """Serve carehub over HTTP until the block ends; yields the base URL, which is also
    carehub's public URL unless `settings` name one.

    Its answers are recorded (`tests.support.answers`), to be checked against its OpenAPI
    document at the end of the run."""

    async def make(s: Settings) -> Carehub:
        return await build(s, clock=clock)

    port = free_port()
    if settings.public_url is None:
        settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    with serving(ANSWERS.recording(create_app(settings, carehub=make)), port) as base_url:
        yield base_url


@contextmanager
def serving(app: ASGIApp, port: int | None = None) -> Iterator[str]:
    """Serve any ASGI app over HTTP until the block ends (as `carehub serve` runs uvicorn);
    yields the base URL."""
    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        loop="asyncio",
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


CAREHUB = str(Path(sys.executable).with_name("carehub"))


@contextmanager
def carehub_serve(
    env: Mapping[str, str], port: int, log_path: Path, options: Sequence[str] = ()
) -> Iterator[str]:
    """`carehub serve` as a real process (its output in `log_path`) until the block ends;
    yields the base URL once it is ready."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [CAREHUB, "serve", *options], env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, process)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "carehub serve exited"
        try:
            if httpx.get(f"{base}/health/ready").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("carehub serve did not become ready")
