"""Turns a captured `Exchange` into what the store keeps: usage, telemetry, quotas, content.

Runs on the writer thread, never on the proxy loop. Bad input is never an error: an undecodable
or unknown body yields a usage row marked `unparsed`, and the developer's request was long since
forwarded untouched.
"""

import json
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from desktop_app.capture.classify import Classification, RequestFacts, classify
from desktop_app.capture.decoding import decode_body, parse_json
from desktop_app.capture.exchange import Exchange
from desktop_app.capture.hosts import host_family
from desktop_app.capture.quotas import parse_quota_headers, parse_quota_object
from desktop_app.capture.responses import ResponseFacts, parse_response
from desktop_app.capture.telemetry import parse_telemetry
from desktop_app.core import models as m
from desktop_app.core.redaction import redact_headers, redact_json

PARSED_KINDS = frozenset({m.KIND_COMPLETION, m.KIND_MODEL_CALL, m.KIND_NES, m.KIND_INSTANT_APPLY,
                          m.KIND_PROXY_CHAT, m.KIND_CODE_REVIEW})
CONTENT_FOLDERS = {m.KIND_COMPLETION: "completions", m.KIND_MODEL_CALL: "chat", m.KIND_NES: "nes",
                   m.KIND_INSTANT_APPLY: "chat", m.KIND_PROXY_CHAT: "chat", m.KIND_TELEMETRY: "telemetry"}


_CLASSIFIED = tuple(f.name for f in fields(Classification))


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _request_body(exchange: Exchange, headers: Mapping[str, str]) -> tuple[bytes | None, object]:
    decoded = decode_body(exchange.request_body, headers.get("content-encoding"))
    return decoded, (parse_json(decoded) if decoded else None)


def _response(exchange: Exchange, c: Classification, headers: Mapping[str, str]) -> ResponseFacts:
    if c.kind not in PARSED_KINDS or not exchange.response_body:
        return ResponseFacts(parse_status="ok" if exchange.error is None else "truncated")
    body = decode_body(exchange.response_body, headers.get("content-encoding"), allow_truncated=exchange.truncated)
    if body is None:
        return ResponseFacts(parse_status="unparsed")
    return parse_response(c.api, headers.get("content-type", ""), body, truncated=exchange.truncated)


def _parse_status(request_decoded: bytes | None, exchange: Exchange, response: ResponseFacts) -> str:
    if exchange.request_body and request_decoded is None:
        return "unparsed"
    return response.parse_status


def analysed_fields(c: Classification, response: ResponseFacts, status: int | None) -> dict[str, Any]:
    """The `UsageEvent` fields that classification and the parsed response give, as keyword arguments."""
    has_text = response.has_text if status == 200 else False
    values: dict[str, Any] = {name: getattr(c, name) for name in _CLASSIFIED}
    values.update(
        model=c.model or response.model,
        prompt_tokens=response.prompt_tokens, completion_tokens=response.completion_tokens,
        cached_tokens=response.cached_tokens, reasoning_tokens=response.reasoning_tokens,
        nano_aiu=response.nano_aiu, finish_reason=response.finish_reason,
        has_text=has_text if c.kind in PARSED_KINDS else None,
        lines_suggested=response.lines if c.kind == m.KIND_COMPLETION and has_text else None,
    )
    return values


def usage_event(exchange: Exchange, c: Classification, response: ResponseFacts, parse_status: str,
                event_id: str = "") -> m.UsageEvent:
    """Combine capture, classification and parsed response into one `UsageEvent` (id `event_id`), built once."""
    first = exchange.first_byte_at
    error = exchange.error
    status = exchange.status if not exchange.websocket or error is None else None
    return m.UsageEvent(
        developer=exchange.developer, started_at=_utc(exchange.started), method=exchange.method,
        host=exchange.host, path=exchange.path.split("?", 1)[0], status=status,
        duration_ms=max(0.0, (exchange.ended - exchange.started) * 1000),
        ttfb_ms=None if first is None else max(0.0, (first - exchange.started) * 1000),
        request_bytes=len(exchange.request_body), response_bytes=exchange.response_bytes,
        http_version=exchange.http_version, streamed=exchange.streamed, error=error or (response.error or None),
        cancelled=error is not None and ("client" in error.lower() or "closed" in error.lower()),
        parse_status=parse_status, source_id=event_id, **analysed_fields(c, response, status),
    )


def quota_snapshots(exchange: Exchange, response: ResponseFacts,
                    headers: Mapping[str, str]) -> tuple[m.QuotaSnapshot, ...]:
    """The quotas a response reported (`x-quota-snapshot-*` headers, WebSocket snapshots)."""
    observed = _utc(exchange.ended)
    return (*parse_quota_headers(headers, exchange.developer, observed),
            *parse_quota_object(response.quota_snapshots, exchange.developer, observed))


def content_record(exchange: Exchange, c: Classification, request_json: object,
                   response_headers: tuple[tuple[str, str], ...]) -> m.ContentRecord:
    """A redacted request/response document in the seed's per-request log layout."""
    body = decode_body(exchange.response_body, dict(response_headers).get("content-encoding")) or b""
    document: dict[str, object] = {
        "proxy-authorization": exchange.developer,  # the seed's key; only the name, never a password
        "timestamp": _utc(exchange.started).isoformat(),
        "proxy-time-consumed": f"{(exchange.ended - exchange.started) * 1000:.2f}ms",
        "request": {"url": f"https://{exchange.host}{exchange.path.split('?', 1)[0]}", "method": exchange.method,
                    "headers": redact_headers(exchange.request_header_items()), "content": redact_json(request_json)},
        "response": {"status_code": exchange.status, "headers": redact_headers(response_headers),
                     "content": redact_json(_response_chunks(body))},
    }
    return m.ContentRecord(exchange.developer, _utc(exchange.started), CONTENT_FOLDERS.get(c.kind, "other"),
                           document)


def _response_chunks(body: bytes) -> object:
    """The response as the seed logged it: a list of parsed SSE chunks, or the JSON body."""
    text = body.decode("utf-8", "replace")
    if not text.lstrip().startswith("data:"):
        parsed = parse_json(body)
        return parsed if parsed is not None else text
    chunks: list[object] = []
    for line in text.splitlines():
        if line.startswith("data:"):
            payload = line[5:].strip()
            try:
                chunks.append(json.loads(payload) if payload != "[DONE]" else "")
            except ValueError:
                chunks.append(payload)
    return chunks


def unparsed_batch(exchange: Exchange) -> m.RecordBatch:
    """A usage row from the capture alone, for an exchange whose analysis failed."""
    c = Classification(host_family=host_family(exchange.host), kind=m.KIND_OTHER)
    return m.RecordBatch(usage=(usage_event(exchange, c, ResponseFacts(parse_status="unparsed"), "unparsed"),))


def analyze(exchange: Exchange, *, record_content: bool = False, event_id: str = "") -> m.RecordBatch:
    """Classify, parse and package one exchange for the store; its usage row gets the id `event_id`."""
    headers = dict(exchange.request_header_items())
    decoded, body = _request_body(exchange, headers)
    path = exchange.path.split("?", 1)[0]
    c = classify(RequestFacts(exchange.host, exchange.method, path, headers, body))
    response_items = exchange.response_header_items()  # decoded once, for parsing, quotas and content
    response_headers = dict(response_items)
    response = _response(exchange, c, response_headers)
    usage = usage_event(exchange, c, response, _parse_status(decoded, exchange, response), event_id)
    telemetry: tuple[m.TelemetryEvent, ...] = ()
    if c.kind == m.KIND_TELEMETRY and exchange.request_body:
        parsed = parse_telemetry(exchange.request_body, headers.get("content-encoding"),
                                 headers.get("content-type", ""), exchange.developer, _utc(exchange.started))
        telemetry = parsed.events
    content = ((content_record(exchange, c, body, response_items),)
               if record_content and c.kind != m.KIND_INFRA else ())
    quotas = quota_snapshots(exchange, response, response_headers)
    return m.RecordBatch(usage=(usage,), telemetry=telemetry, quotas=quotas, content=content)
