"""What a model response said about itself: tokens, AI credits, finish reason, output, errors.

This module owns reading the four response formats Copilot's model endpoints use
(copilot-protocol.md §3): Chat Completions, legacy Completions (`/v1/engines/*/completions`), the
OpenAI Responses API (HTTP SSE and WebSocket frames) and the Anthropic Messages API, each either
streamed as server-sent events (framed by `sse`) or as one JSON document.

The writer thread calls `parse_response` with the whole captured body once the exchange ended (the
proxy only keeps a bounded copy while streaming). `StreamParser` could take the body in chunks of any
size, bounded in memory; it keeps counters, never the text. Nothing here raises on bad input: what
cannot be understood is reported as `parse_status = "unparsed"`.
"""

from dataclasses import dataclass
from typing import Final

from desktop_app.capture.decoding import parse_json
from desktop_app.capture.json_values import JsonObject
from desktop_app.capture.json_values import as_count as _int
from desktop_app.capture.json_values import as_object as _obj
from desktop_app.capture.json_values import as_str as _str
from desktop_app.capture.json_values import at_path as _path
from desktop_app.capture.json_values import error_message as _error_message
from desktop_app.capture.sse import MAX_EVENT_BYTES, SseFramer

# ResponseFacts.parse_status values.
PARSE_OK: Final = "ok"
PARSE_UNPARSED: Final = "unparsed"
PARSE_TRUNCATED: Final = "truncated"

MAX_JSON_BYTES: Final = 16 * 1024 * 1024  # a plain JSON body larger than this is not parsed

_RESPONSE_END_TYPES: Final = frozenset({
    "response.completed", "response.incomplete", "response.failed", "response.done",
})
_MESSAGES_TYPES: Final = frozenset({
    "message_start", "message_delta", "message_stop", "content_block_start", "content_block_delta",
    "content_block_stop", "ping",
})


@dataclass(frozen=True)
class ResponseFacts:
    """What one model response reported about itself."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    nano_aiu: int | None = None  # copilot_usage.total_nano_aiu
    finish_reason: str = ""
    has_text: bool | None = None  # None: no output-bearing event was seen at all
    text_chars: int = 0  # generated characters: visible text plus tool-call arguments
    lines: int | None = None  # lines of generated text (completions: of the first choice's text)
    model: str = ""  # model reported by the response, if any
    error: str = ""  # an `error` event / JSON error body message
    events: int = 0  # JSON events seen (SSE `data:` events other than [DONE], or 1 for a JSON body)
    parse_status: str = PARSE_OK  # ok | unparsed | truncated
    # WebSocket: the last `copilot_quota_snapshots` object as sent; `quotas.parse_quota_object` reads it once
    # the developer and the time are known.
    quota_snapshots: object = None


# --- accumulation ------------------------------------------------------------------------------------


class _Facts:
    """Mutable counters while a response is being read; frozen into `ResponseFacts` at the end."""

    def __init__(self) -> None:
        self.prompt: int | None = None
        self.completion: int | None = None
        self.cached: int | None = None
        self.reasoning: int | None = None
        self.nano_aiu: int | None = None
        self.finish = ""
        self.model = ""
        self.error = ""
        self.quota_snapshots: object = None
        self.output_seen = False  # an event that carries (or could carry) output was understood
        self.any_output = False  # any non-empty text or tool call
        self.nonblank = False  # any non-whitespace visible text
        self.completions_style = False  # choices carried `text` (legacy completions: blank is no text)
        self.first_nonblank = False  # visible text of choice 0 has non-whitespace
        self.first_newlines = 0  # newlines in the visible text of choice 0
        self.text_chars = 0
        self.text_deltas = 0  # visible text pieces seen (Responses: fall back to `output` if none)

    def add_text(self, text: str, first: bool = True) -> None:
        """Account visible generated text (`first`: it belongs to choice 0)."""
        if not text:
            return
        self.text_deltas += 1
        self.text_chars += len(text)
        self.any_output = True
        blank = text.isspace()
        self.nonblank = self.nonblank or not blank
        if first:
            self.first_newlines += text.count("\n")
            self.first_nonblank = self.first_nonblank or not blank

    def add_tool_output(self, arguments: str) -> None:
        """Account a tool call (its argument characters count as generated output)."""
        self.any_output = True
        self.text_chars += len(arguments)

    def set_error(self, value: object) -> None:
        """Keep the first error message seen."""
        message = _error_message(value)
        if message and not self.error:
            self.error = message[:500]

    def set_model(self, value: object) -> None:
        """Keep the last non-empty model name seen."""
        model = _str(value).strip()
        if model:
            self.model = model[:200]

    def set_nano_aiu(self, copilot_usage: object) -> None:
        """Keep `copilot_usage.total_nano_aiu` when present."""
        nano = _int(_path(copilot_usage, "total_nano_aiu"))
        if nano is not None:
            self.nano_aiu = nano

    def has_text(self) -> bool | None:
        """Whether the response produced a suggestion (None if no output event was understood)."""
        if not self.output_seen:
            return None
        if self.completions_style:
            return self.nonblank
        return self.any_output

    def lines(self) -> int | None:
        """Lines of choice 0's visible text, counted like the client's `numLines` (split on LF)."""
        if not self.output_seen:
            return None
        return self.first_newlines + 1 if self.first_nonblank else 0


# --- Chat Completions and legacy Completions -------------------------------------------------------


def _chat_usage(facts: _Facts, usage: JsonObject) -> None:
    """Take a Chat/Completions `usage` object (the last one seen wins)."""
    facts.prompt = _int(usage.get("prompt_tokens"))
    facts.completion = _int(usage.get("completion_tokens"))
    facts.cached = _int(_path(usage, "prompt_tokens_details", "cached_tokens"))
    facts.reasoning = _int(_path(usage, "completion_tokens_details", "reasoning_tokens"))


def _message_text(facts: _Facts, message: JsonObject, first: bool) -> None:
    """Account a chat `delta` or `message`: its content (string or parts) and tool calls."""
    content = message.get("content")
    if isinstance(content, str):
        facts.add_text(content, first)
    elif isinstance(content, list):
        for part in content:
            facts.add_text(_str(_path(part, "text")), first)
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list):
        for call in tool_calls:
            facts.add_tool_output(_str(_path(call, "function", "arguments")))
    if _obj(message.get("function_call")) is not None:
        facts.add_tool_output(_str(_path(message, "function_call", "arguments")))


def _choice(facts: _Facts, choice: JsonObject) -> None:
    """Account one element of `choices`."""
    first = _int(choice.get("index")) in {0, None}
    text = choice.get("text")
    if isinstance(text, str):
        facts.completions_style = True
        facts.add_text(text, first)
    for key in ("delta", "message"):
        message = _obj(choice.get(key))
        if message is not None:
            _message_text(facts, message, first)
    finish = _str(choice.get("finish_reason"))
    if finish:
        facts.finish = finish


def _handle_choices(facts: _Facts, event: JsonObject) -> None:
    """A Chat Completions or Completions chunk (or whole non-streamed object)."""
    facts.output_seen = True
    choices = event.get("choices")
    if isinstance(choices, list):
        for choice in choices:
            current = _obj(choice)
            if current is not None:
                _choice(facts, current)
    usage = _obj(event.get("usage"))
    if usage is not None:
        _chat_usage(facts, usage)
    facts.set_nano_aiu(event.get("copilot_usage"))
    facts.set_model(event.get("model"))
    if event.get("error") is not None:
        facts.set_error(event.get("error"))
    errors = event.get("copilot_errors")
    if isinstance(errors, list) and errors:
        facts.set_error(errors[0])


# --- Responses API -----------------------------------------------------------------------------------


def _responses_usage(facts: _Facts, usage: JsonObject) -> None:
    """Take a Responses `usage` object."""
    facts.prompt = _int(usage.get("input_tokens"))
    facts.completion = _int(usage.get("output_tokens"))
    facts.cached = _int(_path(usage, "input_tokens_details", "cached_tokens"))
    facts.reasoning = _int(_path(usage, "output_tokens_details", "reasoning_tokens"))


def _responses_output(facts: _Facts, output: object) -> None:
    """Account a finished response's `output` items (used when no text deltas were streamed)."""
    if not isinstance(output, list):
        return
    for item in output:
        kind = _str(_path(item, "type"))
        if kind == "message":
            content = _path(item, "content")
            for part in content if isinstance(content, list) else []:
                facts.add_text(_str(_path(part, "text")) or _str(_path(part, "refusal")))
        elif kind.endswith("_call"):
            facts.add_tool_output(_str(_path(item, "arguments")) or _str(_path(item, "input")))


def _response_object(facts: _Facts, response: JsonObject, streamed_text: bool) -> None:
    """Account a whole Responses `response` object (final event, WebSocket frame or JSON body)."""
    facts.output_seen = True
    facts.set_model(response.get("model"))
    usage = _obj(response.get("usage"))
    if usage is not None:
        _responses_usage(facts, usage)
    facts.set_nano_aiu(response.get("copilot_usage"))
    reason = _str(_path(response, "incomplete_details", "reason"))
    status = _str(response.get("status"))
    if reason or status:
        facts.finish = reason or status
    if response.get("error") is not None:
        facts.set_error(response.get("error"))
    if not streamed_text:
        _responses_output(facts, response.get("output"))


def _handle_responses_event(facts: _Facts, event: JsonObject, kind: str) -> bool:
    """A Responses API event (SSE `data:` or WebSocket frame); True when this ends the response."""
    if kind in {"response.output_text.delta", "response.refusal.delta"}:
        facts.output_seen = True
        facts.add_text(_str(event.get("delta")))
    elif kind in {"response.function_call_arguments.delta", "response.custom_tool_call_input.delta"}:
        facts.output_seen = True
        facts.any_output = True  # the characters are counted once, from the finished item
    elif kind == "response.output_item.added" and _str(_path(event, "item", "type")).endswith("_call"):
        facts.output_seen = True
        facts.any_output = True
    elif kind == "response.output_item.done" and _str(_path(event, "item", "type")).endswith("_call"):
        facts.output_seen = True
        facts.add_tool_output(_str(_path(event, "item", "arguments")) or _str(_path(event, "item", "input")))
    elif kind in {"response.created", "response.in_progress"}:
        facts.set_model(_path(event, "response", "model"))
    elif kind in _RESPONSE_END_TYPES:
        response = _obj(event.get("response")) or {}
        _response_object(facts, response, streamed_text=facts.text_deltas > 0 or facts.any_output)
        facts.set_nano_aiu(event.get("copilot_usage"))
        facts.quota_snapshots = event.get("copilot_quota_snapshots") or facts.quota_snapshots
        return True
    elif kind == "error":
        facts.set_error(event.get("error") if event.get("error") is not None else event)
    return False


# --- Anthropic Messages API ------------------------------------------------------------------------


class _MessagesUsage:
    """Anthropic counts, combined like VS Code does: prompt = input + cache writes + cache reads."""

    def __init__(self) -> None:
        self.input: int | None = None
        self.cache_creation: int | None = None
        self.cache_read: int | None = None

    def update(self, facts: _Facts, usage: JsonObject) -> None:
        """Take the fields present in a `usage` object (message_start, then message_delta)."""
        self.input = _int(usage.get("input_tokens")) if "input_tokens" in usage else self.input
        if "cache_creation_input_tokens" in usage:
            self.cache_creation = _int(usage.get("cache_creation_input_tokens"))
        if "cache_read_input_tokens" in usage:
            self.cache_read = _int(usage.get("cache_read_input_tokens"))
        output = _int(usage.get("output_tokens"))
        facts.completion = output if output is not None else facts.completion
        if self.input is not None:
            facts.prompt = self.input + (self.cache_creation or 0) + (self.cache_read or 0)
        facts.cached = self.cache_read
        facts.set_nano_aiu(usage.get("copilot_usage"))


def _messages_content(facts: _Facts, content: object) -> None:
    """Account a non-streamed message's `content` blocks."""
    for block in content if isinstance(content, list) else []:
        kind = _str(_path(block, "type"))
        if kind == "text":
            facts.add_text(_str(_path(block, "text")))
        elif kind.endswith("tool_use"):
            facts.add_tool_output("")


def _messages_delta(facts: _Facts, delta: JsonObject) -> None:
    """A `content_block_delta` payload."""
    kind = _str(delta.get("type"))
    if kind == "text_delta":
        facts.add_text(_str(delta.get("text")))
    elif kind == "input_json_delta":
        facts.add_tool_output(_str(delta.get("partial_json")))


def _handle_messages_event(facts: _Facts, usage: _MessagesUsage, event: JsonObject, kind: str) -> bool:
    """An Anthropic Messages event (or a whole non-streamed message); True when this ends it."""
    message = _obj(event.get("message")) if kind == "message_start" else event if kind == "message" else None
    if message is not None:
        facts.output_seen = True
        facts.set_model(message.get("model"))
        usage.update(facts, _obj(message.get("usage")) or {})
        _messages_content(facts, message.get("content"))
        facts.finish = _str(message.get("stop_reason")) or facts.finish
        facts.set_nano_aiu(message.get("copilot_usage"))
        return kind == "message"
    if kind == "content_block_start":
        facts.output_seen = True
        _messages_content(facts, [event.get("content_block")])
    elif kind == "content_block_delta":
        facts.output_seen = True
        _messages_delta(facts, _obj(event.get("delta")) or {})
    elif kind == "message_delta":
        facts.output_seen = True
        facts.finish = _str(_path(event, "delta", "stop_reason")) or facts.finish
        usage.update(facts, _obj(event.get("usage")) or {})
        facts.set_nano_aiu(event.get("copilot_usage"))
    return kind == "message_stop"


# --- dispatch ----------------------------------------------------------------------------------------


def _is_error_body(event: JsonObject) -> bool:
    """A bare error document: `{"error": ...}` or GitHub's `{"message": ..., ...}`."""
    if "choices" in event or "type" in event or "output" in event:
        return False
    return event.get("error") is not None or (isinstance(event.get("message"), str) and len(event) <= 4)


class _EventHandler:
    """Routes each parsed JSON event to its format's handler, detecting the format by shape."""

    def __init__(self) -> None:
        self.facts = _Facts()
        self.messages_usage = _MessagesUsage()
        self.complete = False  # [DONE], response.completed, message_stop or a whole JSON body

    def handle_value(self, value: object) -> bool:
        """Account one parsed JSON value: an event, or a list of events (non-objects in it skipped)."""
        if not isinstance(value, list):
            return self.handle(value)
        understood = failed = 0
        for item in value:
            if isinstance(item, dict):
                understood, failed = (understood + 1, failed) if self.handle(item) else (understood, failed + 1)
        return understood > 0 and failed == 0

    def handle(self, value: object) -> bool:
        """Account one event; False when its structure was not understood."""
        event = _obj(value)
        if event is None:
            return False
        kind = _str(event.get("type"))
        if "choices" in event:
            _handle_choices(self.facts, event)
            return True
        if kind.startswith("response."):
            self.complete = _handle_responses_event(self.facts, event, kind) or self.complete
            return True
        if kind in _MESSAGES_TYPES or kind == "message":
            self.complete = _handle_messages_event(self.facts, self.messages_usage, event, kind) or self.complete
            return True
        if kind == "error" or _is_error_body(event):  # Responses, Messages and plain error bodies
            self.facts.set_error(event.get("error") if event.get("error") is not None else event)
            self.complete = self.complete or kind == "error"  # an error event ends a Responses/Messages stream
            return True
        if _str(event.get("object")) == "response" or ("output" in event and "status" in event):
            _response_object(self.facts, event, streamed_text=False)
            self.complete = True
            return True
        return False


# --- the parser -----------------------------------------------------------------------------------------


class StreamParser:
    """Reader of one model response body: `read_whole(body)`, as the writer reads each captured body.

    `feed()` (chunks of any size) then `finish()` give the same facts; `read_whole` is built on them.

    Handles SSE (framed by `SseFramer`, `data: [DONE]` marking the end) and plain JSON bodies
    (detected by a leading `{` or `[`). Memory is bounded: an SSE line or event over
    `MAX_EVENT_BYTES` is skipped (and the result marked unparsed); a JSON body over
    `MAX_JSON_BYTES` is not parsed.
    """

    def __init__(self, api: str) -> None:
        """Start reading a response of `api` (completions, chat_completions, responses, ...; "" = detect).

        The format is recognised from each event's shape; `api` is kept as a hint for callers.
        """
        self.api = api
        self._handler = _EventHandler()
        self._mode = ""  # "" until the first non-blank byte: "sse" or "json"
        self._buffer = bytearray()  # before detection: the leading bytes; JSON: the whole body
        self._sse = SseFramer(self._dispatch, self._skipped)
        self._too_large = False  # a JSON body over MAX_JSON_BYTES
        self._events = 0
        self._bad = 0

    def feed(self, chunk: bytes) -> None:
        """Read the next chunk of the (decoded) body. Never raises."""
        if not chunk:
            return
        if not self._mode:
            self._buffer += chunk
            self._detect()
            return
        if self._mode == "json":
            self._feed_json_body(chunk)
        else:
            self._sse.feed(chunk)

    def finish(self, *, truncated: bool = False) -> ResponseFacts:
        """The facts read so far, at the end of the body.

        Args:
            truncated: The body was cut (capture limit, dropped connection): a stream without its
                terminal event is then reported as "truncated" rather than parsed as whole.

        Returns:
            The response's facts.
        """
        self._flush(truncated)
        handler = self._handler
        facts = handler.facts
        if truncated and not handler.complete:
            status = PARSE_TRUNCATED
        elif self._bad or self._events == 0:
            status = PARSE_UNPARSED
        else:
            status = PARSE_OK
        return ResponseFacts(
            prompt_tokens=facts.prompt, completion_tokens=facts.completion, cached_tokens=facts.cached,
            reasoning_tokens=facts.reasoning, nano_aiu=facts.nano_aiu, finish_reason=facts.finish,
            has_text=facts.has_text(), text_chars=facts.text_chars, lines=facts.lines(), model=facts.model,
            error=facts.error, events=self._events, parse_status=status, quota_snapshots=facts.quota_snapshots,
        )

    def read_whole(self, body: bytes, *, truncated: bool = False) -> ResponseFacts:
        """Read a whole body, then finish: what `feed(body)` and `finish()` give, a JSON document without copies.

        Args:
            body: The whole (decoded) body, the first thing this parser reads.
            truncated: As for `finish`.

        Returns:
            The response's facts.
        """
        document = body.removeprefix(b"\xef\xbb\xbf").lstrip()
        if self._mode or self._buffer or not document.startswith((b"{", b"[")) or len(document) > MAX_JSON_BYTES:
            self.feed(body)
        else:  # a plain JSON document (the common small, non-streamed answer): parse it straight away
            self._mode = "json"
            self._flush_json(document, truncated)
        return self.finish(truncated=truncated)

    def _detect(self) -> None:
        """Decide SSE or JSON from the first non-blank byte, then replay the buffered bytes."""
        start = self._buffer.removeprefix(b"\xef\xbb\xbf").lstrip()
        if not start:
            if len(self._buffer) > MAX_EVENT_BYTES:
                self._buffer.clear()  # an endless run of blank bytes: forget it
            return
        self._mode = "json" if start.startswith((b"{", b"[")) else "sse"
        pending = bytes(start)
        self._buffer = bytearray()
        self.feed(pending)

    def _feed_json_body(self, chunk: bytes) -> None:
        """Buffer a plain JSON body, up to `MAX_JSON_BYTES`."""
        if self._too_large:
            return
        if len(self._buffer) + len(chunk) > MAX_JSON_BYTES:
            self._buffer = bytearray()
            self._too_large = True
            self._bad += 1
            return
        self._buffer += chunk

    def _skipped(self) -> None:
        """An SSE event too large to read: it counts, as not understood."""
        self._events += 1
        self._bad += 1

    def _dispatch(self, payload: bytes) -> None:
        """Parse and account one event's data."""
        if payload.strip() == b"[DONE]":
            self._handler.complete = True
            return
        self._events += 1
        if not self._handler.handle_value(parse_json(payload)):
            self._bad += 1

    def _flush(self, truncated: bool) -> None:
        """At the end of the body: process what is still buffered."""
        if self._mode == "json":
            body, self._buffer = bytes(self._buffer), bytearray()
            if body and not self._too_large:
                self._flush_json(body, truncated)
        elif self._mode == "sse":
            self._sse.finish(truncated)

    def _flush_json(self, body: bytes, truncated: bool) -> None:
        """Parse a buffered JSON body; a cut one is truncated rather than garbage."""
        value = parse_json(body)
        if value is None and truncated:
            return
        self._events += 1
        if self._handler.handle_value(value):
            self._handler.complete = True
        else:
            self._bad += 1


def parse_response(api: str, content_type: str, body: bytes, truncated: bool = False) -> ResponseFacts:
    """Read a whole (decoded) response body: SSE stream, JSON object or one WebSocket frame.

    Args:
        api: completions, chat_completions, responses, responses_ws, messages, or "" (detect).
        content_type: The response `Content-Type`. SSE is recognised by `text/event-stream` or by
            the body itself (`data:`; a Dec 2024 capture had SSE under `application/json`).
        body: The decoded body.
        truncated: The body was cut by the capture limit.

    Returns:
        The response's facts; never raises.
    """
    del content_type  # the body decides: `{`/`[` is a JSON document, anything else is read as SSE
    return StreamParser(api).read_whole(body, truncated=truncated)
