"""ASGI middleware: request ids, one log line per request (and, where the database meters
them, a DEBUG line of the capacity it consumed), its count and latency in the metrics, its
span (named by the route template, never the path or its query), the body size limits,
the security headers of every response, and a clean 500 for any error nothing else
caught."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import orjson
import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carehub.kernel.metrics import Metrics
from carehub.kernel.tracing import NO_TRACING, Span, Tracing
from carehub.web.problems import (
    INTERNAL_DETAIL,
    INTERNAL_TITLE,
    PROBLEM_JSON,
    PayloadTooLarge,
    problem_type,
    renderer_for,
)

log = structlog.get_logger("carehub.http")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Sent with every response unless the route chose its own value. Nothing is stored by
# caches by default: most answers carry health data, and the few that may be cached (the
# JWKS) say so themselves.
_DEFAULT_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
)

# Methods counted under their own name; any other (a client may send any token) is "OTHER",
# so a client cannot add series to the metrics.
_COUNTED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Reads what one request consumed so far as log fields (empty: nothing was counted).
CostReading = Callable[[], Mapping[str, Any]]
# Opens the count of what one request's database calls consume (DynamoDB's capacity units).
CostMeter = Callable[[], AbstractContextManager[CostReading]]


def _nothing_counted() -> Mapping[str, Any]:
    return {}


class RequestContextMiddleware:
    """Gives every request an id (or keeps a sane `X-Request-ID`) and logs its outcome.

    Bodies are read whole before the app sees them, up to `max_body_bytes`; the paths in
    `streamed` (uploads) are passed through unbuffered instead, each up to its own limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        streamed: Mapping[str, int] | None = None,
        cost_meter: CostMeter | None = None,
        metrics: Callable[[], Metrics | None] | None = None,
        tracing: Callable[[], Tracing | None] | None = None,
    ) -> None:
        self.app = app
        # Called per request: the metrics and the tracing exist once the app has started.
        self.metrics = metrics
        self.tracing = tracing
        self.max_body_bytes = max_body_bytes
        self.streamed = dict(streamed or {})
        self.cost_meter = cost_meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metered = self.cost_meter() if self.cost_meter else nullcontext(_nothing_counted)
        tracing = (self.tracing() if self.tracing else None) or NO_TRACING
        method = _counted_method(scope)
        # Named again once the route is known (`_log`).
        traced = tracing.span(method, {"http.request.method": method})
        with metered as cost, traced as span:
            await self._serve(scope, receive, send, cost, span)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, cost: CostReading, span: Span
    ) -> None:
        started = time.perf_counter()
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                headers = _with_defaults(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        streamed_limit = self.streamed.get(scope.get("path", ""))
        if _may_have_body(scope) and streamed_limit is not None:
            declared = _content_length(scope)
            if declared is not None and declared > streamed_limit:
                await _too_large(scope, send_with_id, request_id)
                self._log(scope, request_id, status, started, cost, span)
                return
            receive = _capped(receive, streamed_limit)
        elif _may_have_body(scope):
            body = await _read_body(receive, self.max_body_bytes, _content_length(scope))
            if body is None:
                await _too_large(scope, send_with_id, request_id)
                self._log(scope, request_id, status, started, cost, span)
                return
            receive = _replay(body)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if started_response:
                raise  # half a response is out: the server can only drop the connection
            if isinstance(exc, PayloadTooLarge):  # a streamed body outgrew its limit
                await _too_large(scope, send_with_id, request_id)
                return
            # The traceback goes to the log (which carries no bodies); the client gets a
            # problem with only an id, and the connection ends cleanly after it, since what
            # failed may have left the request's body half read.
            log.exception("unhandled_error", request_id=request_id, error_type=type(exc).__name__)
            await _internal_error(scope, send_with_id, request_id)
        finally:
            self._log(scope, request_id, status, started, cost, span)

    def _log(
        self,
        scope: Scope,
        request_id: str,
        status: int,
        started: float,
        cost: CostReading,
        span: Span,
    ) -> None:
        # The route's template (`/patients/{patient_id}`), never the path: no id reaches the
        # log or the metrics.
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        seconds = time.perf_counter() - started
        log.info(
            "request",
            request_id=request_id,
            method=scope["method"],
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 2),
        )
        method = _counted_method(scope)
        span.rename(f"{method} {route}")
        span.set("http.route", route)
        span.set("http.response.status_code", status)
        metrics = self.metrics() if self.metrics else None
        if metrics is not None:
            metrics.request_served(method=method, route=route, status=status, seconds=seconds)
        if fields := cost():
            log.debug(
                "request.capacity",
                request_id=request_id,
                method=scope["method"],
                route=route,
                status=status,
                **fields,
            )


def _counted_method(scope: Scope) -> str:
    """The method as metrics and spans name it: any other than the usual is "OTHER"."""
    method: str = scope["method"]
    return method if method in _COUNTED_METHODS else "OTHER"


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = str(value.decode("latin-1"))
            if _REQUEST_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _may_have_body(scope: Scope) -> bool:
    return scope["method"] in ("POST", "PUT", "PATCH", "DELETE")


async def _read_body(receive: Receive, limit: int, declared: int | None) -> bytes | None:
    """The whole request body, or None as soon as it is known to exceed `limit`.

    Read here rather than in the route so that an oversized body is a 413, and never a
    half-parsed request.
    """
    if declared is not None and declared > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Any = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _capped(receive: Receive, limit: int) -> Receive:
    """`receive`, raising PayloadTooLarge (a 413 problem) once the body passes `limit`,
    whatever Content-Length said (or when it said nothing: a chunked upload)."""
    size = 0

    async def capped() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise PayloadTooLarge("The request body is larger than this route accepts")
        return message

    return capped


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _with_defaults(headers: Any) -> list[tuple[bytes, bytes]]:
    """`headers` and each default header the response did not set itself."""
    out = list(headers)
    names = {name.lower() for name, _ in out}
    out.extend(pair for pair in _DEFAULT_HEADERS if pair[0] not in names)
    return out


async def _too_large(scope: Scope, send: Send, request_id: str) -> None:
    problem = PayloadTooLarge("The request body is larger than this server accepts")
    await _closing_problem(
        scope, send, request_id, 413, problem.kind, problem.title, problem.detail
    )


async def _internal_error(scope: Scope, send: Send, request_id: str) -> None:
    await _closing_problem(
        scope, send, request_id, 500, "internal", INTERNAL_TITLE, INTERNAL_DETAIL
    )


async def _closing_problem(
    scope: Scope, send: Send, request_id: str, status: int, kind: str, title: str, detail: str
) -> None:
    """A problem document, and `Connection: close`: the server ends the connection cleanly
    after it instead of reading what is left of this request as the next one. A part of
    the API with its own error format (FHIR's OperationOutcome) renders it its way."""
    if "app" in scope:
        request = Request(scope)
        renderer = renderer_for(request)
        if renderer is not None:
            response = renderer(request, status, kind, detail, [], {"Connection": "close"})
            await response(scope, _no_body, send)
            return
    body = orjson.dumps(
        {
            "type": problem_type(kind),
            "title": title,
            "status": status,
            "detail": detail,
            "instance": scope["path"],
            "requestId": request_id,
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
