"""Sends one agent run as OpenTelemetry GenAI spans to Preflight, through the real
OpenTelemetry Python SDK and its OTLP/HTTP (protobuf) exporter.

Configured the way a user would configure any exporter, by the standard variables:
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:PORT/otel (the exporter appends
/v1/traces), OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20jj_...,
OTEL_EXPORTER_OTLP_COMPRESSION=gzip.

Prints {"trace_id": "<32 hex>", "exports": N} and exits 0 only if every export
succeeded.
"""

import json
import sys

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode


class RecordingExporter(OTLPSpanExporter):
    """The stock exporter, remembering each export's result (the SDK only logs failures)."""

    def __init__(self):
        super().__init__()
        self.results = []

    def export(self, spans):
        result = super().export(spans)
        self.results.append(result)
        return result


def main():
    exporter = RecordingExporter()
    provider = TracerProvider(
        resource=Resource.create(
            {
                "service.name": "support-agent",
                "service.version": "2.1.0",
                "deployment.environment.name": "ci",
            }
        )
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("preflight-otel-test", "1.0.0")

    with tracer.start_as_current_span(
        "invoke_agent support-bot",
        kind=SpanKind.INTERNAL,
        attributes={
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "support-bot",
            "gen_ai.conversation.id": "conv-42",
            "gen_ai.provider.name": "openai",
        },
    ) as root:
        with tracer.start_as_current_span(
            "chat gpt-4o-mini",
            kind=SpanKind.CLIENT,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.usage.input_tokens": 412,
                "gen_ai.usage.output_tokens": 37,
                "gen_ai.usage.cost.amount": 0.00031,
            },
        ):
            pass
        with tracer.start_as_current_span(
            "execute_tool payments.refund",
            kind=SpanKind.INTERNAL,
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "payments.refund",
                "gen_ai.tool.call.id": "call_1",
                "gen_ai.tool.call.arguments": json.dumps({"order": "A-1001", "amount": 20}),
                "gen_ai.tool.call.result": json.dumps({"status": "refunded"}),
            },
        ):
            pass
        with tracer.start_as_current_span(
            "execute_tool crm.lookup",
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "crm.lookup",
            },
        ) as failing:
            failing.set_status(Status(StatusCode.ERROR, "crm timeout"))
        with tracer.start_as_current_span(
            "GET /orders/A-1001",
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": "GET", "url.full": "http://orders.internal/orders/A-1001"},
        ):
            pass
        trace_id = format(root.get_span_context().trace_id, "032x")

    flushed = provider.force_flush(30_000)
    provider.shutdown()
    ok = flushed and exporter.results and all(r == SpanExportResult.SUCCESS for r in exporter.results)
    print(json.dumps({"trace_id": trace_id, "exports": len(exporter.results)}))
    if not ok:
        print(f"export failed: flushed={flushed} results={exporter.results}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
