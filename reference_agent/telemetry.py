"""OpenTelemetry spans for each chat, LLM call and tool call.

Without a configured exporter the API's no-op tracer is used, so spans cost next to nothing.
The OTLP/HTTP exporter is installed only when OTEL_EXPORTER_OTLP_ENDPOINT is set or the
`otel_export` flag is on.
"""

from __future__ import annotations

import os

from opentelemetry import trace

_configured = False


def setup(service_name: str, force: bool = False) -> bool:
    """Install an OTLP exporter when configured; returns whether one was installed."""
    global _configured
    if _configured or not (force or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")):
        return _configured
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True
    return True


def tracer() -> trace.Tracer:
    return trace.get_tracer("reference_agent")
