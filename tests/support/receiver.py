"""A webhook receiver for tests: a real HTTP/1.1 server on loopback, in the test's loop."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self


@dataclass(frozen=True)
class Received:
    """One request as it arrived; header names in lower case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def signature_verifies(self, secret: str) -> bool:
        """What a receiver does: recompute the HMAC over "<timestamp>.<body>" and compare."""
        message = self.headers["x-carehub-timestamp"].encode() + b"." + self.body
        expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers["x-carehub-signature"])


@dataclass
class Receiver:
    """Answers each request with the next of `statuses` (the last one repeats).

    `delay` holds every answer back; `headers` are added to each answer; `body_size`
    announces a body that long but sends only its first 64 KiB, then waits (a receiver
    that never finishes its answer).
    """

    statuses: Sequence[int] = (200,)
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body_size: int = 2
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _stalled: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/carehub"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stalled.set()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(method, path, headers, body))
            status = self.statuses[min(len(self.requests), len(self.statuses)) - 1]
            await asyncio.sleep(self.delay)
            extra = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
            writer.write(
                f"HTTP/1.1 {status} Answer\r\nContent-Length: {self.body_size}\r\n"
                f"Connection: close\r\n{extra}\r\n".encode()
            )
            writer.write(b"x" * min(self.body_size, 65536))
            await writer.drain()
            if self.body_size > 65536:
                await self._stalled.wait()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
