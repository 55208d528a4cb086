"""Captures each finished Copilot exchange and hands it, unparsed, to a sink.

Responses from Copilot hosts are streamed to the client chunk by chunk (mitmproxy would otherwise
buffer the whole answer, and a streamed chat reply would arrive all at once at the end); the tee
keeps a bounded copy. Hooks do constant work: no parsing, no decoding, no disk. Everything else
(classification, stream parsing, storage) happens on the writer thread (see `pipeline`). Any
failure in here is logged and counted, and the developer's request goes on untouched.
"""

import logging
import time
from collections import deque
from collections.abc import Callable

from mitmproxy import http

from desktop_app.capture.exchange import Exchange, Headers
from desktop_app.capture.hosts import HostPolicy
from desktop_app.proxy.auth import developer_of

logger = logging.getLogger(__name__)

TEE_KEY = "copilot_insight.tee"
HOST_KEY = "copilot_insight.recorded_host"  # the host a flow is recorded under, or None: decided once per flow
WS_PENDING_KEY = "copilot_insight.ws_pending"
HEAD_LIMIT = 8 * 1024 * 1024  # kept from the start of a response
TAIL_LIMIT = 256 * 1024  # kept from its end once the head is full (usage arrives last)


class CaptureTee:
    """mitmproxy stream callable: forwards every chunk unchanged and keeps a bounded copy."""

    __slots__ = ("first_byte_at", "head", "head_size", "size", "tail", "tail_size")

    def __init__(self) -> None:
        """Start with nothing received."""
        self.size = 0
        self.head: list[bytes] = []
        self.head_size = 0
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.first_byte_at: float | None = None

    def __call__(self, chunk: bytes) -> bytes:
        """Copy `chunk` and return it as it is."""
        if chunk:
            if self.first_byte_at is None:
                self.first_byte_at = time.time()
            self.size += len(chunk)
            if self.head_size < HEAD_LIMIT:
                self.head.append(chunk)
                self.head_size += len(chunk)
            else:
                self._keep_tail(chunk)
        return chunk

    def _keep_tail(self, chunk: bytes) -> None:
        self.tail.append(chunk)
        self.tail_size += len(chunk)
        while self.tail_size > TAIL_LIMIT and len(self.tail) > 1:
            self.tail_size -= len(self.tail.popleft())

    @property
    def truncated(self) -> bool:
        """Whether bytes between head and tail were dropped."""
        return self.head_size + self.tail_size < self.size

    def body(self) -> bytes:
        """The captured bytes: the head, then (if the stream was long) its tail."""
        return b"".join(self.head) + b"".join(self.tail)


def _headers(message: http.Message) -> Headers:
    return message.headers.fields


class UsageRecorder:
    """Proxy hooks (folded, see `chain`): capture attributed exchanges with intercepted Copilot hosts."""

    def __init__(self, sink: Callable[[Exchange], None], hosts: HostPolicy) -> None:
        """Send one `Exchange` per finished exchange (or WebSocket model call) to `sink`."""
        self._sink = sink
        self._hosts = hosts

    def _recorded_host(self, flow: http.HTTPFlow) -> str | None:
        """The host of an attributed exchange with an intercepted host (None: not recorded), computed once."""
        metadata = flow.metadata
        if HOST_KEY in metadata:
            return metadata[HOST_KEY]  # type: ignore[no-any-return]
        host = None
        if developer_of(flow) is not None and flow.request.method != "CONNECT":
            pretty = flow.request.pretty_host  # ~6 µs: the Host header, parsed
            host = pretty if self._hosts.is_intercepted(pretty) else None
        metadata[HOST_KEY] = host
        return host

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        """Stream the response of a recorded exchange through a capturing tee."""
        response = flow.response
        if (response is not None and response.status_code != 101 and not response.stream
                and self._recorded_host(flow) is not None):
            tee = CaptureTee()
            response.stream = tee
            flow.metadata[TEE_KEY] = tee

    def response(self, flow: http.HTTPFlow) -> None:
        """Capture a completed exchange (a WebSocket handshake is captured per message instead)."""
        if flow.response is None or flow.response.status_code != 101:
            self._emit(flow, None)

    def error(self, flow: http.HTTPFlow) -> None:
        """Capture an exchange that failed (upstream unreachable, client cancelled, ...)."""
        self._emit(flow, flow.error.msg if flow.error else "unknown error")

    def websocket_message(self, flow: http.HTTPFlow) -> None:
        """Pair each `response.create` from the client with the server's final event."""
        if flow.websocket is None or (host := self._recorded_host(flow)) is None:
            return
        message = flow.websocket.messages[-1]
        pending: deque[tuple[float, bytes]] = flow.metadata.setdefault(WS_PENDING_KEY, deque())
        if message.from_client and b'"response.create"' in message.content:
            pending.append((message.timestamp, message.content))
        elif not message.from_client and pending and (
                b'"response.completed"' in message.content or b'"error"' in message.content[:64]):
            started, request = pending.popleft()
            self._send(_websocket_exchange(flow, host, started, request, message.content, error=None))

    def websocket_end(self, flow: http.HTTPFlow) -> None:
        """Capture model calls still unanswered when the WebSocket closed as cancelled."""
        pending: deque[tuple[float, bytes]] = flow.metadata.get(WS_PENDING_KEY, deque())
        host = flow.metadata.get(HOST_KEY) or flow.request.pretty_host  # pending only if recorded
        while pending:
            started, request = pending.popleft()
            self._send(_websocket_exchange(flow, host, started, request, b"",
                                           error="websocket closed before the answer"))

    def _emit(self, flow: http.HTTPFlow, error: str | None) -> None:
        if (host := self._recorded_host(flow)) is not None:
            self._send(exchange_from_flow(flow, host, error))

    def _send(self, exchange: Exchange) -> None:
        try:
            self._sink(exchange)
        except Exception:  # the sink only queues; still, never fail the developer's request
            logger.exception("Could not record a Copilot request; it was forwarded all the same.")


def exchange_from_flow(flow: http.HTTPFlow, host: str, error: str | None) -> Exchange:
    """Capture a finished flow to `host` (reads the flow, changes nothing)."""
    request, response = flow.request, flow.response
    tee = flow.metadata.get(TEE_KEY)
    if isinstance(tee, CaptureTee):
        body, size, truncated, first = tee.body(), tee.size, tee.truncated, tee.first_byte_at
    else:
        body = (response.raw_content or b"") if response is not None else b""
        size, truncated, first = len(body), False, None
    if response is not None and response.timestamp_start and (first is None or response.timestamp_start < first):
        first = response.timestamp_start
    return Exchange(
        developer=developer_of(flow) or "", started=request.timestamp_start, method=request.method,
        host=host, path=request.path, http_version=request.http_version,
        request_headers=_headers(request), request_body=request.raw_content or b"",
        status=response.status_code if response is not None else None,
        response_headers=_headers(response) if response is not None else (),
        response_body=body, response_bytes=size, truncated=truncated, first_byte_at=first,
        ended=(response.timestamp_end if response is not None else None) or time.time(),
        streamed=isinstance(tee, CaptureTee), error=error,
    )


def _websocket_exchange(flow: http.HTTPFlow, host: str, started: float, request_message: bytes, answer: bytes, *,
                        error: str | None) -> Exchange:
    return Exchange(
        developer=developer_of(flow) or "", started=started, method="GET", host=host,
        path=flow.request.path, http_version=flow.request.http_version, request_headers=_headers(flow.request),
        request_body=request_message, status=101 if error is None else None, response_headers=(),
        response_body=answer, response_bytes=len(answer), truncated=False, first_byte_at=None,
        ended=time.time(), streamed=True, error=error, websocket=True,
    )
