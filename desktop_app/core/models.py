"""Plain data passed between layers: what the proxy observed about one Copilot request.

Frozen dataclasses only: they cross threads (proxy loop → writer → GUI) and must never be the
live mitmproxy objects, which keep changing on the proxy thread.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

Milliseconds = float


@dataclass(frozen=True, slots=True)
class UsageEvent:
    """One finished (or failed) request to a Copilot host, attributed to a developer."""

    developer: str
    started_at: datetime  # UTC, when the request began
    method: str
    host: str
    path: str  # without the query string
    host_family: str  # api / proxy / telemetry / other (see proxy.hosts)
    kind: str  # coarse endpoint kind (see proxy.hosts.coarse_kind)
    status: int | None  # HTTP status, None when no response arrived
    duration_ms: Milliseconds
    ttfb_ms: Milliseconds | None  # request start to first response byte
    request_bytes: int
    response_bytes: int
    http_version: str
    streamed: bool
    error: str | None = None  # why the exchange failed, when it did


Sink = Callable[[UsageEvent], None]
