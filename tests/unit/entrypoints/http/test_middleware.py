"""The request-context middleware, called as an ASGI app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pytest
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.testing import capture_logs

from carehub.entrypoints.http import middleware
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


# --- streamed paths -------------------------------------------------------------------------


def chunked_receive(chunks: list[bytes]) -> tuple[Receive, list[int]]:
    """A receive that hands out `chunks` one message at a time, noting how many it gave."""
    given: list[int] = []

    async def receive() -> Message:
        given.append(len(given))
        if len(given) > len(chunks):
            return {"type": "http.disconnect"}
        more = len(given) < len(chunks)
        return {"type": "http.request", "body": chunks[len(given) - 1], "more_body": more}

    return receive, given


async def call(
    app: ASGIApp, path: str, receive: Receive, content_length: int | None = None
) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [] if content_length is None else [(b"content-length", str(content_length).encode())]
    scope: Scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    middleware = RequestContextMiddleware(app, max_body_bytes=10, streamed={"/upload": 100})
    await middleware(scope, receive, send)
    return sent


async def test_a_streamed_path_reaches_the_app_unbuffered_past_the_general_limit() -> None:
    seen: list[bytes] = []
    receive, given = chunked_receive([b"a" * 40, b"b" * 40, b"c" * 20])

    async def first_chunk_then_rest(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((await receive())["body"])
        seen.append(b"after %d receives" % len(given))  # nothing was read ahead
        while (message := await receive())["more_body"]:
            seen.append(message["body"])
        seen.append(message["body"])
        await ok(scope, receive, send)

    sent = await call(first_chunk_then_rest, "/upload", receive)

    assert sent[0]["status"] == 204
    assert seen == [b"a" * 40, b"after 1 receives", b"b" * 40, b"c" * 20]


async def test_a_streamed_path_raises_payload_too_large_once_past_its_limit() -> None:
    receive, _ = chunked_receive([b"a" * 60, b"b" * 60])
    read: list[int] = []

    async def drain(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            read.append(len(message["body"]))
            if not message["more_body"]:
                break

    sent = await call(drain, "/upload", receive)

    assert sent[0]["status"] == 413  # even when nothing inside the app rendered it
    assert (b"connection", b"close") in sent[0]["headers"]
    assert read == [60]


async def test_an_unexpected_error_is_a_500_problem_that_closes_the_connection() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug")

    receive, _ = chunked_receive([b"{}"])
    sent = await call(broken, "/patients", receive)

    assert sent[0]["status"] == 500
    headers = dict(sent[0]["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"connection"] == b"close"
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert b"a bug" not in sent[1]["body"]


async def test_an_error_after_the_response_started_is_left_to_the_server() -> None:
    async def half(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("a bug")

    receive, _ = chunked_receive([b"{}"])
    with pytest.raises(RuntimeError):
        await call(half, "/patients", receive)


async def test_a_route_keeps_the_headers_it_chose() -> None:
    async def cached(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"cache-control", b"public, max-age=300"), (b"x-frame-options", b"SAMEORIGIN")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    receive, _ = chunked_receive([b""])
    sent = await call(cached, "/.well-known/jwks.json", receive)

    names = [name for name, _ in sent[0]["headers"]]
    assert len(names) == len(set(names))
    headers = dict(sent[0]["headers"])
    assert headers[b"cache-control"] == b"public, max-age=300"
    assert headers[b"x-frame-options"] == b"SAMEORIGIN"
    assert headers[b"referrer-policy"] == b"no-referrer"


async def test_a_streamed_path_declaring_too_much_is_refused_before_reading() -> None:
    receive, given = chunked_receive([b"a" * 10])

    sent = await call(ok, "/upload", receive, content_length=101)

    assert sent[0]["status"] == 413
    assert given == []


async def test_other_paths_keep_the_general_limit() -> None:
    receive, _ = chunked_receive([b"a" * 6, b"b" * 6])

    sent = await call(ok, "/patients", receive)

    assert sent[0]["status"] == 413


# --- what a request consumed ----------------------------------------------------------------

SPENT: ContextVar[dict[str, Any]] = ContextVar("spent")


@contextmanager
def spent_meter() -> Iterator[Callable[[], dict[str, Any]]]:
    """A cost meter as the DynamoDB adapter's: a count in the request's context."""
    spent: dict[str, Any] = {}
    token = SPENT.set(spent)
    try:
        yield lambda: dict(spent)
    finally:
        SPENT.reset(token)


async def logged_cost(app: ASGIApp, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The DEBUG cost lines of one GET to `app` through a metered middleware."""
    debug = structlog.make_filtering_bound_logger(logging.DEBUG)
    monkeypatch.setattr(middleware, "log", structlog.wrap_logger(None, wrapper_class=debug))
    receive, _ = chunked_receive([b""])
    scope: Scope = {"type": "http", "method": "GET", "headers": [(b"x-request-id", b"trace-1")]}
    metered = RequestContextMiddleware(app, max_body_bytes=10, cost_meter=spent_meter)
    with capture_logs() as logs:
        await metered(scope, receive, lambda message: asyncio.sleep(0))
    return [entry for entry in logs if entry["event"] == "request.capacity"]


async def test_what_a_request_consumed_is_logged_at_debug_with_its_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def spending(scope: Scope, receive: Receive, send: Send) -> None:
        SPENT.get()["read_units"] = 4.5  # as the table's calls count inside the request
        await ok(scope, receive, send)

    [line] = await logged_cost(spending, monkeypatch)
    assert line["log_level"] == "debug"
    assert (line["request_id"], line["method"], line["status"]) == ("trace-1", "GET", 204)
    assert line["read_units"] == 4.5


async def test_a_request_that_consumed_nothing_logs_no_cost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert await logged_cost(ok, monkeypatch) == []
