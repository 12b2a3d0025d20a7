"""Chooses the tracing a process runs with: OpenTelemetry spans sent to the OTLP collector
`CAREHUB_OTEL_ENDPOINT` names, or none (then the SDK is not even imported, so a process
without a collector, a Lambda's cold start included, pays nothing for it)."""

from __future__ import annotations

from carehub.config import Settings
from carehub.kernel.tracing import NO_TRACING, Tracing


def tracing_of(settings: Settings, process: str) -> Tracing:
    """The tracing the settings name, its spans marked as `process`'s (api, worker)."""
    if settings.otel_endpoint is None:
        return NO_TRACING
    from carehub.adapters.tracing.opentelemetry import OpenTelemetryTracing

    return OpenTelemetryTracing.to_collector(settings.otel_endpoint, process=process)


async def close_tracing(tracing: Tracing) -> None:
    """Send the spans still batched, if the tracing keeps any."""
    close = getattr(tracing, "close", None)
    if close is not None:
        await close()
