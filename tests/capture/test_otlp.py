"""OTLP decoding and the mapping of Copilot's spans and metrics, on CLI-shaped payloads (§10)."""

import gzip
import json

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from desktop_app.capture.otlp import decode_request, encode_response
from desktop_app.capture.otlp_http import MAX_BODY_BYTES, OtlpError, Rejected
from desktop_app.capture.otlp_metrics import metric_points
from desktop_app.capture.otlp_spans import trace_batch
from desktop_app.core.models import KIND_MODEL_CALL, SOURCE_OTEL
from tests.fixtures.otel_cli import MODEL, CliRun, attrs

START_NS = 1_780_000_000_000_000_000
RUN = CliRun(start_ns=START_NS)


def traces(body: bytes = RUN.traces_body(), content_type="application/json", encoding=""):
    return decode_request("traces", body, content_type, encoding)


def test_cli_json_export_gives_two_model_calls_and_a_tool_call():
    result = trace_batch(traces(), "alice", record_content=False)
    first, second = result.batch.usage
    assert (result.spans, result.rejected) == (4, Rejected())
    assert first.kind == KIND_MODEL_CALL and first.source == SOURCE_OTEL
    assert (first.developer, first.model, first.initiator, second.initiator) == ("alice", MODEL, "user", "agent")
    assert (first.prompt_tokens, first.completion_tokens, second.prompt_tokens) == (5760, 120, 6120)
    assert first.nano_aiu == 1_000_000_000 and second.nano_aiu == 0  # github.copilot.cost in AI credits
    assert first.interaction_id == second.interaction_id == RUN.interaction_id
    assert (first.turn_id, second.turn_id) == ("0", "1")
    assert first.duration_ms == pytest.approx(1800.0)
    assert first.started_at.timestamp() == pytest.approx(START_NS / 1e9 + 0.1)
    assert (first.editor, first.editor_version, first.mode, first.status) == ("copilot-cli", "1.0.102", "cli", 200)
    assert first.source_id == f"otel:{RUN.trace_id}:c1c1c1c1c1c1c1c1"
    (tool,) = result.batch.tool_calls
    assert (tool.tool, tool.mcp_server, tool.failed, tool.duration_ms) == ("view", "", False, pytest.approx(40.0))


def test_content_attributes_are_dropped_unless_content_is_recorded():
    run = CliRun(start_ns=START_NS, extra_chat_attrs={"gen_ai.input.messages": '[{"role": "user", "parts": []}]',
                                                      "gen_ai.output.messages": "secret answer"})
    kept = trace_batch(traces(run.traces_body()), "alice", record_content=False)
    assert kept.batch.content == ()
    assert "secret answer" not in repr(kept.batch)
    recorded = trace_batch(traces(run.traces_body()), "alice", record_content=True)
    folders = sorted(record.kind_folder for record in recorded.batch.content)
    assert folders == ["chat", "chat", "tools"]
    chat = next(r for r in recorded.batch.content if r.kind_folder == "chat")
    assert chat.document["content"]["gen_ai.input.messages"] == [{"role": "user", "parts": []}]
    assert chat.document["source"] == "otel"


def test_protobuf_and_gzip_decode_to_the_same_calls_as_json():
    message = traces()
    protobuf = message.SerializeToString()
    from_protobuf = traces(gzip.compress(protobuf), "application/x-protobuf", "gzip")
    assert from_protobuf == message
    assert trace_batch(from_protobuf, "alice", record_content=False) == trace_batch(message, "alice",
                                                                                     record_content=False)


def test_vscode_style_spans_without_copilot_attributes_take_the_interaction_from_invoke_agent():
    run = CliRun(start_ns=START_NS, service="copilot-chat")
    data = run.traces()
    for span in data["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        span["attributes"] = [a for a in span["attributes"] if not a["key"].startswith("github.copilot.")]
    result = trace_batch(traces(json.dumps(data).encode()), "bob", record_content=False)
    first, second = result.batch.usage
    assert (first.initiator, second.initiator) == ("user", "agent")
    assert first.interaction_id == second.interaction_id == "a1a1a1a1a1a1a1a1"
    assert first.nano_aiu is None  # no cost sent: unknown, not zero
    assert (first.editor, first.mode) == ("vscode", "")


def test_spans_without_times_are_rejected_as_a_partial_success():
    data = RUN.traces()
    data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["startTimeUnixNano"] = "0"
    result = trace_batch(traces(json.dumps(data).encode()), "alice", record_content=False)
    assert len(result.batch.usage) == 1
    assert result.rejected.count == 1 and "start and end" in result.rejected.message
    body = encode_response("traces", "protobuf", result.rejected)
    response = ExportTraceServiceResponse.FromString(body)
    assert response.partial_success.rejected_spans == 1
    assert json.loads(encode_response("traces", "json", result.rejected))["partialSuccess"]["rejectedSpans"] == "1"


def test_an_error_span_is_an_error_and_unknown_operations_are_ignored():
    data = RUN.traces()
    spans = data["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[0]["status"] = {"code": 2, "message": "rate limited"}
    spans.append({**spans[0], "spanId": "f0f0f0f0f0f0f0f0", "name": "embeddings x",
                  "attributes": attrs({"gen_ai.operation.name": "embeddings"})})
    result = trace_batch(traces(json.dumps(data).encode()), "alice", record_content=False)
    assert [(e.status, e.error) for e in result.batch.usage] == [(None, "rate limited"), (200, None)]


def test_metrics_are_kept_raw_with_their_temporality():
    points, rejected = metric_points(decode_request("metrics", RUN.metrics_body(), "application/json", ""), "alice")
    assert rejected == Rejected()
    histogram, counter = points
    assert (histogram.name, histogram.kind, histogram.temporality, histogram.value) == (
        "gen_ai.client.token.usage", "histogram", "cumulative", None)
    assert json.loads(histogram.data)["sum"] == 11880.0
    assert json.loads(histogram.attributes) == {"gen_ai.request.model": MODEL, "gen_ai.token.type": "input"}
    assert (counter.kind, counter.value, counter.service) == ("sum", 1.0, "github-copilot")


@pytest.mark.parametrize(("body", "content_type", "encoding", "status"), [
    (b"{", "application/json", "", 400),
    (b"[]", "application/json", "", 400),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}', "application/json", "", 400),
    (b"\xff\xff\xff", "application/x-protobuf", "", 400),
    (b"{}", "text/plain", "", 415),
    (b"{}", "application/json", "br", 415),
    (b"not gzip", "application/json", "gzip", 400),
    (gzip.compress(b"{}")[:-6], "application/json", "gzip", 400),
    (gzip.compress(b" " * (MAX_BODY_BYTES + 1)), "application/json", "gzip", 413),
])
def test_bad_bodies_get_a_clear_status(body, content_type, encoding, status):
    with pytest.raises(OtlpError) as caught:
        decode_request("traces", body, content_type, encoding)
    assert caught.value.status == status and caught.value.message


def test_json_ids_are_hex_as_otlp_json_writes_them():
    message = traces()
    assert isinstance(message, ExportTraceServiceRequest)
    span = message.resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id.hex() == RUN.trace_id
    as_protobuf_json = json_format.MessageToDict(message)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert as_protobuf_json["traceId"] != RUN.trace_id  # protobuf's own JSON mapping writes base64
