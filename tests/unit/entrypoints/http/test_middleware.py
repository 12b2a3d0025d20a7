"""The request-context middleware, called as an ASGI app."""

from __future__ import annotations

import pytest
from starlette.types import Message, Receive, Scope, Send

from carehub.entrypoints.http.middleware import RequestContextMiddleware


async def ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def request_id_sent_back(x_request_id: bytes) -> str:
    """The X-Request-ID the middleware answers a GET carrying `x_request_id` with."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "GET", "headers": [(b"x-request-id", x_request_id)]}
    await RequestContextMiddleware(ok, max_body_bytes=1024)(scope, receive, send)
    headers = dict(sent[0]["headers"])
    return str(headers[b"x-request-id"].decode())


async def test_a_sane_request_id_is_kept() -> None:
    assert await request_id_sent_back(b"trace-123") == "trace-123"


@pytest.mark.parametrize("sent", [b"trace-123\n", b"trace 123", b"x" * 65])
async def test_any_other_request_id_is_replaced(sent: bytes) -> None:
    answered = await request_id_sent_back(sent)
    assert answered != sent.decode()
    assert len(answered) == 32
