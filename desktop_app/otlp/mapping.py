"""One export's body in, the records it carries and the answer's body out: decoding and mapping with protobuf.

`intake` imports this module on the first export only: `opentelemetry-proto` and protobuf cost a running
proxy about 3.5 MB and 70 modules, which a team whose developers never export OpenTelemetry should not
pay. Bad input raises `capture.otlp_http.OtlpError`.
"""

from dataclasses import dataclass
from typing import cast

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from desktop_app.capture.otlp import decode_request, encode_response
from desktop_app.capture.otlp_http import Rejected, Signal, body_format
from desktop_app.capture.otlp_metrics import metric_points
from desktop_app.capture.otlp_spans import trace_batch
from desktop_app.core.models import RecordBatch


@dataclass(frozen=True)
class Mapped:
    """What one export carried (`batch` None for logs: the spans carry the usage) and the answer to send."""

    batch: RecordBatch | None
    rejected: Rejected
    log_records: int
    response: bytes


def map_export(signal: Signal, developer: str, body: bytes, content_type: str, content_encoding: str, *,
               record_content: bool) -> Mapped:
    """Decode `body` and map it to records of `developer`; the response is in the request's encoding."""
    message = decode_request(signal, body, content_type, content_encoding)
    batch, rejected, log_records = _map(signal, message, developer, record_content=record_content)
    return Mapped(batch, rejected, log_records, encode_response(signal, body_format(content_type), rejected))


def _map(signal: Signal, message: object, developer: str, *,
         record_content: bool) -> tuple[RecordBatch | None, Rejected, int]:
    if signal == "traces":
        traces = trace_batch(cast("ExportTraceServiceRequest", message), developer, record_content=record_content)
        return traces.batch, traces.rejected, 0
    if signal == "metrics":
        points, rejected = metric_points(cast("ExportMetricsServiceRequest", message), developer)
        return RecordBatch(metric_points=points), rejected, 0
    logs = cast("ExportLogsServiceRequest", message)
    count = sum(len(scope.log_records) for resource in logs.resource_logs for scope in resource.scope_logs)
    return None, Rejected(), count  # accepted so the client does not retry
