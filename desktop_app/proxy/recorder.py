"""Turns each finished Copilot exchange into a `UsageEvent` and hands it to a sink.

Responses from Copilot hosts are streamed to the client chunk by chunk (mitmproxy would otherwise
buffer the whole answer, and a streamed chat reply would arrive all at once at the end); the tee
only counts bytes and notes when the first one arrived. Hooks do constant work and never wait on
disk: the sink is expected to queue. Any failure in here is logged and counted, and the
developer's request goes on untouched.
"""

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from mitmproxy import http

from desktop_app.core.models import Sink, UsageEvent
from desktop_app.proxy.auth import developer_of
from desktop_app.proxy.hosts import HostPolicy, coarse_kind, host_family

logger = logging.getLogger(__name__)

TEE_KEY = "copilot_insight.tee"


class StreamTee:
    """mitmproxy stream callable: forwards every chunk unchanged and measures the stream."""

    __slots__ = ("first_byte_at", "size")

    def __init__(self) -> None:
        """Start with nothing received."""
        self.size = 0
        self.first_byte_at: float | None = None

    def __call__(self, chunk: bytes) -> bytes:
        """Count `chunk` and return it as it is."""
        if chunk and self.first_byte_at is None:
            self.first_byte_at = time.time()
        self.size += len(chunk)
        return chunk


class UsageRecorder:
    """mitmproxy addon: records attributed requests to intercepted Copilot hosts."""

    def __init__(self, sink: Sink, hosts: HostPolicy, on_failure: Callable[[], None] | None = None) -> None:
        """Send one `UsageEvent` per finished exchange to `sink`."""
        self._sink = sink
        self._hosts = hosts
        self._on_failure = on_failure
        self.unrecorded = 0

    def _recorded(self, flow: http.HTTPFlow) -> bool:
        return (developer_of(flow) is not None and flow.request.method != "CONNECT"
                and self._hosts.is_intercepted(flow.request.pretty_host))

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        """Stream the response of a recorded exchange through a tee."""
        if flow.response is not None and self._recorded(flow) and not flow.response.stream:
            tee = StreamTee()
            flow.response.stream = tee
            flow.metadata[TEE_KEY] = tee

    def response(self, flow: http.HTTPFlow) -> None:
        """Record a completed exchange."""
        self._emit(flow, None)

    def error(self, flow: http.HTTPFlow) -> None:
        """Record an exchange that failed (upstream unreachable, client cancelled, ...)."""
        self._emit(flow, flow.error.msg if flow.error else "unknown error")

    def _emit(self, flow: http.HTTPFlow, error: str | None) -> None:
        if not self._recorded(flow):
            return
        try:
            self._sink(event_from_flow(flow, error))
        except Exception:
            self.unrecorded += 1
            logger.exception("Could not record a Copilot request; it was forwarded all the same.")
            if self._on_failure is not None:
                self._on_failure()


def event_from_flow(flow: http.HTTPFlow, error: str | None) -> UsageEvent:
    """Describe a finished flow as a `UsageEvent` (pure: reads the flow, changes nothing)."""
    request, response = flow.request, flow.response
    started = request.timestamp_start
    tee = flow.metadata.get(TEE_KEY)
    first_byte = response.timestamp_start if response is not None else None
    if isinstance(tee, StreamTee) and tee.first_byte_at is not None:
        first_byte = min(first_byte or tee.first_byte_at, tee.first_byte_at)
    ended = (response.timestamp_end if response is not None else None) or time.time()
    family = host_family(request.pretty_host)
    path = request.path.split("?", 1)[0]
    return UsageEvent(
        developer=developer_of(flow) or "",
        started_at=datetime.fromtimestamp(started, UTC),
        method=request.method,
        host=request.pretty_host,
        path=path,
        host_family=family,
        kind=coarse_kind(family, request.method, path),
        status=response.status_code if response is not None else None,
        duration_ms=max(0.0, (ended - started) * 1000),
        ttfb_ms=None if first_byte is None else max(0.0, (first_byte - started) * 1000),
        request_bytes=len(request.raw_content or b""),
        response_bytes=_response_size(response, tee),
        http_version=request.http_version,
        streamed=isinstance(tee, StreamTee),
        error=error,
    )


def _response_size(response: http.Response | None, tee: object) -> int:
    if isinstance(tee, StreamTee):
        return tee.size
    if response is None:
        return 0
    return len(response.raw_content or b"")
