"""Generated inputs for every capture parser: none raises, cutting a body anywhere changes nothing, and what
cannot be read is reported as unparsed (see `profile` for the fast and deep runs)."""

import gzip
import json
import sys
import zlib
from datetime import UTC, datetime

import brotli
from hypothesis import strategies as st

from desktop_app.capture.analysis import analyze
from desktop_app.capture.classify import RequestFacts, classify
from desktop_app.capture.decoding import BodyDecoder, decode_body, parse_json
from desktop_app.capture.exchange import Exchange
from desktop_app.capture.pipeline import RecordingPipeline, Retention
from desktop_app.capture.quotas import parse_quota_headers
from desktop_app.capture.responses import PARSE_OK, PARSE_TRUNCATED, PARSE_UNPARSED, StreamParser, parse_response
from desktop_app.capture.telemetry import parse_telemetry
from desktop_app.core import models as m
from tests.properties.profile import both, cuts, fast, json_values, shaped

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

NOW = datetime(2026, 12, 7, tzinfo=UTC)
STATUSES = {PARSE_OK, PARSE_UNPARSED, PARSE_TRUNCATED}
APIS = ["", "completions", "chat_completions", "responses", "responses_ws", "messages"]
# The names the four formats' readers look for (copilot-protocol.md §3), so generated events reach every branch.
FORMAT_KEYS = ["choices", "delta", "content", "text", "message", "finish_reason", "usage", "prompt_tokens",
               "completion_tokens", "prompt_tokens_details", "cached_tokens", "completion_tokens_details",
               "reasoning_tokens", "copilot_usage", "total_nano_aiu", "model", "error", "type", "response",
               "output", "output_text", "input_tokens", "output_tokens", "tool_calls", "function", "arguments",
               "index", "response.completed", "response.output_text.delta", "message_start", "message_delta",
               "content_block_delta", "content_block_start", "message_stop", "stop_reason", "text_delta",
               "copilot_quota_snapshots", "code", "status", "item", "incomplete_details"]
EVENT = shaped(FORMAT_KEYS)


def sse(events: list[object], crlf: bool, done: bool) -> bytes:
    newline = "\r\n" if crlf else "\n"
    parts = [f"data: {json.dumps(e)}{newline}{newline}" for e in events]
    if done:
        parts.append(f"data: [DONE]{newline}{newline}")
    return "".join(parts).encode()


# --- SSE framing and the four response formats ---------------------------------------------------------------


def prop_any_bytes_any_cuts(api: str, body: bytes, points: list[int], truncated: bool) -> None:
    whole = parse_response(api, "text/event-stream", body, truncated)
    parser = StreamParser(api)
    for piece in cuts(body, points):
        parser.feed(piece)
    assert parser.finish(truncated=truncated) == whole
    assert whole.parse_status in STATUSES


def prop_generated_events_any_cuts(api: str, events: list[object], crlf: bool, done: bool, points: list[int]) -> None:
    body = sse(events, crlf, done)
    whole = parse_response(api, "text/event-stream", body)
    parser = StreamParser(api)
    for piece in cuts(body, points):
        parser.feed(piece)
    assert parser.finish() == whole
    assert whole.parse_status in STATUSES
    assert whole.events <= len(events)


def prop_json_documents(api: str, document: object, lead: bytes, cut: int, truncated: bool,
                        points: list[int]) -> None:
    """A JSON body (after any BOM and blank bytes, maybe cut short) reads whole as fed, in pieces after its start."""
    body = lead + json.dumps(document).encode()
    body = body[:max(len(lead), len(body) - cut)]
    facts = parse_response(api, "application/json", body, truncated)
    assert facts.parse_status in STATUSES
    parser = StreamParser(api)
    start = len(lead) + 1  # the format is known once the first byte after the lead arrived
    for piece in (body[:start], *cuts(body[start:], points)):
        parser.feed(piece)
    assert parser.finish(truncated=truncated) == facts


def prop_chat_usage_is_read_whatever_the_cuts(texts: list[str], prompt: int, completion: int,
                                              points: list[int]) -> None:
    events: list[object] = [{"choices": [{"index": 0, "delta": {"content": t}}], "model": "gpt-4o"} for t in texts]
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": prompt, "completion_tokens": completion}})
    parser = StreamParser("chat_completions")
    for piece in cuts(sse(events, crlf=False, done=True), points):
        parser.feed(piece)
    facts = parser.finish()
    assert (facts.parse_status, facts.prompt_tokens, facts.completion_tokens) == (PARSE_OK, prompt, completion)
    assert facts.finish_reason == "stop"
    assert facts.text_chars == sum(len(t) for t in texts)


def prop_quota_headers(headers: dict[str, str]) -> None:
    parse_quota_headers({f"x-quota-snapshot-{k}": v for k, v in headers.items()}, "alice", datetime.now(UTC))


api = st.sampled_from(APIS)
points = st.lists(st.integers(0, 10_000), max_size=12)
test_any_bytes_any_cuts = fast(
    prop_any_bytes_any_cuts, api=api, body=st.binary(max_size=2_000), points=points, truncated=st.booleans())
test_generated_events_any_cuts, test_generated_events_any_cuts_deep = both(
    prop_generated_events_any_cuts, api=api, events=st.lists(EVENT, max_size=6), crlf=st.booleans(),
    done=st.booleans(), points=points)
test_json_documents = fast(
    prop_json_documents, api=api, document=EVENT | st.lists(EVENT, max_size=3),
    lead=st.sampled_from([b"", b"\xef\xbb\xbf", b" \r\n", b"\xef\xbb\xbf\t "]), cut=st.integers(0, 3) | st.just(0),
    truncated=st.booleans(), points=points)
test_chat_usage = fast(
    prop_chat_usage_is_read_whatever_the_cuts, texts=st.lists(st.text(max_size=30), max_size=8),
    prompt=st.integers(0, 10**9), completion=st.integers(0, 10**9), points=points)
test_quota_headers = fast(
    prop_quota_headers, headers=st.dictionaries(st.sampled_from(["chat", "premium_interactions", "completions", "x"]),
                                                st.text(max_size=120)))


# --- decoding ----------------------------------------------------------------------------------------------

ENCODERS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": zstd.compress,
    "identity": lambda data: data,
}


def prop_decoding_any_bytes(raw: bytes, encoding: str, limit: int, truncated: bool) -> None:
    out = decode_body(raw, encoding, limit, allow_truncated=truncated)
    assert out is None or len(out) <= max(limit, len(raw) if encoding in ("", "identity") else limit)
    parse_json(raw)


def prop_decoding_round_trip(data: bytes, names: list[str], points: list[int]) -> None:
    encoded = data
    for name in names:
        encoded = ENCODERS[name](encoded)
    header = ", ".join(names)
    assert decode_body(encoded, header, 1 << 20) == data
    decoder = BodyDecoder(header, 1 << 20)
    if decoder.identity:
        return
    out = b"".join(decoder.feed(piece) for piece in cuts(encoded, points))
    decoder.finish()
    assert out == data


def prop_decoding_limit(data: bytes, name: str, limit: int) -> None:
    out = decode_body(ENCODERS[name](data), name, limit)
    assert out == (data if len(data) <= limit else None)


encodings = st.sampled_from(["", "gzip", "deflate", "br", "zstd", "identity", "gzip, br", "x-unknown", "gzip,,"])
test_decoding_any_bytes, test_decoding_any_bytes_deep = both(
    prop_decoding_any_bytes, raw=st.binary(max_size=2_000), encoding=encodings, limit=st.integers(0, 5_000),
    truncated=st.booleans())
test_decoding_round_trip, test_decoding_round_trip_deep = both(
    prop_decoding_round_trip, data=st.binary(max_size=3_000),
    names=st.lists(st.sampled_from(sorted(ENCODERS)), min_size=1, max_size=3), points=points)
test_decoding_limit = fast(
    prop_decoding_limit, data=st.binary(max_size=3_000), name=st.sampled_from(["gzip", "deflate", "br", "zstd"]),
    limit=st.integers(0, 4_000))


# --- telemetry ---------------------------------------------------------------------------------------------

TELEMETRY_KEYS = ["name", "time", "data", "baseData", "properties", "measurements", "baseType", "EventData",
                  "copilot/ghostText.shown", "copilot/ghostText.accepted", "GitHub.copilot-chat/panel.action.copy",
                  "agent/ghostText.shown", "headerRequestId", "completionCharLen", "compCharLen", "languageId",
                  "nextEditSuggestion.shown", "editor_version", "ver", "iKey", "tags"]


def prop_telemetry(items: list[object], gzipped: bool, as_array: bool, garbage: bytes) -> None:
    if as_array:
        body, content_type = json.dumps(items).encode(), "application/json"
    else:
        body = b"\n".join([json.dumps(i).encode() for i in items] + [garbage])
        content_type = "application/x-json-stream"
    if gzipped:
        body = gzip.compress(body)
    parsed = parse_telemetry(body, "gzip" if gzipped else None, content_type, "alice", NOW)
    # a line may hold an array of envelopes, and the garbage may happen to be JSON too
    assert parsed.envelopes <= sum(len(i) if isinstance(i, list) else 1 for i in items) + len(garbage) + 1
    assert all(event.developer == "alice" for event in parsed.events)


def prop_telemetry_bytes(body: bytes, encoding: str, content_type: str) -> None:
    parse_telemetry(body, encoding, content_type, "alice", NOW)


test_telemetry, test_telemetry_deep = both(
    prop_telemetry, items=st.lists(shaped(TELEMETRY_KEYS), max_size=5), gzipped=st.booleans(), as_array=st.booleans(),
    garbage=st.binary(max_size=50))
test_telemetry_bytes = fast(
    prop_telemetry_bytes, body=st.binary(max_size=2_000), encoding=encodings,
    content_type=st.sampled_from(["application/json", "application/x-json-stream", "", "text/plain"]))


# --- classification ------------------------------------------------------------------------------------------

HOSTS = ["api.githubcopilot.com", "api.individual.githubcopilot.com", "copilot-proxy.githubusercontent.com",
         "origin-tracker.githubusercontent.com", "copilot-telemetry.githubusercontent.com", "api.github.com",
         "telemetry.enterprise.githubcopilot.com", "proxy.business.githubcopilot.com", "example.com"]
PATHS = ["/chat/completions", "/v1/engines/gpt-4o-copilot/completions", "/responses", "/v1/messages", "/models",
         "/telemetry", "/agents/swe", "/mcp", "/_ping", "/v1/engines/x/completions", "/copilot_internal/user", "/"]
HEADER_NAMES = ["editor-version", "editor-plugin-version", "copilot-integration-id", "openai-intent", "x-initiator",
                "user-agent", "x-interaction-type", "content-type", "x-request-id", "x-github-api-version",
                "copilot-language-server-version", "x-onbehalf-extension-id", "x-interaction-id", "vscode-sessionid"]
KINDS = set(m.KIND_TITLES)  # every kind has its title there


def prop_classify(host: str, method: str, path: str, headers: dict[str, str], body: object) -> None:
    c = classify(RequestFacts(host, method, path, headers, body))
    assert c.kind in KINDS


test_classify, test_classify_deep = both(
    prop_classify, host=st.sampled_from(HOSTS) | st.text(max_size=30), method=st.sampled_from(["GET", "POST", "PUT"]),
    path=st.sampled_from(PATHS) | st.text(max_size=40).map(lambda p: "/" + p),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES) | st.text(max_size=10), st.text(max_size=60), max_size=8),
    body=json_values() | shaped(["messages", "prompt", "model", "input", "role", "content", "extra", "language",
                                 "stream", "tools", "n"]))


# --- the recorder's analysis: whatever the exchange, one usage row, never an exception -----------------------


def exchange(host: str, path: str, headers: dict[str, str], request: bytes, status: int | None,
             response_headers: dict[str, str], response: bytes, truncated: bool, websocket: bool) -> Exchange:
    return Exchange(
        developer="alice", started=1_790_000_000.0, method="POST", host=host, path=path, http_version="HTTP/1.1",
        request_headers=tuple(headers.items()), request_body=request, status=status,
        response_headers=tuple(response_headers.items()), response_body=response, response_bytes=len(response),
        truncated=truncated, first_byte_at=None, ended=1_790_000_001.0, streamed=True, websocket=websocket)


def prop_analysis(x: Exchange, content: bool) -> None:
    batch = analyze(x, record_content=content)
    assert len(batch.usage) == 1
    assert batch.usage[0].parse_status in STATUSES
    assert batch.usage[0].developer == "alice"


def prop_pipeline_records_every_exchange(xs: list[Exchange]) -> None:
    seen: list[m.UsageEvent] = []
    pipeline = RecordingPipeline(None, None, Retention(30, 365), [seen.extend])
    pipeline(xs)
    assert len(seen) == len(xs)
    assert pipeline.stats.analysed == len(xs)


def _body(document: object, sse_events: list[object], raw: bytes, which: int) -> bytes:
    return [json.dumps(document).encode(), sse(sse_events, False, True), raw][which]


exchanges = st.builds(
    exchange, host=st.sampled_from(HOSTS), path=st.sampled_from(PATHS) | st.text(max_size=20),
    headers=st.dictionaries(st.sampled_from([*HEADER_NAMES, "content-encoding"]), st.text(max_size=40), max_size=6),
    request=st.builds(_body, json_values(), st.lists(EVENT, max_size=2), st.binary(max_size=300), st.integers(0, 2)),
    status=st.none() | st.sampled_from([200, 400, 429, 500]) | st.integers(100, 599),
    response_headers=st.dictionaries(st.sampled_from(["content-type", "content-encoding", "x-quota-snapshot-chat",
                                                      "x-request-id"]), st.text(max_size=60), max_size=4),
    response=st.builds(_body, EVENT, st.lists(EVENT, max_size=4), st.binary(max_size=500), st.integers(0, 2)),
    truncated=st.booleans(), websocket=st.booleans())
test_analysis, test_analysis_deep = both(prop_analysis, x=exchanges, content=st.booleans())
test_pipeline = fast(prop_pipeline_records_every_exchange, xs=st.lists(exchanges, max_size=4))
