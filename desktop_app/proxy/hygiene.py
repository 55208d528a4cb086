"""Connection hygiene: nobody on the network holds the proxy open without credentials.

mitmproxy keeps an idle or trickling connection for its `tcp_timeout` (10 minutes) and has no
deadline for request headers, so anyone on the LAN could hold every file descriptor the proxy has.
These proxy hooks watch each client connection from `client_connected` on, with one watchdog task on
the proxy loop that looks at every open connection twice a second:

- the first request head (the CONNECT, or a plain-HTTP request) must be complete within
  `header_deadline` seconds of the accept, which closes idle and slowloris connections;
- a connection must have authenticated within `auth_deadline` seconds; a 407 answer itself closes
  the connection (`Connection: close`, see `auth`), so a refused client cannot keep trying on it;
- at most `max_pending_per_source` unauthenticated connections per source address at a time:
  the next one is closed at once;
- an authenticated connection with no traffic for `idle_timeout` seconds is closed (clients such
  as Copilot reconnect on their own).

The authenticated developer's connections are never subject to the first three rules, so a
developer is served while someone floods the proxy. Each closure is reported (source address and
reason) to `on_closed`, which writes the failed-login log; hooks do constant work and never raise.
"""

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from mitmproxy import connection, ctx, http
from mitmproxy.addons.proxyserver import Proxyserver
from mitmproxy.proxy.server import ConnectionHandler

from desktop_app.proxy.auth import developer_of

logger = logging.getLogger(__name__)

CloseReason = Literal["header_timeout", "auth_timeout", "too_many_connections", "idle"]
ClosedCallback = Callable[[str, CloseReason], None]
REPORT_QUIET = 10.0


@dataclass(frozen=True)
class HygieneLimits:
    """The deadlines and limits; the defaults suit a team on a LAN."""

    header_deadline: float = 5.0
    auth_deadline: float = 10.0
    max_pending_per_source: int = 32
    idle_timeout: float = 300.0
    tick: float = 0.5


@dataclass
class HygieneStats:
    """How many connections each rule closed (for tests and `status`)."""

    closed: Counter[str] = field(default_factory=Counter)


@dataclass
class _Pending:
    client: connection.Client
    source: str
    accepted: float  # monotonic
    head_seen: bool = False


class ConnectionHygiene:
    """Proxy hooks (folded, see `chain`): deadlines and limits for client connections (see the module docstring)."""

    def __init__(self, developer_for: Callable[[connection.Client], str | None],
                 limits: HygieneLimits | None = None, on_closed: ClosedCallback | None = None) -> None:
        """`developer_for(client)` says whether a tunnel authenticated (the authenticator's answer)."""
        self._developer_for = developer_for
        self.limits = limits or HygieneLimits()
        self._on_closed = on_closed
        self._pending: dict[str, _Pending] = {}  # client id -> state, until it authenticates
        self._by_source: dict[str, set[str]] = {}  # source -> ids of its pending connections
        self._plain_authenticated: set[str] = set()  # client ids with an authenticated plain-HTTP request
        self._reported: dict[str, float] = {}  # source -> when a flood from it was last reported
        self._watchdog: asyncio.Task[None] | None = None
        self._proxyserver: Proxyserver | None = None
        self.stats = HygieneStats()

    # --- hooks (constant work each) -------------------------------------------------------------

    def running(self) -> None:
        """Start the watchdog on the proxy loop."""
        self._proxyserver = ctx.master.addons.get("proxyserver")
        self._watchdog = asyncio.get_running_loop().create_task(self._watch(), name="connection hygiene")

    def done(self) -> None:
        """Stop the watchdog."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def client_connected(self, client: connection.Client) -> None:
        """Refuse a connection beyond the per-source limit, else start its deadlines."""
        source = str(client.peername[0])
        if self.pending_from(source) >= self.limits.max_pending_per_source:
            self._settle(source)  # those that authenticated since the last sweep no longer count
        if self.pending_from(source) >= self.limits.max_pending_per_source:
            client.error = "too many unauthenticated connections from this address"
            self._closed(source, "too_many_connections")
            return
        self._pending[client.id] = _Pending(client, source, time.monotonic())
        self._by_source.setdefault(source, set()).add(client.id)

    def client_disconnected(self, client: connection.Client) -> None:
        """Forget a connection that ended."""
        self._forget(client.id)
        self._plain_authenticated.discard(client.id)

    def http_connect(self, flow: http.HTTPFlow) -> None:
        """A CONNECT head arrived complete (runs before the authenticator's hook)."""
        self._head_seen(flow.client_conn)

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """A plain-HTTP request head arrived complete."""
        self._head_seen(flow.client_conn)

    def request(self, flow: http.HTTPFlow) -> None:
        """Count an authenticated plain-HTTP request as the connection's authentication."""
        client = flow.client_conn
        if client.id in self._pending and developer_of(flow) is not None:
            self._plain_authenticated.add(client.id)
            self._forget(client.id)

    # --- the watchdog ---------------------------------------------------------------------------

    def _head_seen(self, client: connection.Client) -> None:
        pending = self._pending.get(client.id)
        if pending is not None:
            pending.head_seen = True

    def pending_from(self, source: str) -> int:
        """How many unauthenticated connections `source` has open."""
        return len(self._by_source.get(source, ()))

    def _settle(self, source: str) -> None:
        for client_id in list(self._by_source.get(source, ())):
            if self._developer_for(self._pending[client_id].client) is not None:
                self._forget(client_id)

    def _forget(self, client_id: str) -> None:
        pending = self._pending.pop(client_id, None)
        if pending is not None:
            ids = self._by_source[pending.source]
            ids.discard(client_id)
            if not ids:
                del self._by_source[pending.source]

    def _closed(self, source: str, reason: CloseReason) -> None:
        self.stats.closed[reason] += 1
        if reason == "too_many_connections" and not self._first_in_a_while(source):
            return  # a flood is reported once per source every `REPORT_QUIET` seconds, not per connection
        if self._on_closed is not None:
            try:
                self._on_closed(source, reason)
            except Exception:  # the log must never cost a connection check
                logger.exception("Could not report a closed connection.")

    def _first_in_a_while(self, source: str) -> bool:
        now = time.monotonic()
        if now - self._reported.get(source, -REPORT_QUIET) < REPORT_QUIET:
            return False
        if len(self._reported) >= 4096:
            self._reported.clear()
        self._reported[source] = now
        return True

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.limits.tick)
            try:
                self.sweep()
            except Exception:  # never let the watchdog die: it is the proxy's only defence
                logger.exception("The connection watchdog failed once; it keeps watching.")

    def sweep(self) -> None:
        """Close every connection that broke a rule (called by the watchdog; public for tests)."""
        if self._proxyserver is None:
            return
        now, wall = time.monotonic(), time.time()
        for handler in list(self._proxyserver.connections.values()):
            client = handler.client
            pending = self._pending.get(client.id)
            if pending is not None:
                reason = self._pending_verdict(client, pending, now)
            else:
                reason = self._idle_verdict(handler, wall)
            if reason is not None:
                _close(handler, reason)
                if pending is not None:
                    self._forget(client.id)
                self._closed(str(client.peername[0]), reason)

    def _pending_verdict(self, client: connection.Client, pending: _Pending, now: float) -> CloseReason | None:
        if self._developer_for(client) is not None:
            self._forget(client.id)
            return None
        age = now - pending.accepted
        if not pending.head_seen and age > self.limits.header_deadline:
            return "header_timeout"
        if age > self.limits.auth_deadline:
            return "auth_timeout"
        return None

    def _idle_verdict(self, handler: ConnectionHandler, wall: float) -> CloseReason | None:
        watchdog = handler.timeout_watchdog
        if watchdog.blocker:  # a hook (e.g. a slow upstream answer) is in progress
            return None
        return "idle" if wall - watchdog.last_activity > self.limits.idle_timeout else None


def _close(handler: ConnectionHandler, reason: str) -> None:
    """Close a client connection the way mitmproxy's own inactivity timeout does."""
    io = handler.transports.get(handler.client)
    if io is None:
        return
    if io.handler is not None:
        io.handler.cancel(reason)
    elif io.writer is not None:
        with contextlib.suppress(OSError):
            io.writer.close()
