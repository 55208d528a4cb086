"""OTLP/HTTP request bodies: decoding JSON or protobuf, plain or gzip (what a request may be: `otlp_http`).

Copilot's clients export their own OpenTelemetry (copilot-protocol.md §10) as OTLP over HTTP: the CLI
sends JSON (`application/json`) by default, protobuf (`application/x-protobuf`) on request, either of
them gzip-compressed or not. Both encodings are decoded into the official `opentelemetry-proto`
messages, so everything after this module reads one representation. OTLP/JSON differs from protobuf's
own JSON mapping in one way that matters: trace and span ids are hex strings, not base64; they are
converted before parsing.

Bad input raises `OtlpError` with the HTTP status the receiver answers and a sentence for the sender;
nothing here touches the network, the store or a thread.
"""

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Final, cast

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsPartialSuccess,
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from desktop_app.capture.otlp_http import (
    MAX_BODY_BYTES,
    BodyFormat,
    OtlpError,
    Rejected,
    Signal,
    body_format,
    decompress,
)

_REQUESTS: Final[Mapping[Signal, Callable[[], Message]]] = {
    "traces": ExportTraceServiceRequest, "metrics": ExportMetricsServiceRequest, "logs": ExportLogsServiceRequest,
}
_ID_KEYS: Final = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"})


def _hex_ids_to_base64(value: object) -> object:
    """Turn OTLP/JSON's hex trace and span ids into the base64 protobuf's JSON mapping expects."""
    if isinstance(value, list):
        return [_hex_ids_to_base64(item) for item in value]
    if not isinstance(value, dict):
        return value
    converted: dict[str, object] = {}
    for key, item in value.items():
        if key in _ID_KEYS and isinstance(item, str):
            try:
                converted[key] = base64.b64encode(bytes.fromhex(item)).decode()
            except ValueError:
                raise OtlpError(400, f"{key} {item[:40]!r} is not a hexadecimal id.") from None
        else:
            converted[key] = _hex_ids_to_base64(item)
    return converted


def parse_request(signal: Signal, body: bytes, fmt: BodyFormat) -> Message:
    """Decode an (already decompressed) export request of `signal` into its protobuf message."""
    message = _REQUESTS[signal]()
    if fmt == "protobuf":
        try:
            message.ParseFromString(body)
        except DecodeError as exc:
            raise OtlpError(400, f"The protobuf body is not an OTLP {signal} export request ({exc}).") from exc
        return message
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise OtlpError(400, f"The JSON body could not be read ({exc}).") from exc
    if not isinstance(data, dict):
        raise OtlpError(400, "The JSON body must be an object (an OTLP export request).")
    try:
        json_format.ParseDict(cast("dict[str, object]", _hex_ids_to_base64(data)), message,
                              ignore_unknown_fields=True)
    except (json_format.ParseError, binascii.Error) as exc:
        raise OtlpError(400, f"The JSON body is not an OTLP {signal} export request ({exc}).") from exc
    return message


def decode_request(signal: Signal, body: bytes, content_type: str, content_encoding: str) -> Message:
    """The export request a POST carried: content type checked, decompressed, parsed."""
    fmt = body_format(content_type)
    if len(body) > MAX_BODY_BYTES:
        raise OtlpError(413, f"The body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB.")
    return parse_request(signal, decompress(body, content_encoding), fmt)


def encode_response(signal: Signal, fmt: BodyFormat, rejected: Rejected) -> bytes:
    """The export response in the request's encoding, with a partial success when anything was rejected."""
    response: Message
    if signal == "traces":
        response = ExportTraceServiceResponse()
        if rejected.count or rejected.message:
            response.partial_success.CopyFrom(ExportTracePartialSuccess(
                rejected_spans=rejected.count, error_message=rejected.message))
    elif signal == "metrics":
        response = ExportMetricsServiceResponse()
        if rejected.count or rejected.message:
            response.partial_success.CopyFrom(ExportMetricsPartialSuccess(
                rejected_data_points=rejected.count, error_message=rejected.message))
    else:
        response = ExportLogsServiceResponse()
        if rejected.count or rejected.message:
            response.partial_success.CopyFrom(ExportLogsPartialSuccess(
                rejected_log_records=rejected.count, error_message=rejected.message))
    if fmt == "protobuf":
        return response.SerializeToString()
    return json.dumps(json_format.MessageToDict(response)).encode()


def any_value(value: AnyValue) -> object:
    """An OTLP `AnyValue` as plain Python: str, bool, int, float, bytes, list or dict (None when empty)."""
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if which == "kvlist_value":
        return attributes(value.kvlist_value.values)
    item: object = getattr(value, which)
    return item


def attributes(items: Iterable[KeyValue]) -> dict[str, object]:
    """OTLP attributes (`KeyValue`s) as a dict; a repeated key keeps its last value."""
    return {item.key: any_value(item.value) for item in items}


def hex_id(raw: bytes) -> str:
    """A trace or span id as OTLP/JSON writes it (lower-case hex)."""
    return raw.hex()
