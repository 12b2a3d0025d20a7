"""Tracing (the kernel Tracing port): OpenTelemetry spans, exported over OTLP."""
