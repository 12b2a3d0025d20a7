"""The kernel's Tracing port on OpenTelemetry: spans of a tracer provider of the process's
own, batched to an OTLP collector over HTTP.

Its own provider rather than the library's global one (which may be set once per
process), so two carehubs in one process (tests, the worker beside an API) each keep
theirs; the context spans nest in is the library's, carried by contextvars. Built only
when `CAREHUB_OTEL_ENDPOINT` names a collector: otherwise nothing here is imported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.trace.status import Status, StatusCode

from carehub.kernel.tracing import NO_TRACING, Attribute, Span, TraceHeaders

SERVICE_NAME = "carehub"
_PROPAGATOR = TraceContextTextMapPropagator()
_NO_BLOCK = NO_TRACING.span("", {})  # a block that opens no span


class _OtelSpan:
    __slots__ = ("_span",)

    def __init__(self, span: trace.Span) -> None:
        self._span = span

    def rename(self, name: str) -> None:
        self._span.update_name(name)

    def set(self, key: str, value: Attribute) -> None:
        self._span.set_attribute(key, value)

    def failed(self, error: BaseException) -> None:
        # The type only: an error's message may quote what was sent.
        self._span.set_attribute("error.type", type(error).__name__)
        self._span.set_status(Status(StatusCode.ERROR))


class OpenTelemetryTracing:
    """Implements the kernel's Tracing port; `close()` sends what is still batched."""

    enabled = True

    def __init__(self, exporter: SpanExporter, *, process: str) -> None:
        resource = Resource.create({"service.name": SERVICE_NAME, "carehub.process": process})
        self._provider = TracerProvider(resource=resource)
        self._provider.add_span_processor(BatchSpanProcessor(exporter))
        self._tracer = self._provider.get_tracer("carehub")

    @classmethod
    def to_collector(cls, endpoint: str, *, process: str) -> OpenTelemetryTracing:
        """Spans sent to the OTLP/HTTP collector at `endpoint` (`http://collector:4318`)."""
        url = endpoint.rstrip("/")
        if not url.endswith("/v1/traces"):
            url += "/v1/traces"
        return cls(OTLPSpanExporter(endpoint=url), process=process)

    def span(self, name: str, attributes: Mapping[str, Attribute]) -> AbstractContextManager[Span]:
        return self._open(name, attributes, None, trace.SpanKind.INTERNAL)

    def child(self, name: str, attributes: Mapping[str, Attribute]) -> AbstractContextManager[Span]:
        if not trace.get_current_span().get_span_context().is_valid:
            return _NO_BLOCK
        return self._open(name, attributes, None, trace.SpanKind.CLIENT)

    def continued(
        self, name: str, parent: TraceHeaders, attributes: Mapping[str, Attribute]
    ) -> AbstractContextManager[Span]:
        context = _PROPAGATOR.extract(dict(parent)) if parent else None
        return self._open(name, attributes, context, trace.SpanKind.CONSUMER)

    def headers(self) -> dict[str, str]:
        carrier: dict[str, str] = {}
        _PROPAGATOR.inject(carrier)
        return carrier

    def flush(self) -> None:
        """Export every span ended so far (tests; a short-lived process before it exits)."""
        self._provider.force_flush()

    async def close(self) -> None:
        self._provider.shutdown()

    @contextmanager
    def _open(
        self,
        name: str,
        attributes: Mapping[str, Attribute],
        context: Context | None,
        kind: trace.SpanKind,
    ) -> Iterator[Span]:
        with self._tracer.start_as_current_span(
            name,
            context=context,
            kind=kind,
            attributes=dict(attributes),
            # Recorded by `failed` as a type: an exception's message and stack may carry data.
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            handle = _OtelSpan(span)
            try:
                yield handle
            except BaseException as exc:
                handle.failed(exc)
                raise
