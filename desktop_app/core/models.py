"""Plain data passed between layers: what the proxy observed, as the store and the UI see it.

Frozen dataclasses only: they cross threads (proxy loop → writer → GUI) and must never be the
live mitmproxy objects, which keep changing on the proxy thread. No secret ever goes in here:
no Authorization value, cookie, bearer token or proxy password.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

Milliseconds = float

# UsageEvent.kind values (copilot-protocol.md §2.13).
KIND_COMPLETION = "completion"
KIND_NES = "nes"
KIND_INSTANT_APPLY = "instant_apply"
KIND_PROXY_CHAT = "proxy_chat_other"
KIND_MODEL_CALL = "model_call"
KIND_CODE_REVIEW = "code_review"
KIND_CLOUD_AGENT = "cloud_agent"
KIND_EXTENSION = "extension"
KIND_MCP = "mcp"
KIND_INFRA = "infra"
KIND_TELEMETRY = "telemetry"
KIND_OTHER = "other"

# UsageEvent.source values.
SOURCE_PROXY = "proxy"
SOURCE_OTEL = "otel"

KIND_TITLES = {
    KIND_COMPLETION: "code completion",
    KIND_NES: "next edit suggestion",
    KIND_INSTANT_APPLY: "apply in editor",
    KIND_PROXY_CHAT: "other chat request",
    KIND_MODEL_CALL: "model call",
    KIND_CODE_REVIEW: "code review",
    KIND_CLOUD_AGENT: "coding agent",
    KIND_EXTENSION: "Copilot extension",
    KIND_MCP: "MCP server",
    KIND_INFRA: "Copilot service call",
    KIND_TELEMETRY: "editor telemetry",
    KIND_OTHER: "other",
}
"""What people read for each kind (the dashboard, reports); the stored value stays the machine name."""


def kind_title(kind: str) -> str:
    """`kind` in words a lead knows (an unknown kind as it is, without underscores)."""
    return KIND_TITLES.get(kind, kind.replace("_", " "))

CLI_INTEGRATION = "copilot-developer-cli"
"""The `Copilot-Integration-Id` of the Copilot CLI (§2.2)."""

# TelemetryEvent.event values.
COMPLETION_SHOWN = "completion_shown"
COMPLETION_ACCEPTED = "completion_accepted"
CHAT_ACCEPTED_INSERT = "chat_accepted_insert"
CHAT_ACCEPTED_COPY = "chat_accepted_copy"
CHAT_APPLIED_CODEBLOCK = "chat_applied_codeblock"
NES_SHOWN = "nes_shown"
NES_ACCEPTED = "nes_accepted"


NULL_WHEN_EMPTY: Final = "null_when_empty"
"""Field metadata: the store keeps '' as NULL (an imported record's id: NULL is never a duplicate)."""


@dataclass(frozen=True, slots=True)
class Classification:
    """The request-side fields of a `UsageEvent`: what the classifier (`capture.classify`) says a request is."""

    host_family: str  # api / proxy / telemetry / identity / other
    kind: str  # KIND_* above
    api: str = ""  # chat_completions, responses, responses_ws, messages, completions
    mode: str = ""  # ask, edit, agent, inline, other, cli, extension:<id>, subagent, background, external
    initiator: str = ""  # user / agent / "" (not a model call)
    initiator_source: str = ""  # header, body, heuristic
    interaction_id: str = ""
    intent: str = ""  # OpenAI-Intent
    model: str = ""  # "auto" when Copilot-Session-Token is present
    language: str = ""
    editor: str = ""
    editor_version: str = ""
    plugin: str = ""
    plugin_version: str = ""
    integration_id: str = ""
    speculative: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageEvent(Classification):
    """One finished (or failed) request to a Copilot host, attributed to a developer: its classification plus these.

    This is the one definition of a request's fields: the store's `usage_events` columns, its DDL
    check and its rows follow from it (`store.schema.USAGE_TABLE`). Adding a field: declare it here
    (with a default) and add `add_columns(conn, USAGE_TABLE, "name")` as the next migration.
    """

    developer: str
    started_at: datetime  # UTC, when the request began
    method: str
    host: str
    path: str  # without the query string
    status: int | None  # HTTP status, None when no response arrived
    duration_ms: Milliseconds
    ttfb_ms: Milliseconds | None  # request start to first response byte
    request_bytes: int
    response_bytes: int
    http_version: str
    streamed: bool
    error: str | None = None  # why the exchange failed, when it did
    # Response side (parsed from the stream).
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    nano_aiu: int | None = None  # copilot_usage.total_nano_aiu; / 1e9 = AI credits
    finish_reason: str = ""
    has_text: bool | None = None  # a completion with no text is not a suggestion
    lines_suggested: int | None = None
    cancelled: bool = False
    parse_status: str = "ok"  # ok, unparsed (body not understood), truncated (capture limit)
    source_id: str = field(default="", metadata={NULL_WHEN_EMPTY: True})  # an imported record's stable id
    # Where the row came from: SOURCE_PROXY (observed in the proxy) or SOURCE_OTEL (the client's own
    # OpenTelemetry, for developers without the CA); a call seen both ways is one proxy row (`otel_span` set).
    source: str = SOURCE_PROXY
    turn_id: str = ""  # github.copilot.turn_id (OpenTelemetry only)
    otel_span: str = field(default="", metadata={NULL_WHEN_EMPTY: True})  # the span merged into this proxy row


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call a Copilot agent made, from an `execute_tool` span of the client's OpenTelemetry."""

    developer: str
    started_at: datetime  # UTC
    tool: str
    mcp_server: str  # the MCP server (hashed by the client) when the tool is an MCP tool, else ""
    duration_ms: Milliseconds
    failed: bool
    interaction_id: str = ""
    source_id: str = ""  # otel:<trace id>:<span id>, so a re-sent span is stored once


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One OpenTelemetry metric data point, kept as sent (temporality included) for later use."""

    developer: str
    observed_at: datetime  # UTC, the point's time
    service: str  # the resource's service.name
    name: str
    unit: str
    kind: str  # sum, gauge, histogram, exponential_histogram, summary
    temporality: str  # delta, cumulative or "" (gauges)
    attributes: str  # JSON object
    value: float | None  # sums and gauges; None for distributions
    data: str  # the whole point as JSON (counts, buckets, ...)


@dataclass(frozen=True, slots=True)
class TelemetryEvent:
    """One Copilot telemetry event we understand (shown / accepted), attributed to a developer."""

    developer: str
    occurred_at: datetime  # UTC
    event: str  # COMPLETION_SHOWN, ...
    suggestion_key: str = ""  # headerRequestId + choice: partial accepts share it
    language: str = ""
    model: str = ""
    editor: str = ""
    chars: int | None = None
    lines: int | None = None
    comp_type: str = ""  # full / partial
    source_id: str = field(default="", metadata={NULL_WHEN_EMPTY: True})


@dataclass(frozen=True, slots=True)
class QuotaSnapshot:
    """The latest `x-quota-snapshot-*` header seen for a developer and quota."""

    developer: str
    quota: str  # premium_interactions, chat, completions, ...
    observed_at: datetime
    entitlement: float | None  # -1 means unlimited
    remaining_percent: float | None
    overage: float | None
    overage_permitted: bool | None
    reset_at: str = ""


@dataclass(frozen=True, slots=True)
class ContentRecord:
    """A redacted request/response pair, written only when content recording is on."""

    developer: str
    started_at: datetime
    kind_folder: str  # the seed's usage/<user>/<kind>/ folder: completions, chat, ...
    document: dict[str, object]


ConnectionEventKind = Literal["untrusted_ca", "tls_failed", "wrong_password", "unknown_user", "disabled",
                              "check_passed", "upstream_failed", "upstream_ok"]


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """A connection event the lead may need to see to help a developer; never a password.

    A refused login, a TLS handshake their client gave up on, a connection check that passed, or the
    proxy failing to reach a Copilot host for them (`upstream_failed`, `detail` = "reason: words") and
    reaching it again (`upstream_ok`).
    """

    kind: ConnectionEventKind
    username: str  # the developer, or the name a client sent ('' when it sent none)
    source: str  # the client's IP address
    host: str  # the host the client wanted to reach ('' when unknown)
    at: datetime  # UTC
    detail: str = ""  # e.g. the TLS error, redacted and short


@dataclass(frozen=True)
class RecordBatch:
    """What one analysed exchange (or import) adds to the store."""

    usage: tuple[UsageEvent, ...] = ()
    telemetry: tuple[TelemetryEvent, ...] = ()
    quotas: tuple[QuotaSnapshot, ...] = ()
    content: tuple[ContentRecord, ...] = field(default=())
    connections: tuple[ConnectionEvent, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    metric_points: tuple[MetricPoint, ...] = ()

