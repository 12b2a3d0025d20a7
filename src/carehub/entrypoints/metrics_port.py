"""The metrics page on a port of its own (`CAREHUB_METRICS_PORT`): plain HTTP, no token,
nothing else served, so it can stay inside the network Prometheus scrapes from while the
API faces clients.

A few lines of HTTP/1.0 rather than a second server: one route, one answer per connection,
and nothing that takes over the process's signals (uvicorn's does).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

log = logging.getLogger("carehub.metrics")
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4.encode()
# A scrape's request is a line and a few headers; anything longer is not one.
_MAX_HEAD = 8192
_READ_SECONDS = 5.0


@asynccontextmanager
async def metrics_port(
    page: Callable[[], Awaitable[bytes]], host: str, port: int
) -> AsyncIterator[None]:
    """Serve `GET /metrics` on `host:port` until the block ends. Several processes of one
    server may bind the same port (the operating system spreads scrapes across them)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _READ_SECONDS)
            parts = head.split(b"\r\n", 1)[0].split(b" ")
            method, target = (parts[0], parts[1]) if len(parts) == 3 else (b"", b"")
            if method in (b"GET", b"HEAD") and target.split(b"?", 1)[0] == b"/metrics":
                body = await page()
                writer.write(_response(b"200 OK", CONTENT_TYPE, body, head=method == b"HEAD"))
            else:
                writer.write(_response(b"404 Not Found", b"text/plain", b"Not found\n"))
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass  # not a request: the connection is closed without an answer
        except ConnectionError:
            pass
        except Exception:
            log.exception("the metrics page failed")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(answer, host, port, limit=_MAX_HEAD, reuse_port=True)
    log.info("metrics served on %s:%d", host, port)
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


def _response(status: bytes, content_type: bytes, body: bytes, *, head: bool = False) -> bytes:
    headers = (
        b"HTTP/1.1 " + status + b"\r\n"
        b"Content-Type: " + content_type + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"Cache-Control: no-store\r\n"
        b"Connection: close\r\n\r\n"
    )
    return headers if head else headers + body
