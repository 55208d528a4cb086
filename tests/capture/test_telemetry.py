"""Telemetry batches (gzip NDJSON and JSON arrays) → shown / accepted TelemetryEvents."""

import gzip
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from desktop_app.capture.telemetry import TelemetryParse, parse_telemetry
from desktop_app.core.models import (
    CHAT_ACCEPTED_COPY,
    CHAT_ACCEPTED_INSERT,
    CHAT_APPLIED_CODEBLOCK,
    COMPLETION_ACCEPTED,
    COMPLETION_SHOWN,
    NES_ACCEPTED,
    NES_SHOWN,
    TelemetryEvent,
)

RECEIVED = datetime(2026, 11, 20, 10, 20, tzinfo=UTC)
IKEY = "7d7048df-6dd0-4048-bb23-b716c1461f8f"


def envelope(name: str, properties: dict, measurements: dict | None = None,
             time: str | None = "2026-11-20T10:15:03.120Z") -> dict:
    """An Application Insights envelope as the VS Code reporter sends it (copilot-protocol.md §4.1)."""
    result: dict = {
        "name": "Microsoft.ApplicationInsights.7d7048df6dd04048bb23b716c1461f8f.Event", "iKey": IKEY,
        "tags": {"ai.user.id": "0000aaaa", "ai.session.id": "sess-uuid", "ai.cloud.roleInstance": "REDACTED"},
        "data": {"baseType": "EventData", "baseData": {"ver": 2, "name": name, "properties": properties,
                                                        "measurements": measurements or {}}},
        "ver": 1, "sampleRate": 100,
    }
    if time is not None:
        result["time"] = time
    return result


COMMON = {"editor_version": "vscode/1.111.0", "editor_plugin_version": "copilot-chat/0.42.0",
          "copilot_trackingId": "0000aaaa", "unique_id": "uuid", "common_os": "linux"}
# copilot-protocol.md §7.6: a shown and a (full) accepted completion.
DOC_SHOWN = envelope("copilot/ghostText.shown", {
    "headerRequestId": "6f1c", "choiceIndex": "0", "languageId": "python", "engineName": "gpt-41-copilot",
    "reason": "network", **COMMON}, {"compCharLen": 12, "documentLength": 230, "timeSinceIssuedMs": 180})
DOC_ACCEPTED = envelope("copilot/ghostText.accepted", {
    "headerRequestId": "6f1c", "choiceIndex": "0", "languageId": "python", "engineName": "gpt-41-copilot",
    "compType": "full", **COMMON}, {"compCharLen": 12, "numLines": 1, "timeSinceIssuedMs": 1930},
    time="2026-11-20T10:15:04.870Z")


def ndjson_gzip(*items: object, crlf: bool = False) -> bytes:
    separator = "\r\n" if crlf else "\n"
    return gzip.compress(separator.join(i if isinstance(i, str) else json.dumps(i) for i in items).encode())


def parse(body: bytes, encoding: str | None = "gzip", content_type: str = "application/x-json-stream",
          developer: str = "alice") -> TelemetryParse:
    return parse_telemetry(body, encoding, content_type, developer, RECEIVED)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_doc_batch_gzip_ndjson():
    result = parse(ndjson_gzip(DOC_SHOWN, DOC_ACCEPTED))
    assert result == TelemetryParse(events=(
        TelemetryEvent(developer="alice", occurred_at=at("2026-11-20T10:15:03.120+00:00"), event=COMPLETION_SHOWN,
                       suggestion_key="6f1c:0", language="python", model="gpt-41-copilot", editor="vscode/1.111.0",
                       chars=12),
        TelemetryEvent(developer="alice", occurred_at=at("2026-11-20T10:15:04.870+00:00"),
                       event=COMPLETION_ACCEPTED, suggestion_key="6f1c:0", language="python", model="gpt-41-copilot",
                       editor="vscode/1.111.0", chars=12, lines=1, comp_type="full"),
    ), envelopes=2, unparsed=0)


def test_crlf_lines_and_blank_lines():
    result = parse(ndjson_gzip(DOC_SHOWN, "", DOC_ACCEPTED, "", crlf=True))
    assert [e.event for e in result.events] == [COMPLETION_SHOWN, COMPLETION_ACCEPTED]
    assert (result.envelopes, result.unparsed) == (2, 0)


def test_json_array_with_client_prefixes():
    insert = envelope("GitHub.copilot-chat/conversation.acceptedInsert", {
        "headerRequestId": "req-9", "codeBlockIndex": "2", "messageId": "m1", "languageId": "typescript",
        "modelId": "claude-sonnet-4.5", "comp_type": "full", "mode": "ask", **COMMON},
        {"totalCharacters": 420, "totalLines": 14, "isAgent": 0})
    accepted = envelope("agent/ghostText.accepted", {
        "headerRequestId": "cls-1", "choiceIndex": "1", "languageId": "java", "engineName": "gpt-41-copilot",
        "compType": "full", "editor_version": "JetBrains-IU/251.1"}, {"compCharLen": 30, "numLines": 2})
    body = json.dumps([insert, accepted]).encode()
    result = parse(body, None, "application/json", developer="bob")
    assert result.envelopes == 2
    assert result.unparsed == 0
    first, second = result.events
    assert (first.event, first.suggestion_key, first.chars, first.lines, first.model, first.language) == (
        CHAT_ACCEPTED_INSERT, "req-9:2", 420, 14, "claude-sonnet-4.5", "typescript")
    assert (second.event, second.suggestion_key, second.chars, second.lines, second.editor, second.developer) == (
        COMPLETION_ACCEPTED, "cls-1:1", 30, 2, "JetBrains-IU/251.1", "bob")


def test_json_array_may_be_gzip_too():
    result = parse(gzip.compress(json.dumps([DOC_SHOWN]).encode()), "gzip", "application/json")
    assert [e.event for e in result.events] == [COMPLETION_SHOWN]


def test_partial_accepts():
    partial = [envelope("copilot/ghostText.accepted", {"headerRequestId": "6f1c", "compType": "partial",
                                                       "languageId": "go"}, {"compCharLen": n, "numLines": 0})
               for n in (4, 9)]
    result = parse(ndjson_gzip(*partial))
    assert [(e.suggestion_key, e.comp_type, e.chars, e.lines) for e in result.events] == [
        ("6f1c:0", "partial", 4, 0), ("6f1c:0", "partial", 9, 0)]  # choiceIndex defaults to 0


def test_chat_copy_and_apply():
    copy = envelope("GitHub.copilot-chat/conversation.acceptedCopy", {
        "headerRequestId": "r1", "codeBlockIndex": "0", "languageId": "python", "modelId": "gpt-4.1"},
        {"totalCharacters": 500, "totalLines": 20, "copiedCharacters": 120, "copiedLines": 4})
    copy_totals_only = envelope("GitHub.copilot-chat/conversation.acceptedCopy", {"headerRequestId": "r2"},
                                {"totalCharacters": 50, "totalLines": 3})
    apply = envelope("GitHub.copilot-chat/conversation.appliedCodeblock", {
        "headerRequestId": "r1", "codeBlockIndex": "1", "languageId": "python"}, {"totalLines": 7})
    result = parse(ndjson_gzip(copy, copy_totals_only, apply))
    assert [(e.event, e.suggestion_key, e.chars, e.lines) for e in result.events] == [
        (CHAT_ACCEPTED_COPY, "r1:0", 120, 4), (CHAT_ACCEPTED_COPY, "r2:0", 50, 3),
        (CHAT_APPLIED_CODEBLOCK, "r1:1", None, 7)]


@pytest.mark.parametrize(("properties", "measurements", "events"), [
    ({"acceptance": "accepted", "isShown": "true"}, {}, [NES_SHOWN, NES_ACCEPTED]),
    ({"acceptance": "accepted"}, {"isShown": 1}, [NES_SHOWN, NES_ACCEPTED]),
    ({"acceptance": "rejected", "isShown": "true"}, {}, [NES_SHOWN]),
    ({"acceptance": "notAccepted", "isShown": "false"}, {"isShown": 0}, []),
    ({"acceptance": "Accepted"}, {}, [NES_ACCEPTED]),
])
def test_next_edit_suggestions(properties, measurements, events):
    nes = envelope("GitHub.copilot-chat/copilot-nes/provideInlineEdit", {
        "headerRequestId": "nes-1", "activeDocumentLanguageId": "rust", "modelName": "copilot-nes-xtab",
        **properties}, measurements)
    result = parse(ndjson_gzip(nes))
    assert [e.event for e in result.events] == events
    for event in result.events:
        assert (event.language, event.model, event.suggestion_key) == ("rust", "copilot-nes-xtab", "nes-1:0")


def test_unknown_events_are_ignored_not_unparsed():
    unknown = [envelope("copilot/ghostText.issued", {"headerRequestId": "x"}),
               envelope("GitHub.copilot-chat/conversation.message", {"source": "user"}),
               envelope("copilot/ghostText.shownAgain", {}),  # a suffix match needs a path boundary
               envelope("copilot/notghostText.shown", {}),
               {"name": "no data at all"},
               {"data": {"baseData": {"name": 5}}}]
    result = parse(ndjson_gzip(*unknown, DOC_SHOWN))
    assert [e.event for e in result.events] == [COMPLETION_SHOWN]
    assert (result.envelopes, result.unparsed) == (7, 0)


def test_non_json_lines_are_counted_as_unparsed():
    result = parse(ndjson_gzip(DOC_SHOWN, "this is not json", '{"cut": ', "[1, 2]", "42", DOC_ACCEPTED))
    assert [e.event for e in result.events] == [COMPLETION_SHOWN, COMPLETION_ACCEPTED]
    assert (result.envelopes, result.unparsed) == (2, 4)


def test_non_object_array_items_are_unparsed():
    result = parse(json.dumps([DOC_SHOWN, "x", None, 3]).encode(), None, "application/json")
    assert (len(result.events), result.envelopes, result.unparsed) == (1, 1, 3)


@pytest.mark.parametrize(("body", "encoding", "content_type"), [
    (b"not gzip", "gzip", "application/x-json-stream"),
    (gzip.compress(b'{"a": 1}')[:-6], "gzip", "application/x-json-stream"),
    (b"{}", "compress", "application/json"),
])
def test_undecodable_body(body, encoding, content_type):
    assert parse(body, encoding, content_type) == TelemetryParse(events=(), envelopes=0, unparsed=1)


@pytest.mark.parametrize("body", [b"", b"\n\n", b"[]"])
def test_empty_batches(body):
    assert parse(body, None, "application/json") == TelemetryParse(events=(), envelopes=0, unparsed=0)


@pytest.mark.parametrize("body", [
    b"\x00\xff\xfe\x80",
    b"[" * 50_000,
    json.dumps([{"data": {"baseData": {"name": "copilot/ghostText.accepted", "properties": [1],
                                       "measurements": "x"}}}]).encode(),
    json.dumps([{"data": {"baseData": {"name": "copilot/ghostText.accepted",
                                       "properties": {"headerRequestId": 5, "choiceIndex": None, "compType": True},
                                       "measurements": {"compCharLen": "12", "numLines": -3}}},
                 "time": 12345}]).encode(),
    json.dumps({"data": "x"}).encode(),
])
def test_garbage_never_raises(body):
    for content_type in ("application/json", "application/x-json-stream", ""):
        result = parse(body, None, content_type)
        assert isinstance(result, TelemetryParse)


def test_wrongly_typed_fields_are_tolerated():
    item = {"data": {"baseData": {"name": "copilot/ghostText.accepted",
                                  "properties": {"headerRequestId": 5, "choiceIndex": None, "compType": True},
                                  "measurements": {"compCharLen": "12", "numLines": -3}}}, "time": 12345}
    (event,) = parse(json.dumps([item]).encode(), None, "application/json").events
    assert (event.suggestion_key, event.comp_type, event.chars, event.lines, event.occurred_at) == (
        "5:0", "true", 12, None, RECEIVED)


@pytest.mark.parametrize(("time", "expected"), [
    ("2026-11-20T10:15:03.120Z", datetime(2026, 11, 20, 10, 15, 3, 120000, tzinfo=UTC)),
    ("2026-11-20T12:15:03+02:00", datetime(2026, 11, 20, 10, 15, 3, tzinfo=UTC)),
    ("2026-11-20T10:15:03.1234567Z", datetime(2026, 11, 20, 10, 15, 3, 123456, tzinfo=UTC)),  # .NET precision
    ("2026-11-20T10:15:03", datetime(2026, 11, 20, 10, 15, 3, tzinfo=UTC)),  # naive: taken as UTC
    ("yesterday", RECEIVED),
    ("", RECEIVED),
    (None, RECEIVED),
])
def test_occurred_at(time, expected):
    (event,) = parse(ndjson_gzip(envelope("copilot/ghostText.shown", {}, time=time))).events
    assert event.occurred_at == expected
    assert event.occurred_at.utcoffset() == timedelta(0)


def test_received_at_is_kept_as_given_for_fallback():
    received = datetime(2026, 11, 20, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    (event,) = parse_telemetry(ndjson_gzip(envelope("copilot/ghostText.shown", {}, time=None)), "gzip",
                               "application/x-json-stream", "carol", received).events
    assert (event.occurred_at, event.developer, event.suggestion_key) == (received, "carol", "")


def test_single_object_json_body():
    result = parse(json.dumps(DOC_ACCEPTED, indent=2).encode(), None, "application/json")
    assert [e.event for e in result.events] == [COMPLETION_ACCEPTED]
