"""Copilot's own spans (copilot-protocol.md §10) as the store keeps them: model calls and tool calls.

- A `chat` span is one model call: a `UsageEvent` with `source` "otel" (model, tokens, AI credits from
  `github.copilot.cost`, initiator, interaction and turn ids, duration). Its `source_id` is built from
  the trace and span ids, so a batch the exporter sends again is stored once.
- An `invoke_agent` span is one prompt. Its sums are not stored (they repeat the chat spans'), but
  its first model call is the user's interaction: a chat span without `github.copilot.initiator` or
  `github.copilot.interaction_id` (VS Code's pipeline) takes them from the `invoke_agent` span above it.
- An `execute_tool` span is one `ToolCall` (tool name, MCP server as the client sent it).

GenAI attribute names are still "Development" status upstream: they are read defensively, and spans
of any other operation are accepted and ignored. Content attributes (prompts, answers, tool
arguments and results) are never read unless content recording is on; then each span's content
becomes a redacted `ContentRecord`, like a proxied request's.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from desktop_app.capture.decoding import parse_json
from desktop_app.capture.otlp import attributes, hex_id
from desktop_app.capture.otlp_http import Rejected
from desktop_app.core import models as m
from desktop_app.core.redaction import redact_json

CHAT: Final = "chat"
INVOKE_AGENT: Final = "invoke_agent"
EXECUTE_TOOL: Final = "execute_tool"
INITIATOR_SOURCE: Final = "otel"
NANO_PER_CREDIT: Final = 1_000_000_000
# service.name → (editor, mode), matching what the proxy records for the same client.
CLIENTS: Final[Mapping[str, tuple[str, str]]] = {
    "github-copilot": ("copilot-cli", "cli"),
    "copilot-chat": ("vscode", ""),
}
CONTENT_KEYS: Final = frozenset({
    "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions", "gen_ai.tool.definitions",
    "gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "gen_ai.prompt", "gen_ai.completion",
})
_CONTENT_PREFIXES: Final = ("gen_ai.prompt.", "gen_ai.completion.", "gen_ai.input.", "gen_ai.output.")
_MAX_ANCESTORS: Final = 32


def is_content(key: str) -> bool:
    """Whether attribute `key` holds content (a prompt, an answer, tool arguments or results)."""
    return key in CONTENT_KEYS or key.startswith(_CONTENT_PREFIXES)


def operation(span: Span, attrs: Mapping[str, object]) -> str:
    """The GenAI operation of a span: `gen_ai.operation.name`, else the span name's first word."""
    name = attrs.get("gen_ai.operation.name")
    return name if isinstance(name, str) and name else span.name.split(" ", 1)[0]


def _text(attrs: Mapping[str, object], *keys: str) -> str:
    for key in keys:
        value = attrs.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _count(attrs: Mapping[str, object], *keys: str) -> int | None:
    """A token count: an int (OTLP/JSON sends `intValue` as a string, already decoded), else None."""
    for key in keys:
        value = attrs.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and value >= 0:
            return value
        if isinstance(value, float) and math.isfinite(value) and value >= 0:
            return round(value)
    return None


def _nano_aiu(attrs: Mapping[str, object]) -> int | None:
    """`github.copilot.cost` (AI credits) in nano-AIU, as the proxy stores `copilot_usage.total_nano_aiu`."""
    value = attrs.get("github.copilot.cost")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    return round(value * NANO_PER_CREDIT)


def _utc(unix_nano: int) -> datetime:
    return datetime.fromtimestamp(unix_nano / 1e9, UTC)


def _span_key(span: Span) -> str:
    return f"otel:{hex_id(span.trace_id)}:{hex_id(span.span_id)}"


@dataclass(frozen=True)
class _Client:
    service: str
    version: str

    @property
    def editor(self) -> str:
        return CLIENTS.get(self.service, (self.service, ""))[0]

    @property
    def mode(self) -> str:
        return CLIENTS.get(self.service, ("", ""))[1]


@dataclass
class _Spans:
    """The spans of one export, with what the mapping needs to look up across them."""

    chats: list[tuple[Span, dict[str, object], _Client]] = field(default_factory=list)
    tools: list[tuple[Span, dict[str, object]]] = field(default_factory=list)
    agents: dict[tuple[bytes, bytes], Span] = field(default_factory=dict)
    parents: dict[tuple[bytes, bytes], bytes] = field(default_factory=dict)
    content: list[tuple[Span, dict[str, object]]] = field(default_factory=list)
    rejected: int = 0


def _collect(request: ExportTraceServiceRequest, *, record_content: bool) -> _Spans:
    spans = _Spans()
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        client = _Client(_text(resource, "service.name"), _text(resource, "service.version"))
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                _add(spans, span, client, record_content=record_content)
    return spans


def _add(spans: _Spans, span: Span, client: _Client, *, record_content: bool) -> None:
    attrs = {key: value for key, value in attributes(span.attributes).items() if not is_content(key)}
    kind = operation(span, attrs)
    if kind not in (CHAT, INVOKE_AGENT, EXECUTE_TOOL):
        return
    if not span.start_time_unix_nano or span.end_time_unix_nano < span.start_time_unix_nano:
        spans.rejected += 1
        return
    spans.parents[span.trace_id, span.span_id] = span.parent_span_id
    if kind == CHAT:
        spans.chats.append((span, attrs, client))
    elif kind == EXECUTE_TOOL:
        spans.tools.append((span, attrs))
    else:
        spans.agents[span.trace_id, span.span_id] = span
    if record_content:
        content = {key: value for key, value in attributes(span.attributes).items() if is_content(key)}
        if content:
            spans.content.append((span, content))


def _agent_of(spans: _Spans, span: Span) -> Span | None:
    """The nearest `invoke_agent` span above `span` in this export, if any."""
    parent = span.parent_span_id
    for _ in range(_MAX_ANCESTORS):
        if not parent:
            return None
        key = (span.trace_id, parent)
        if key in spans.agents:
            return spans.agents[key]
        parent = spans.parents.get(key, b"")
    return None


def _first_calls(spans: _Spans) -> set[tuple[bytes, bytes]]:
    """The earliest chat span under each `invoke_agent` span: the user's turn of that prompt."""
    first: dict[tuple[bytes, bytes], Span] = {}
    for span, _, _ in spans.chats:
        agent = _agent_of(spans, span)
        if agent is None:
            continue
        key = (agent.trace_id, agent.span_id)
        if key not in first or span.start_time_unix_nano < first[key].start_time_unix_nano:
            first[key] = span
    return {(span.trace_id, span.span_id) for span in first.values()}


def _status(span: Span, attrs: Mapping[str, object]) -> tuple[int | None, str | None]:
    """(HTTP status, error): `http.response.status_code` when sent, else 200 unless the span failed."""
    code = _count(attrs, "http.response.status_code")
    if span.status.code == Status.STATUS_CODE_ERROR:
        return code, span.status.message[:200] or "the client reported an error"
    return code or 200, None


def _model_call(spans: _Spans, span: Span, attrs: Mapping[str, object], client: _Client, *,
                developer: str, firsts: set[tuple[bytes, bytes]]) -> m.UsageEvent:
    agent = _agent_of(spans, span)
    initiator = _text(attrs, "github.copilot.initiator").lower()
    if initiator not in ("user", "agent"):
        initiator = "" if agent is None else ("user" if (span.trace_id, span.span_id) in firsts else "agent")
    interaction = _text(attrs, "github.copilot.interaction_id")
    if not interaction and agent is not None:
        interaction = hex_id(agent.span_id)
    status, error = _status(span, attrs)
    reasons = attrs.get("gen_ai.response.finish_reasons")
    return m.UsageEvent(
        developer=developer, started_at=_utc(span.start_time_unix_nano), method="POST", host=client.service,
        path="", host_family="api", kind=m.KIND_MODEL_CALL, status=status,
        duration_ms=(span.end_time_unix_nano - span.start_time_unix_nano) / 1e6, ttfb_ms=None,
        request_bytes=0, response_bytes=0, http_version="", streamed=attrs.get("gen_ai.request.stream") is True,
        error=error, mode=client.mode, initiator=initiator, initiator_source=INITIATOR_SOURCE if initiator else "",
        interaction_id=interaction, model=_text(attrs, "gen_ai.request.model", "gen_ai.response.model"),
        editor=client.editor, editor_version=client.version,
        prompt_tokens=_count(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
        completion_tokens=_count(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
        cached_tokens=_count(attrs, "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens"),
        reasoning_tokens=_count(attrs, "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens"),
        nano_aiu=_nano_aiu(attrs),
        finish_reason=str(reasons[0]) if isinstance(reasons, list) and reasons else "",
        has_text=None, source_id=_span_key(span), source=m.SOURCE_OTEL,
        turn_id=_text(attrs, "github.copilot.turn_id"),
    )


def _mcp_server(attrs: Mapping[str, object]) -> str:
    for key, value in attrs.items():
        lowered = key.lower()
        if "mcp" in lowered and "server" in lowered and isinstance(value, str):
            return value[:200]
    return ""


def _tool_call(spans: _Spans, span: Span, attrs: Mapping[str, object], developer: str) -> m.ToolCall:
    name = _text(attrs, "gen_ai.tool.name") or span.name.partition(" ")[2] or "unknown"
    agent = _agent_of(spans, span)
    interaction = _text(attrs, "github.copilot.interaction_id") or (hex_id(agent.span_id) if agent else "")
    return m.ToolCall(
        developer=developer, started_at=_utc(span.start_time_unix_nano), tool=name[:200],
        mcp_server=_mcp_server(attrs), duration_ms=(span.end_time_unix_nano - span.start_time_unix_nano) / 1e6,
        failed=span.status.code == Status.STATUS_CODE_ERROR, interaction_id=interaction,
        source_id=_span_key(span),
    )


def _content_value(value: object) -> object:
    if isinstance(value, str) and value[:1] in "[{":
        parsed = parse_json(value.encode())
        return value if parsed is None else parsed
    return value


def _content_record(span: Span, content: Mapping[str, object], developer: str) -> m.ContentRecord:
    started = _utc(span.start_time_unix_nano)
    document: dict[str, object] = {
        "proxy-authorization": developer,  # the seed's key; only the name
        "timestamp": started.isoformat(),
        "source": m.SOURCE_OTEL,
        "span": span.name,
        "content": redact_json({key: _content_value(value) for key, value in content.items()}),
    }
    folder = "tools" if span.name.startswith(EXECUTE_TOOL) else "chat"
    return m.ContentRecord(developer, started, folder, document)


@dataclass(frozen=True)
class TraceBatch:
    """What one traces export adds: the records, how many spans it held, and what was rejected."""

    batch: m.RecordBatch
    spans: int
    rejected: Rejected


def trace_batch(request: ExportTraceServiceRequest, developer: str, *, record_content: bool) -> TraceBatch:
    """Map an export of `developer`'s spans to model calls, tool calls and (if recorded) content."""
    spans = _collect(request, record_content=record_content)
    firsts = _first_calls(spans)
    usage = tuple(_model_call(spans, span, attrs, client, developer=developer, firsts=firsts)
                  for span, attrs, client in spans.chats)
    tools = tuple(_tool_call(spans, span, attrs, developer) for span, attrs in spans.tools)
    content = tuple(_content_record(span, values, developer) for span, values in spans.content)
    total = sum(len(s.spans) for rs in request.resource_spans for s in rs.scope_spans)
    message = f"{spans.rejected} span(s) without valid start and end times" if spans.rejected else ""
    return TraceBatch(m.RecordBatch(usage=usage, tool_calls=tools, content=content), total,
                      Rejected(spans.rejected, message))

