"""Generated inputs for the OpenTelemetry receiver's parsers: any body, any content type or encoding, and
OTLP-shaped JSON of any shape are either read or refused with an `OtlpError` (the receiver's 4xx), never
another exception; what is read maps to rows without raising, content dropped unless recording it."""

import gzip
import json

from hypothesis import strategies as st

from desktop_app.capture.otlp import decode_request
from desktop_app.capture.otlp_http import OtlpError
from desktop_app.capture.otlp_metrics import metric_points
from desktop_app.capture.otlp_spans import trace_batch
from tests.properties.profile import both, fast, shaped

SIGNALS = ("traces", "metrics", "logs")
CONTENT_TYPES = ("application/json", "application/x-protobuf", "application/json; charset=utf-8", "text/plain", "")
ENCODINGS = ("", "gzip", "identity", "br", "deflate")
# The names the decoder and the span mapping look for (copilot-protocol.md §10), so generated documents reach them.
OTLP_KEYS = [
    "resourceSpans", "resourceMetrics", "resourceLogs", "resource", "scopeSpans", "scopeMetrics", "scope",
    "spans", "metrics", "attributes", "key", "value", "stringValue", "intValue", "doubleValue", "boolValue",
    "arrayValue", "kvlistValue", "values", "traceId", "spanId", "parentSpanId", "name", "kind",
    "startTimeUnixNano", "endTimeUnixNano", "status", "code", "message", "sum", "gauge", "histogram",
    "dataPoints", "asInt", "asDouble", "timeUnixNano", "aggregationTemporality", "isMonotonic",
    "chat", "invoke_agent", "execute_tool", "gen_ai.operation.name", "gen_ai.request.model",
    "gen_ai.response.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "github.copilot.cost",
    "github.copilot.initiator", "github.copilot.interaction_id", "github.copilot.turn_id", "gen_ai.tool.name",
    "gen_ai.input.messages", "gen_ai.output.messages", "service.name",
]


def _refusal_is_a_client_error(refused: OtlpError) -> None:
    assert 400 <= refused.status < 500, refused.status


def _map(signal: str, message: object, record_content: bool) -> None:
    if signal == "traces":
        trace_batch(message, "alice", record_content=record_content)  # type: ignore[arg-type]
    elif signal == "metrics":
        metric_points(message, "alice")  # type: ignore[arg-type]


def prop_any_body(signal: str, body: bytes, content_type: str, encoding: str, compress: bool) -> None:
    data = gzip.compress(body) if compress else body
    try:
        message = decode_request(signal, data, content_type, encoding)  # type: ignore[arg-type]
    except OtlpError as refused:
        _refusal_is_a_client_error(refused)
        return
    _map(signal, message, record_content=False)


def prop_shaped_json(signal: str, document: object, record_content: bool, compress: bool) -> None:
    body = json.dumps({f"resource{signal.title()}": [document]} if isinstance(document, dict) else document).encode()
    try:
        message = decode_request(signal, gzip.compress(body) if compress else body, "application/json",  # type: ignore[arg-type]
                                 "gzip" if compress else "")
    except OtlpError as refused:
        _refusal_is_a_client_error(refused)
        return
    _map(signal, message, record_content)


signal = st.sampled_from(SIGNALS)
test_any_body = fast(prop_any_body, signal=signal, body=st.binary(max_size=2_000),
                     content_type=st.sampled_from(CONTENT_TYPES), encoding=st.sampled_from(ENCODINGS),
                     compress=st.booleans())
test_shaped_json, test_shaped_json_deep = both(prop_shaped_json, signal=signal, document=shaped(OTLP_KEYS, 24),
                                               record_content=st.booleans(), compress=st.booleans())
