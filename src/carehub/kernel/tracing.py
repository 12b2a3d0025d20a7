"""Where a process's time goes, request by request: the port the HTTP middleware, the use
cases, the stores and the event backbone open spans through, so none of them knows the
tracing library.

Off unless a deployment names a collector: then `NO_TRACING` stands in, whose spans are
one shared object that records nothing, and the callers that would wrap a call per span
(the stores, the use cases) are not wrapped at all.

A span's name and attributes are a route template, a method, a status, a use case's
name, a statement's operation and table, a consumer's name or an event type: never an id
of a record in a name, a name, contact data, free text, a query string or a body.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

Attribute = str | int | bool
# The W3C trace context (`traceparent`, `tracestate`) as text headers: how a trace goes
# with an event through the outbox, a broker and a webhook.
TraceHeaders = Mapping[str, str]

T = TypeVar("T")


class Span(Protocol):
    def rename(self, name: str) -> None:
        """Name the span once what names it is known (a request's route template)."""
        ...

    def set(self, key: str, value: Attribute) -> None: ...

    def failed(self, error: BaseException) -> None:
        """Mark the span as failed with the error's type (its message may carry data)."""
        ...


class Tracing(Protocol):
    enabled: bool
    """False for `NO_TRACING`: callers skip wrapping what they would trace."""

    def span(self, name: str, attributes: Mapping[str, Attribute]) -> AbstractContextManager[Span]:
        """A span for the block, child of the current one (or the root of a new trace)."""
        ...

    def child(self, name: str, attributes: Mapping[str, Attribute]) -> AbstractContextManager[Span]:
        """A span for the block only inside another one: a store call outside any traced
        work (a relay's poll, a lease renewed) is not worth a trace of its own."""
        ...

    def continued(
        self, name: str, parent: TraceHeaders, attributes: Mapping[str, Attribute]
    ) -> AbstractContextManager[Span]:
        """A span for the block whose parent is the context `parent` carries (an event's:
        the request that wrote it); the root of a new trace when it carries none."""
        ...

    def headers(self) -> dict[str, str]:
        """The current span's context as W3C headers (empty when there is none)."""
        ...


class _NoSpan:
    def rename(self, name: str) -> None:
        pass

    def set(self, key: str, value: Attribute) -> None:
        pass

    def failed(self, error: BaseException) -> None:
        pass


_NO_SPAN = _NoSpan()


class _NoSpanBlock:
    """A reusable context manager that opens nothing (cheaper than a new `nullcontext`)."""

    def __enter__(self) -> Span:
        return _NO_SPAN

    def __exit__(self, *exc_info: object) -> None:
        return None


_NO_BLOCK = _NoSpanBlock()


class NoTracing:
    """Records nothing (the default: no collector is set)."""

    enabled = False

    def span(self, name: str, attributes: Mapping[str, Attribute]) -> AbstractContextManager[Span]:
        return _NO_BLOCK

    def child(self, name: str, attributes: Mapping[str, Attribute]) -> AbstractContextManager[Span]:
        return _NO_BLOCK

    def continued(
        self, name: str, parent: TraceHeaders, attributes: Mapping[str, Attribute]
    ) -> AbstractContextManager[Span]:
        return _NO_BLOCK

    def headers(self) -> dict[str, str]:
        return {}


NO_TRACING: Tracing = NoTracing()


def in_spans(service: T, tracing: Tracing) -> T:
    """`service`, each of whose public coroutine methods runs in a span named
    `Class.method` (a use case); `service` itself when tracing is off. The arguments are
    never recorded: they hold what the use case is about."""
    if not tracing.enabled:
        return service
    return _Traced(service, tracing)  # type: ignore[return-value]


class _Traced:
    """A use-case object seen through spans; every other attribute is the object's own."""

    def __init__(self, service: object, tracing: Tracing) -> None:
        self._service = service
        self._tracing = tracing
        self._prefix = type(service).__name__

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._service, name)
        if name.startswith("_") or not inspect.iscoroutinefunction(found):
            return found
        traced = _spanned(found, f"{self._prefix}.{name}", self._tracing)
        setattr(self, name, traced)  # found once per method, not once per call
        return traced


def _spanned(method: Callable[..., Any], name: str, tracing: Tracing) -> Callable[..., Any]:
    attributes = {"code.function": name}

    @functools.wraps(method)
    async def traced(*args: Any, **kwargs: Any) -> Any:
        with tracing.span(name, attributes):
            return await method(*args, **kwargs)

    return traced
