"""A real uvicorn server on a free loopback port, running carehub in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

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
    """Serve carehub over HTTP until the block ends; yields the base URL.

    Its answers are recorded (`tests.support.answers`), to be checked against its OpenAPI
    document at the end of the run."""

    async def make(s: Settings) -> Carehub:
        return await build(s, clock=clock)

    with serving(ANSWERS.recording(create_app(settings, carehub=make))) as base_url:
        yield base_url


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """Serve any ASGI app over HTTP until the block ends; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        loop="asyncio",
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
