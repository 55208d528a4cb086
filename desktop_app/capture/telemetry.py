"""Copilot telemetry batches → the shown / accepted events the store counts.

This module owns reading `POST {telemetry}/telemetry` bodies (copilot-protocol.md §4): gzip'd
newline-delimited Application Insights envelopes (`application/x-json-stream`) or a JSON array of
them (`application/json`), and mapping the few events we understand — ghost text shown/accepted,
chat insert/copy/apply, next edit suggestions shown/accepted — to `TelemetryEvent`s. Event names are
matched by suffix because each client prefixes them differently (`copilot/`, `agent/`,
`GitHub.copilot-chat/`). Attribution is the connection's: the developer is given by the caller.
Nothing here raises on bad input.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from desktop_app.capture.decoding import decode_body, finite_number, parse_json
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

TELEMETRY_DECODE_LIMIT: Final = 16 * 1024 * 1024  # a telemetry batch is a few KiB; refuse more than this
MAX_ENVELOPES: Final = 10_000  # envelopes read from one body at most

_TRUTHY: Final = frozenset({"true", "1", "yes"})
_MAX_FIELD: Final = 200  # longest property value we keep (ids, language, model, editor)

type JsonObject = dict[str, object]


@dataclass(frozen=True)
class TelemetryParse:
    """The outcome of reading one telemetry body."""

    events: tuple[TelemetryEvent, ...]  # the understood events, in body order
    envelopes: int  # JSON objects (Application Insights envelopes) in the body
    unparsed: int  # lines / items that were not JSON objects (1 for a body that did not decode)


@dataclass(frozen=True, slots=True)
class _Envelope:
    """The parts of one envelope the mappers read."""

    name: str
    properties: dict[str, str]
    measurements: dict[str, float]
    occurred_at: datetime

    def prop(self, *names: str) -> str:
        """The first non-empty property among `names`, cut to a sane length."""
        for name in names:
            value = self.properties.get(name, "").strip()
            if value:
                return value[:_MAX_FIELD]
        return ""

    def count(self, *names: str) -> int | None:
        """The first measurement (or numeric property) among `names` as a non-negative int."""
        for name in names:
            number = self.measurements.get(name)
            if number is None:
                number = finite_number(self.properties.get(name))
            if number is not None and number >= 0:
                return int(number)
        return None

    def flag(self, name: str) -> bool:
        """Whether a property or measurement `name` is true-ish ("true", "1", 1, ...)."""
        if self.properties.get(name, "").strip().lower() in _TRUTHY:
            return True
        return bool(self.measurements.get(name))

    def key(self, index_name: str) -> str:
        """`headerRequestId:<index>` (index default 0), or "" without a request id."""
        request_id = self.prop("headerRequestId")
        if not request_id:
            return ""
        return f"{request_id}:{self.prop(index_name) or '0'}"


# --- small conversions -----------------------------------------------------------------------------


def _properties(value: object) -> dict[str, str]:
    """`baseData.properties` as strings (Application Insights sends strings; tolerate others)."""
    if not isinstance(value, dict):
        return {}
    result: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, str):
            result[key] = item
        elif isinstance(item, bool):
            result[key] = "true" if item else "false"
        elif isinstance(item, int | float):
            result[key] = str(item)
    return result


def _measurements(value: object) -> dict[str, float]:
    """`baseData.measurements` as finite floats."""
    if not isinstance(value, dict):
        return {}
    result: dict[str, float] = {}
    for key, item in value.items():
        number = finite_number(item, bools=True)
        if number is not None:
            result[key] = number
    return result


def _timestamp(value: object, fallback: datetime) -> datetime:
    """The envelope's ISO `time` in UTC, or `fallback` when it is missing or not a date."""
    if not isinstance(value, str) or not value.strip():
        return fallback
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return fallback
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _envelope(item: JsonObject, received_at: datetime) -> _Envelope | None:
    """The event name and fields of an Application Insights envelope, None without a name."""
    data = item.get("data")
    base = data.get("baseData") if isinstance(data, dict) else None
    if not isinstance(base, dict):
        return None
    name = base.get("name")
    if not isinstance(name, str) or not name:
        return None
    return _Envelope(name=name, properties=_properties(base.get("properties")),
                     measurements=_measurements(base.get("measurements")),
                     occurred_at=_timestamp(item.get("time"), received_at))


# --- event mapping -----------------------------------------------------------------------------------


def _event(envelope: _Envelope, developer: str, event: str, *, suggestion_key: str, chars: int | None = None,
           lines: int | None = None, comp_type: str = "") -> TelemetryEvent:
    """A TelemetryEvent with the fields every mapped event shares filled from the envelope."""
    return TelemetryEvent(
        developer=developer,
        occurred_at=envelope.occurred_at,
        event=event,
        suggestion_key=suggestion_key,
        language=envelope.prop("languageId", "activeDocumentLanguageId"),
        model=envelope.prop("engineName", "modelId", "modelName"),
        editor=envelope.prop("editor_version"),
        chars=chars,
        lines=lines,
        comp_type=comp_type,
    )


def _ghost_text_shown(envelope: _Envelope, developer: str) -> list[TelemetryEvent]:
    return [_event(envelope, developer, COMPLETION_SHOWN, suggestion_key=envelope.key("choiceIndex"),
                   chars=envelope.count("compCharLen"), lines=envelope.count("numLines"))]


def _ghost_text_accepted(envelope: _Envelope, developer: str) -> list[TelemetryEvent]:
    return [_event(envelope, developer, COMPLETION_ACCEPTED, suggestion_key=envelope.key("choiceIndex"),
                   chars=envelope.count("compCharLen"), lines=envelope.count("numLines"),
                   comp_type=envelope.prop("compType", "comp_type"))]


def _chat_insert(envelope: _Envelope, developer: str) -> list[TelemetryEvent]:
    return [_event(envelope, developer, CHAT_ACCEPTED_INSERT, suggestion_key=_chat_key(envelope),
                   chars=envelope.count("totalCharacters", "copiedCharacters"),
                   lines=envelope.count("totalLines", "copiedLines"),
                   comp_type=envelope.prop("comp_type", "compType"))]


def _chat_copy(envelope: _Envelope, developer: str) -> list[TelemetryEvent]:
    # What was copied can be part of the block: prefer the copied counts over the block's size.
    return [_event(envelope, developer, CHAT_ACCEPTED_COPY, suggestion_key=_chat_key(envelope),
                   chars=envelope.count("copiedCharacters", "totalCharacters"),
                   lines=envelope.count("copiedLines", "totalLines"),
                   comp_type=envelope.prop("comp_type", "compType"))]


def _chat_apply(envelope: _Envelope, developer: str) -> list[TelemetryEvent]:
    return [_event(envelope, developer, CHAT_APPLIED_CODEBLOCK, suggestion_key=_chat_key(envelope),
                   chars=envelope.count("totalCharacters"), lines=envelope.count("totalLines"))]


def _chat_key(envelope: _Envelope) -> str:
    """`headerRequestId:codeBlockIndex` (the chat analogue of a completion choice)."""
    return envelope.key("codeBlockIndex")


def _next_edit(envelope: _Envelope, developer: str) -> list[TelemetryEvent]:
    """One `provideInlineEdit` can report both that the edit was shown and that it was accepted."""
    request_id = envelope.prop("headerRequestId", "requestId", "opportunityId")
    key = f"{request_id}:0" if request_id else ""
    events = []
    if envelope.flag("isShown"):
        events.append(_event(envelope, developer, NES_SHOWN, suggestion_key=key))
    if envelope.prop("acceptance").lower() == "accepted":
        events.append(_event(envelope, developer, NES_ACCEPTED, suggestion_key=key))
    return events


_Mapper = Callable[[_Envelope, str], list[TelemetryEvent]]

# Matched against the end of the lower-cased event name, after a "/" (or as the whole name).
_MAPPERS: Final[dict[str, _Mapper]] = {
    "ghosttext.shown": _ghost_text_shown,
    "ghosttext.accepted": _ghost_text_accepted,
    "conversation.acceptedinsert": _chat_insert,
    "conversation.acceptedcopy": _chat_copy,
    "conversation.appliedcodeblock": _chat_apply,
    "copilot-nes/provideinlineedit": _next_edit,
}


def _mapper_for(name: str) -> _Mapper | None:
    """The mapper whose suffix ends `name` at a path boundary, if any."""
    lowered = name.lower()
    for suffix, mapper in _MAPPERS.items():
        if lowered == suffix or lowered.endswith("/" + suffix):
            return mapper
    return None


# --- body framing ------------------------------------------------------------------------------------

_NOT_JSON: Final = object()  # stands for a line or item that is not JSON


def _items(text: bytes, content_type: str) -> Iterator[object]:
    """The JSON values in a body: the elements of an array, or one value per NDJSON line.

    Lines that are not JSON come out as the sentinel `_NOT_JSON`.
    """
    stripped = text.strip()
    if stripped.startswith(b"[") or (stripped.startswith(b"{") and "x-json-stream" not in content_type.lower()):
        whole = parse_json(stripped)
        if isinstance(whole, list):
            yield from whole
            return
        if isinstance(whole, dict):
            yield whole
            return
    for line in stripped.split(b"\n"):
        if line.strip():
            value = parse_json(line)
            yield _NOT_JSON if value is None else value


def parse_telemetry(body: bytes, content_encoding: str | None, content_type: str, developer: str,
                    received_at: datetime) -> TelemetryParse:
    """Read one telemetry request body into the events we understand.

    Args:
        body: The request body as sent (possibly gzip'd).
        content_encoding: The request's `Content-Encoding` (gzip on the Node SDK path).
        content_type: The request's `Content-Type` (`application/x-json-stream` or `application/json`).
        developer: Who sent it (the connection's attribution).
        received_at: When the proxy received it (UTC); used for envelopes without a usable `time`.

    Returns:
        The mapped events plus counts of envelopes and of unparsable lines/items; never raises.
    """
    decoded = decode_body(body, content_encoding, TELEMETRY_DECODE_LIMIT)
    if decoded is None:
        return TelemetryParse(events=(), envelopes=0, unparsed=1)
    events: list[TelemetryEvent] = []
    envelopes = unparsed = 0
    for item in _items(decoded, content_type):
        if not isinstance(item, dict):
            unparsed += 1
            continue
        envelopes += 1
        if envelopes > MAX_ENVELOPES:
            break
        envelope = _envelope(item, received_at)
        mapper = _mapper_for(envelope.name) if envelope is not None else None
        if envelope is not None and mapper is not None:
            events.extend(mapper(envelope, developer))
    return TelemetryParse(events=tuple(events), envelopes=min(envelopes, MAX_ENVELOPES), unparsed=unparsed)
