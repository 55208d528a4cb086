"""Response parsing: Chat Completions, Completions, Responses (SSE and WebSocket), Messages; quotas.

Bodies are built from copilot-protocol.md §7 and from the seed's captured logs (where the response
`content` is the list of parsed SSE chunks: `""` stood for `data: [DONE]`).
"""

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from mitmproxy.http import Headers

from desktop_app.capture.quotas import parse_quota_header, parse_quota_headers, parse_quota_object
from desktop_app.capture.responses import ResponseFacts, StreamParser, parse_response
from desktop_app.capture.sse import MAX_EVENT_BYTES
from desktop_app.core.models import QuotaSnapshot

DEV, AT = "alice", datetime(2026, 11, 20, tzinfo=UTC)


def quota(name: str, entitlement: float | None, remaining: float | None, overage: float | None,
          permitted: bool | None, reset: str) -> QuotaSnapshot:
    return QuotaSnapshot(DEV, name, AT, entitlement, remaining, overage, permitted, reset)


def sse(*chunks: object, done: bool = True, crlf: bool = False) -> bytes:
    """An SSE body from chunk objects (a str chunk is sent as raw data)."""
    events = [f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n" for c in chunks]
    if done:
        events.append("data: [DONE]\n\n")
    body = "".join(events)
    return (body.replace("\n", "\r\n") if crlf else body).encode()


def feed_in_pieces(api: str, body: bytes, sizes: list[int], truncated: bool = False) -> ResponseFacts:
    parser = StreamParser(api)
    position = 0
    for size in sizes:
        parser.feed(body[position:position + size])
        position += size
    parser.feed(body[position:])
    return parser.finish(truncated=truncated)


def byte_by_byte(api: str, body: bytes, truncated: bool = False) -> ResponseFacts:
    return feed_in_pieces(api, body, [1] * len(body), truncated)


# --- fixtures: the seed's captured chunk lists (Dec 2024) ----------------------------------------------

SEED_COMPLETION_CHUNKS = [  # completions log: the text was anonymised away ("p" padding only)
    {"id": "cmpl-AjSQstOuqLSedY7J3Vg6Op6Khvcnl", "created": 1735397418, "model": "gpt-35-turbo",
     "choices": [{"index": 0, "finish_reason": None, "logprobs": None, "p": "aaaaaaa"}]},
    {"id": "cmpl-AjSQstOuqLSedY7J3Vg6Op6Khvcnl", "created": 1735397418, "model": "gpt-35-turbo",
     "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None, "p": "aaaaaaa"}]},
]
_FILTER = {"error": {"code": "", "message": ""}, "hate": {"filtered": False, "severity": "safe"},
           "self_harm": {"filtered": False, "severity": "safe"}, "sexual": {"filtered": False, "severity": "safe"},
           "violence": {"filtered": False, "severity": "safe"}}
_OFFSETS = {"check_offset": 6414, "start_offset": 6364, "end_offset": 6432}
SEED_CHAT_CHUNKS = [  # chat log, served with content-type application/json
    {"choices": [{"index": 0, "content_filter_offsets": _OFFSETS, "content_filter_results": _FILTER,
                  "delta": {"content": "?"}}],
     "created": 1735447703, "id": "chatcmpl-AjfVvb0iylVRT3wd1xU1BP0XiEcdg", "model": "gpt-4o-2024-05-13",
     "system_fingerprint": "fp_5154047bf2"},
    {"choices": [{"finish_reason": "stop", "index": 0, "content_filter_offsets": _OFFSETS,
                  "content_filter_results": _FILTER, "delta": {"content": None}}],
     "created": 1735447703, "id": "chatcmpl-AjfVvb0iylVRT3wd1xU1BP0XiEcdg",
     "usage": {"completion_tokens": 40, "prompt_tokens": 1409, "total_tokens": 1449},
     "model": "gpt-4o-2024-05-13", "system_fingerprint": "fp_5154047bf2"},
]

# --- fixtures: copilot-protocol.md §7 ---------------------------------------------------------------------


def completion_chunk(text: str, finish: str | None = None, index: int = 0) -> dict:
    return {"id": "cmpl-abc", "created": 1790000001, "model": "gpt-41-copilot",
            "choices": [{"index": index, "text": text, "finish_reason": finish, "logprobs": None}]}


DOC_COMPLETION = sse(completion_chunk("return a + b"), completion_chunk("", "stop"))  # §7.1
THREE_LINES = sse(completion_chunk("def add(a, b):\n"), completion_chunk("    total = a + b\n"),
                  completion_chunk("    return total"), completion_chunk("", "stop"))
BLANK_COMPLETION = sse(completion_chunk("\n"), completion_chunk("    "), completion_chunk("", "stop"))

CHAT_FIRST = {"choices": [], "created": 0, "id": "", "prompt_filter_results": [
    {"content_filter_results": {}, "prompt_index": 0}]}


def chat_chunk(content: str | None = None, finish: str | None = None, **extra: object) -> dict:
    choice: dict = {"index": 0, "delta": {"content": content}}
    if finish:
        choice["finish_reason"] = finish
    return {"choices": [choice], "created": 1790000100, "id": "chatcmpl-x", "model": "gpt-4.1-2025-04-14", **extra}


USAGE = {"completion_tokens": 40, "prompt_tokens": 1409, "total_tokens": 1449,
         "prompt_tokens_details": {"cached_tokens": 1024},
         "completion_tokens_details": {"reasoning_tokens": 12, "accepted_prediction_tokens": 0}}
DOC_CHAT = sse(CHAT_FIRST, chat_chunk("Use `reversed()` or slicing"),  # §7.3, usage on the finish chunk
               chat_chunk(None, "stop", usage=USAGE, copilot_usage={"total_nano_aiu": 1500000}))
CHAT_SEPARATE_USAGE = sse(CHAT_FIRST, chat_chunk("Use `reversed()`"), chat_chunk(None, "stop"),
                          {"choices": [], "created": 1790000100, "id": "chatcmpl-x", "usage": USAGE,
                           "copilot_usage": {"total_nano_aiu": 1500000, "token_details": []}})
TOOL_CALL_ARGS = '{"filePath":"/repo/config.py"}'
DOC_AGENT_TOOL_CALL = sse(  # §7.4
    {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                                         "function": {"name": "read_file", "arguments": ""}}]}}]},
    {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": TOOL_CALL_ARGS}}]}}]},
    {"choices": [{"index": 0, "finish_reason": "tool_calls", "delta": {}}],
     "usage": {"prompt_tokens": 9120, "completion_tokens": 85, "total_tokens": 9205}},
)

RESPONSES_COMPLETED = {
    "type": "response.completed",
    "response": {"id": "resp_1", "model": "gpt-5.3-codex", "status": "completed",
                 "output": [{"type": "reasoning", "summary": []},
                            {"type": "message", "role": "assistant",
                             "content": [{"type": "output_text", "text": "I'll start by\nreading foo()."}]},
                            {"type": "function_call", "name": "read_file", "call_id": "call_9",
                             "arguments": "{}"}],
                 "usage": {"input_tokens": 12000, "input_tokens_details": {"cached_tokens": 8000},
                           "output_tokens": 640, "output_tokens_details": {"reasoning_tokens": 320},
                           "total_tokens": 12640}},
    "copilot_usage": {"total_nano_aiu": 2500000,
                      "token_details": [{"token_type": "input", "token_count": 4000}]},
}
DOC_RESPONSES = sse(  # §7.5, HTTP SSE (no [DONE]: response.completed ends it)
    {"type": "response.created", "response": {"id": "resp_1", "model": "gpt-5.3-codex", "status": "in_progress"}},
    {"type": "response.output_item.added", "item": {"type": "reasoning"}},
    {"type": "response.output_text.delta", "delta": "I'll start by\n"},
    {"type": "response.output_text.delta", "delta": "reading foo()."},
    {"type": "response.output_item.done", "item": {"type": "function_call", "name": "read_file",
                                                   "call_id": "call_9", "arguments": "{}"}},
    RESPONSES_COMPLETED,
    done=False,
)

MESSAGES_EVENTS = [
    ("message_start", {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4.5", "content": [],
        "usage": {"input_tokens": 100, "output_tokens": 1, "cache_creation_input_tokens": 50,
                  "cache_read_input_tokens": 800}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0,
                             "content_block": {"type": "text", "text": ""}}),
    ("ping", {"type": "ping"}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "text_delta", "text": "Adding validation.\n"}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "text_delta", "text": "Reading the file first."}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {
        "type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1,
                             "delta": {"type": "input_json_delta", "partial_json": TOOL_CALL_ARGS}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                       "usage": {"output_tokens": 42}, "copilot_usage": {"total_nano_aiu": 3000000}}),
    ("message_stop", {"type": "message_stop"}),
]
MESSAGES = "".join(f"event: {name}\ndata: {json.dumps(event)}\n\n" for name, event in MESSAGES_EVENTS).encode()

ALL_STREAMS = {
    "seed-completion": ("completions", sse(*SEED_COMPLETION_CHUNKS)),
    "seed-chat": ("chat_completions", sse(*SEED_CHAT_CHUNKS)),
    "doc-completion": ("completions", DOC_COMPLETION),
    "three-lines": ("completions", THREE_LINES),
    "blank-completion": ("completions", BLANK_COMPLETION),
    "doc-chat": ("chat_completions", DOC_CHAT),
    "chat-separate-usage": ("chat_completions", CHAT_SEPARATE_USAGE),
    "agent-tool-call": ("chat_completions", DOC_AGENT_TOOL_CALL),
    "responses": ("responses", DOC_RESPONSES),
    "messages": ("messages", MESSAGES),
}


# --- the formats -----------------------------------------------------------------------------------------


def test_seed_completion_without_text():
    facts = parse_response("completions", "text/event-stream", sse(*SEED_COMPLETION_CHUNKS))
    assert facts == ResponseFacts(finish_reason="stop", has_text=False, lines=0, model="gpt-35-turbo", events=2)


def test_seed_chat_served_as_application_json():
    facts = parse_response("chat_completions", "application/json", sse(*SEED_CHAT_CHUNKS))
    assert facts == ResponseFacts(prompt_tokens=1409, completion_tokens=40, finish_reason="stop", has_text=True,
                                  text_chars=1, lines=1, model="gpt-4o-2024-05-13", events=2)


def test_doc_completion():
    facts = parse_response("completions", "text/event-stream", DOC_COMPLETION)
    assert facts == ResponseFacts(finish_reason="stop", has_text=True, text_chars=12, lines=1,
                                  model="gpt-41-copilot", events=2)


def test_completion_with_three_lines():
    facts = parse_response("completions", "text/event-stream", THREE_LINES)
    assert (facts.lines, facts.has_text, facts.finish_reason, facts.parse_status) == (3, True, "stop", "ok")
    assert facts.text_chars == len("def add(a, b):\n    total = a + b\n    return total")


def test_empty_completion_is_no_suggestion():
    facts = parse_response("completions", "text/event-stream", BLANK_COMPLETION)
    assert (facts.has_text, facts.lines, facts.text_chars, facts.parse_status) == (False, 0, 5, "ok")


def test_completion_lines_count_only_the_first_choice():
    body = sse(completion_chunk("a\nb", index=0), completion_chunk("x\ny\nz\nw", index=1),
               completion_chunk("", "stop", index=1))
    facts = parse_response("completions", "text/event-stream", body)
    assert (facts.lines, facts.text_chars, facts.finish_reason) == (2, 10, "stop")


def test_chat_usage_on_the_finish_chunk():
    facts = parse_response("chat_completions", "text/event-stream", DOC_CHAT)
    assert facts == ResponseFacts(prompt_tokens=1409, completion_tokens=40, cached_tokens=1024, reasoning_tokens=12,
                                  nano_aiu=1500000, finish_reason="stop", has_text=True, text_chars=27, lines=1,
                                  model="gpt-4.1-2025-04-14", events=3)


def test_chat_usage_on_a_separate_chunk():
    facts = parse_response("chat_completions", "text/event-stream", CHAT_SEPARATE_USAGE)
    assert (facts.prompt_tokens, facts.completion_tokens, facts.cached_tokens, facts.reasoning_tokens) == (
        1409, 40, 1024, 12)
    assert (facts.nano_aiu, facts.finish_reason, facts.has_text, facts.events) == (1500000, "stop", True, 4)


def test_chat_keeps_the_last_usage():
    body = sse(chat_chunk("hi", usage={"prompt_tokens": 1, "completion_tokens": 1}),
               chat_chunk(None, "stop", usage={"prompt_tokens": 10, "completion_tokens": 20},
                          copilot_usage={"total_nano_aiu": 7}))
    facts = parse_response("chat_completions", "text/event-stream", body)
    assert (facts.prompt_tokens, facts.completion_tokens, facts.cached_tokens, facts.nano_aiu) == (10, 20, None, 7)


def test_chat_tool_calls_count_as_output():
    facts = parse_response("chat_completions", "text/event-stream", DOC_AGENT_TOOL_CALL)
    assert (facts.has_text, facts.lines, facts.text_chars, facts.finish_reason) == (
        True, 0, len(TOOL_CALL_ARGS), "tool_calls")
    assert (facts.prompt_tokens, facts.completion_tokens) == (9120, 85)


def test_chat_without_any_content_has_no_text():
    facts = parse_response("chat_completions", "text/event-stream", sse(CHAT_FIRST, chat_chunk(None, "length")))
    assert (facts.has_text, facts.lines, facts.finish_reason, facts.parse_status) == (False, 0, "length", "ok")


def test_chat_finish_reason_from_the_last_choice_that_had_one():
    body = sse({"choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": "stop"},
                            {"index": 1, "delta": {"content": "b"}, "finish_reason": "length"}]},
               {"choices": [{"index": 0, "delta": {}, "finish_reason": None}]})
    assert parse_response("chat_completions", "", body).finish_reason == "length"


def test_responses_stream():
    facts = parse_response("responses", "text/event-stream", DOC_RESPONSES)
    assert facts == ResponseFacts(prompt_tokens=12000, completion_tokens=640, cached_tokens=8000, reasoning_tokens=320,
                                  nano_aiu=2500000, finish_reason="completed", has_text=True, text_chars=30, lines=2,
                                  model="gpt-5.3-codex", events=6)


def test_responses_incomplete_reason_is_the_finish():
    completed = {"type": "response.incomplete", "response": {
        "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"},
        "usage": {"input_tokens": 5, "output_tokens": 7}}}
    facts = parse_response("responses", "", sse({"type": "response.output_text.delta", "delta": "x"}, completed,
                                                done=False))
    assert (facts.finish_reason, facts.prompt_tokens, facts.completion_tokens, facts.parse_status) == (
        "max_output_tokens", 5, 7, "ok")


@pytest.mark.parametrize(("event", "message"), [
    ({"type": "error", "code": "rate_limited", "message": "Too many requests", "sequence_number": 3},
     "Too many requests"),
    ({"type": "error", "error": {"code": "bad_request", "message": "Input too long"}}, "Input too long"),
    ({"type": "response.failed", "response": {"status": "failed", "error": {"code": "server_error",
                                                                           "message": "The model failed"}}},
     "The model failed"),
])
def test_responses_errors(event, message):
    facts = parse_response("responses", "text/event-stream", sse(event, done=False), truncated=True)
    assert facts.error == message
    assert facts.parse_status == "ok"  # an error event ends the stream: nothing is missing


def test_responses_websocket_final_frame_with_quotas():
    """The recorder hands over the server's final WebSocket message of each model call."""
    frame = {**RESPONSES_COMPLETED, "copilot_quota_snapshots": {
        "premium_interactions": {"entitlement": 300, "percent_remaining": 87.5, "overage_permitted": False,
                                 "overage_count": 0, "reset_date": "2026-12-01T00:00:00Z"}}}
    facts = parse_response("responses_ws", "", json.dumps(frame).encode())
    assert (facts.prompt_tokens, facts.nano_aiu, facts.events, facts.parse_status) == (12000, 2500000, 1, "ok")
    assert parse_quota_object(facts.quota_snapshots, DEV, AT) == (
        quota("premium_interactions", 300.0, 87.5, 0.0, False, "2026-12-01T00:00:00Z"),)


def test_responses_websocket_completed_frame_alone():
    frame = json.dumps(RESPONSES_COMPLETED).encode()
    facts = parse_response("responses_ws", "", frame)
    assert (facts.has_text, facts.text_chars, facts.lines, facts.finish_reason) == (True, 30, 2, "completed")
    assert (facts.cached_tokens, facts.reasoning_tokens, facts.parse_status) == (8000, 320, "ok")


def test_messages_stream():
    facts = parse_response("messages", "text/event-stream", MESSAGES)
    assert facts == ResponseFacts(prompt_tokens=950, completion_tokens=42, cached_tokens=800, nano_aiu=3000000,
                                  finish_reason="tool_use", has_text=True, lines=2, model="claude-sonnet-4.5",
                                  text_chars=len("Adding validation.\nReading the file first.") + len(TOOL_CALL_ARGS),
                                  events=11)


def test_messages_final_usage_may_update_input_counts():
    events = [MESSAGES_EVENTS[0][1], {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                                      "usage": {"output_tokens": 9, "input_tokens": 120,
                                                "cache_read_input_tokens": 900,
                                                "copilot_usage": {"total_nano_aiu": 11}}},
              {"type": "message_stop"}]
    facts = parse_response("messages", "", sse(*events, done=False))
    assert (facts.prompt_tokens, facts.cached_tokens, facts.completion_tokens, facts.nano_aiu) == (1070, 900, 9, 11)
    assert (facts.finish_reason, facts.has_text) == ("end_turn", False)


# --- plain JSON bodies -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("api", "body", "expected"), [
    ("chat_completions", {"id": "chatcmpl-1", "model": "gpt-4.1", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "line 1\nline 2"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 6}},
     ResponseFacts(prompt_tokens=50, completion_tokens=6, finish_reason="stop", has_text=True, text_chars=13,
                   lines=2, model="gpt-4.1", events=1)),
    ("completions", {"choices": [{"index": 0, "text": "  ", "finish_reason": "stop"}], "model": "m"},
     ResponseFacts(finish_reason="stop", has_text=False, text_chars=2, lines=0, model="m", events=1)),
    ("responses", {**RESPONSES_COMPLETED["response"], "object": "response"},
     ResponseFacts(prompt_tokens=12000, completion_tokens=640, cached_tokens=8000, reasoning_tokens=320,
                   finish_reason="completed", has_text=True, text_chars=30, lines=2, model="gpt-5.3-codex",
                   events=1)),
    ("messages", {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4.5",
                  "content": [{"type": "text", "text": "Done."}], "stop_reason": "end_turn",
                  "usage": {"input_tokens": 10, "output_tokens": 3, "cache_read_input_tokens": 5}},
     ResponseFacts(prompt_tokens=15, completion_tokens=3, cached_tokens=5, finish_reason="end_turn", has_text=True,
                   text_chars=5, lines=1, model="claude-sonnet-4.5", events=1)),
], ids=["chat", "completions", "responses", "messages"])
def test_json_bodies(api, body, expected):
    encoded = json.dumps(body, indent=1).encode()
    assert parse_response(api, "application/json", encoded) == expected
    assert parse_response("", "application/json", encoded) == expected  # the shape is enough
    assert feed_in_pieces(api, encoded, [3] * 50) == expected


@pytest.mark.parametrize(("content_type", "body", "message"), [
    ("application/json", b'{"error":{"message":"quota exceeded","code":"quota_exceeded"}}', "quota exceeded"),
    ("application/json", b'{"error":"unauthorized: token expired"}', "unauthorized: token expired"),
    ("application/json", b'{"message":"Bad credentials","documentation_url":"https://docs.github.com"}',
     "Bad credentials"),
    ("text/event-stream", b'{"error":{"message":"model is not supported","type":"invalid_request_error"}}',
     "model is not supported"),
    ("text/event-stream", sse(chat_chunk("partial"), {"error": {"message": "upstream reset"}}),
     "upstream reset"),
    ("text/event-stream", sse({"choices": None, "copilot_errors": [{"message": "agent failed", "code": "x"}]}),
     "agent failed"),
], ids=["openai-error", "string-error", "github-error", "json-under-sse-type", "error-chunk", "copilot-errors"])
def test_error_bodies(content_type, body, message):
    facts = parse_response("chat_completions", content_type, body)
    assert facts.error == message
    assert facts.parse_status == "ok"


def test_error_body_has_no_text_facts():
    facts = parse_response("messages", "application/json",
                           b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')
    assert facts == ResponseFacts(error="Overloaded", events=1)


# --- framing ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALL_STREAMS))
def test_byte_by_byte_equals_whole(name):
    api, body = ALL_STREAMS[name]
    whole = parse_response(api, "text/event-stream", body)
    assert whole.parse_status == "ok"
    assert byte_by_byte(api, body) == whole


@pytest.mark.parametrize("name", sorted(ALL_STREAMS))
def test_random_chunk_boundaries_equal_whole(name):
    api, body = ALL_STREAMS[name]
    whole = parse_response(api, "text/event-stream", body)
    rng = random.Random(name)
    for _ in range(20):
        assert feed_in_pieces(api, body, [rng.randint(0, 40) for _ in range(40)]) == whole


@pytest.mark.parametrize("name", sorted(ALL_STREAMS))
def test_crlf_framing(name):
    api, body = ALL_STREAMS[name]
    crlf = body.replace(b"\n", b"\r\n")
    assert parse_response(api, "text/event-stream", crlf) == parse_response(api, "text/event-stream", body)
    assert byte_by_byte(api, crlf) == parse_response(api, "text/event-stream", body)


@pytest.mark.parametrize("name", sorted(ALL_STREAMS))
def test_unknown_api_detects_the_format(name):
    api, body = ALL_STREAMS[name]
    assert parse_response("", "", body) == parse_response(api, "text/event-stream", body)


def test_ignored_lines_and_multi_line_data():
    payload = json.dumps(chat_chunk("hello", "stop"), indent=1)  # one JSON split over several data: lines
    body = (": keep-alive comment\n\nevent: chunk\nid: 7\nretry: 1000\n"
            + "".join(f"data: {line}\n" for line in payload.splitlines())
            + "\ndata:[DONE]\n\n").encode()
    facts = parse_response("chat_completions", "text/event-stream", body)
    assert (facts.text_chars, facts.finish_reason, facts.events, facts.parse_status) == (5, "stop", 1, "ok")


def test_last_event_without_trailing_blank_line():
    body = sse(chat_chunk("hi", "stop")).rstrip(b"\n")  # ends with "data: [DONE]" and no LF
    facts = parse_response("chat_completions", "text/event-stream", body)
    assert (facts.events, facts.parse_status, facts.finish_reason) == (1, "ok", "stop")
    body = b'data: {"choices":[{"index":0,"text":"x","finish_reason":"stop"}]}'  # no [DONE], no LF
    assert parse_response("completions", "", body).has_text is True


def test_leading_bom_and_blank_lines():
    body = b"\xef\xbb\xbf\n\n" + DOC_COMPLETION
    assert parse_response("completions", "", body) == parse_response("completions", "", DOC_COMPLETION)


# --- truncation and garbage ---------------------------------------------------------------------------------


def test_truncated_stream_mid_event():
    cut = DOC_CHAT[:DOC_CHAT.index(b'"usage"')]  # inside the usage chunk
    facts = parse_response("chat_completions", "text/event-stream", cut, truncated=True)
    assert (facts.parse_status, facts.has_text, facts.prompt_tokens, facts.events) == ("truncated", True, None, 2)
    assert byte_by_byte("chat_completions", cut, truncated=True) == facts


def test_truncated_stream_at_an_event_boundary():
    cut = sse(CHAT_FIRST, chat_chunk("partial answer"), done=False)
    assert parse_response("chat_completions", "", cut, truncated=True).parse_status == "truncated"
    # Not known to be cut (e.g. the client cancelled): what arrived parsed fine.
    assert parse_response("chat_completions", "", cut).parse_status == "ok"


def test_truncated_flag_after_the_terminal_event():
    assert parse_response("chat_completions", "", DOC_CHAT, truncated=True).parse_status == "ok"
    assert parse_response("responses", "", DOC_RESPONSES, truncated=True).parse_status == "ok"
    assert parse_response("messages", "", MESSAGES, truncated=True).parse_status == "ok"


def test_truncated_json_body():
    body = json.dumps(RESPONSES_COMPLETED).encode()[:100]
    assert parse_response("responses_ws", "application/json", body, truncated=True) == ResponseFacts(
        parse_status="truncated")
    assert parse_response("responses_ws", "application/json", body).parse_status == "unparsed"


@pytest.mark.parametrize("body", [
    b"",
    b"   \n\n",
    b"\x00\xff\xfe garbage \x80\x81",
    b"<html><body>502 Bad Gateway</body></html>",
    b"data: not json\n\n",
    b"data: {\"no\": \"known structure\"}\n\n",
    b"data: [1, 2, 3]\n\n",
    b"data: null\n\ndata: 42\n\n",
    b"{",
    b"[1, 2]",
    b"null",
    b'{"choices": "not a list", "usage": [], "copilot_usage": 3}',
    b"event: message_start\n\n",
    bytes(random.Random(7).randrange(256) for _ in range(5000)),
], ids=["empty", "blank", "binary", "html", "not-json", "unknown-object", "json-list", "null-and-number",
        "cut-brace", "number-list", "null", "wrong-types", "event-only", "random"])
def test_garbage_never_raises(body):
    for api in ("completions", "chat_completions", "responses", "responses_ws", "messages", ""):
        facts = parse_response(api, "text/event-stream", body)
        assert isinstance(facts, ResponseFacts)
        assert facts.parse_status in {"unparsed", "ok"}
        assert byte_by_byte(api, body[:2000]).parse_status in {"unparsed", "ok"}
    if body.strip() not in {b"", b'{"choices": "not a list", "usage": [], "copilot_usage": 3}'}:
        assert parse_response("", "", body).parse_status == "unparsed"


def test_wrongly_typed_fields_are_ignored():
    body = sse({"choices": [{"index": "0", "delta": {"content": 5, "tool_calls": "x"}, "finish_reason": 3}],
                "usage": {"prompt_tokens": "12", "completion_tokens": -4, "prompt_tokens_details": []},
                "copilot_usage": {"total_nano_aiu": 1.5}, "model": ["m"]})
    facts = parse_response("chat_completions", "", body)
    assert facts == ResponseFacts(has_text=False, lines=0, events=1)


def test_oversized_line_is_skipped_and_marks_unparsed():
    content = "x" * (MAX_EVENT_BYTES + 10)
    huge = sse({"choices": [{"index": 0, "delta": {"content": content}}]}, done=False)
    body = huge + sse(chat_chunk("ok", "stop", usage={"prompt_tokens": 3, "completion_tokens": 1}))
    for facts in (parse_response("chat_completions", "", body),
                  feed_in_pieces("chat_completions", body, [65536] * (len(body) // 65536))):
        assert (facts.parse_status, facts.prompt_tokens, facts.text_chars, facts.finish_reason) == (
            "unparsed", 3, 2, "stop")
        assert facts.events == 2


def test_oversized_event_of_many_lines_is_skipped():
    line = b"data: " + b"y" * (1024 * 1024) + b"\n"
    body = line * 5 + b"\n" + sse(chat_chunk("ok", "stop"))
    facts = feed_in_pieces("chat_completions", body, [100_000] * 60)
    assert (facts.parse_status, facts.events, facts.text_chars) == ("unparsed", 2, 2)


# --- quotas ---------------------------------------------------------------------------------------------------

DOC_QUOTA = "ent=300&ov=0.0&ovPerm=false&rem=87.5&rst=2026-12-01T00:00:00Z"


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("x-quota-snapshot-premium_interactions", DOC_QUOTA,
     quota("premium_interactions", 300.0, 87.5, 0.0, False, "2026-12-01T00:00:00Z")),
    ("X-Quota-Snapshot-Chat", "ent=-1&ov=0&ovPerm=true&rem=100&rst=", quota("chat", -1.0, 100.0, 0.0, True, "")),
    ("x-quota-snapshot-completions", "rem=12.5", quota("completions", None, 12.5, None, None, "")),
    ("x-quota-snapshot-premium_models", "ent=abc&ov=&ovPerm=maybe&rem=NaN&rst=2026-12-01T00%3A00%3A00%2B00%3A00",
     quota("premium_models", None, None, None, None, "2026-12-01T00:00:00+00:00")),
    ("x-quota-snapshot-chat", "garbage;;==&&", quota("chat", None, None, None, None, "")),
    ("x-quota-snapshot-chat", "", quota("chat", None, None, None, None, "")),
    ("x-quota-snapshot-", DOC_QUOTA, None),
    ("x-quota-snapshot-bad name!", DOC_QUOTA, None),
    ("x-ratelimit-remaining", "10", None),
])
def test_parse_quota_header(name, value, expected):
    assert parse_quota_header(name, value, DEV, AT) == expected


def test_a_repeated_quota_header_reads_the_same_for_each_response():
    later = AT + timedelta(minutes=5)
    first = parse_quota_headers({"  X-Quota-Snapshot-Chat ": DOC_QUOTA, "x-other": "1"}, DEV, AT)
    again = parse_quota_headers({"  X-Quota-Snapshot-Chat ": DOC_QUOTA}, "bob", later)
    assert first == (quota("chat", 300.0, 87.5, 0.0, False, "2026-12-01T00:00:00Z"),)
    assert again == (replace(first[0], developer="bob", observed_at=later),)
    assert parse_quota_headers({"x-quota-snapshot-chat": DOC_QUOTA.replace("87.5", "80")}, DEV, AT)[0] == replace(
        first[0], remaining_percent=80.0)


def test_an_unlimited_quota_keeps_its_marker():
    snapshot = parse_quota_header("x-quota-snapshot-chat", "ent=-1&rem=100", DEV, AT)
    assert snapshot == QuotaSnapshot(developer="alice", quota="chat", observed_at=AT, entitlement=-1.0,
                                     remaining_percent=100.0, overage=None, overage_permitted=None, reset_at="")


def test_parse_quota_headers_from_mitmproxy_headers():
    headers = Headers([(b"Content-Type", b"text/event-stream"),
                       (b"x-quota-snapshot-premium_interactions", DOC_QUOTA.encode()),
                       (b"x-quota-snapshot-chat", b"ent=-1&rem=100"),
                       (b"x-quota-snapshot-completions", b"\xff\xfe")])
    quotas = parse_quota_headers(headers, DEV, AT)
    assert [q.quota for q in quotas] == ["premium_interactions", "chat", "completions"]
    assert quotas[0].remaining_percent == 87.5
    assert quotas[0].reset_at == "2026-12-01T00:00:00Z"
    assert parse_quota_headers({}, DEV, AT) == ()


def test_parse_quota_object():
    value = {"premium_interactions": {"entitlement": 300, "percent_remaining": 50, "overage_permitted": True,
                                      "overage_count": 2, "reset_date": "2026-12-01"},
             "chat": {"entitlement": "x"}, "bad name": {}, "completions": "nope"}
    assert parse_quota_object(value, DEV, AT) == (quota("premium_interactions", 300.0, 50.0, 2.0, True, "2026-12-01"),
                                         quota("chat", None, None, None, None, ""))
    assert parse_quota_object([1, 2], DEV, AT) == ()
    assert parse_quota_object(None, DEV, AT) == ()
