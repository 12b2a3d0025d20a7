"""A do-nothing HTTP/1.1 server: `python -m bench.stub PORT`.

It answers every body-less request with the same small response, so the load generator is
the only thing working hard. What the generator reaches against it is its own ceiling,
which must sit well above carehub's floor for the carehub figures to mean anything.
"""

from __future__ import annotations

import asyncio
import sys
from typing import cast

import uvloop

_BODY = b'{"status":"ok"}'
_RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
    len(_BODY),
    _BODY,
)
_HEAD_END = b"\r\n\r\n"


class _FixedResponse(asyncio.Protocol):
    def __init__(self) -> None:
        self._pending = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._pending += data
        complete = self._pending.count(_HEAD_END)
        if complete and self._transport is not None:
            self._pending = self._pending[self._pending.rfind(_HEAD_END) + 4 :]
            self._transport.write(_RESPONSE * complete)


async def serve(port: int) -> None:
    """Serve on 127.0.0.1:`port` until killed."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_FixedResponse, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    uvloop.run(serve(int(sys.argv[1])))
