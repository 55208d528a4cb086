"""Proxy authentication: Basic credentials checked before anything is forwarded.

Credentials are checked on CONNECT and on every plain-HTTP proxy request. A successful CONNECT
binds the developer to the client connection, so every request inside the tunnel (HTTP/1.1
keep-alive or HTTP/2 streams) is attributed to them without carrying credentials, and never by
client IP. Anything else gets 407 with `Proxy-Authenticate`. Repeated failures from one source
are answered ever more slowly (still 407), which makes guessing expensive without locking anyone
out. Every 407 closes its connection; a client retries with credentials on a new one.
Only the developer's name is kept on the flow; the password never leaves this module.
"""

import asyncio
import logging
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mitmproxy import connection, http
from mitmproxy.addons.proxyauth import parse_http_basic_auth

from desktop_app.core.team.credentials import AuthResult

logger = logging.getLogger(__name__)

DEVELOPER_KEY = "copilot_insight.developer"
PROXY_AUTH_HEADER = "Proxy-Authorization"
REALM = "Copilot Insight"
Checker = Callable[[str, str], tuple[AuthResult, str | None]]


@dataclass(frozen=True)
class AuthFailure:
    """A refused attempt, as the team lead may see it (never with the password)."""

    username: str | None  # None when no credentials were sent
    result: AuthResult | None
    source: str
    target: str
    at: float


class FailureThrottle:
    """Counts failures per source address and says how long to delay the next answer."""

    def __init__(self, free_attempts: int = 5, window: float = 60.0, max_delay: float = 5.0,
                 max_sources: int = 4096, clock: Callable[[], float] = time.monotonic) -> None:
        """Allow `free_attempts` failures per `window` seconds before delaying (up to `max_delay`)."""
        self._free, self._window, self._max_delay = free_attempts, window, max_delay
        self._max_sources, self._clock = max_sources, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, source: str) -> deque[float]:
        now = self._clock()
        times = self._failures.get(source)
        if times is None:
            return deque()
        while times and now - times[0] > self._window:
            times.popleft()
        return times

    def delay_for(self, source: str) -> float:
        """Return the seconds to wait before answering a failed attempt from `source`."""
        excess = len(self._recent(source)) - self._free
        return 0.0 if excess < 0 else min(self._max_delay, 0.1 * 2 ** min(excess, 10))

    def record_failure(self, source: str) -> None:
        """Remember a failure from `source` (the table of sources is bounded)."""
        times = self._recent(source)
        if len(times) < 64:
            times.append(self._clock())
        self._failures[source] = times
        self._failures.move_to_end(source)
        while len(self._failures) > self._max_sources:
            self._failures.popitem(last=False)

    def forget(self, source: str) -> None:
        """Clear the failures of `source` after it authenticated successfully."""
        self._failures.pop(source, None)


def _auth_required(failure: AuthResult | None) -> http.Response:
    reason = "proxy authentication required" if failure is None else f"proxy authentication failed ({failure.value})"
    body = (f"Copilot Insight: {reason}. Use the proxy URL with your name and password that your "
            "team lead gave you.\n").encode()
    return http.Response.make(407, body, {
        "Proxy-Authenticate": f'Basic realm="{REALM}"',
        "Content-Type": "text/plain; charset=utf-8",
        "Connection": "close",  # a refused client may not keep the connection (see `hygiene`)
    })


class ProxyAuthenticator:
    """Proxy hooks (folded, see `chain`): authenticates developers and attributes flows to them."""

    def __init__(self, check: Checker, throttle: FailureThrottle | None = None,
                 on_failure: Callable[[AuthFailure], None] | None = None) -> None:
        """Use `check(name, password)` for every credential presented."""
        self._check = check
        self._throttle = throttle or FailureThrottle()
        self._on_failure = on_failure
        self._by_connection: weakref.WeakKeyDictionary[connection.Client, str] = weakref.WeakKeyDictionary()

    async def _authenticate(self, flow: http.HTTPFlow) -> str | None:
        """Return the developer for the flow's credentials, or answer 407 and return None."""
        header = flow.request.headers.get(PROXY_AUTH_HEADER, "")
        if PROXY_AUTH_HEADER in flow.request.headers:
            del flow.request.headers[PROXY_AUTH_HEADER]  # never forwarded upstream
        username: str | None = None
        result: AuthResult | None = None
        if header:
            try:
                _, username, password = parse_http_basic_auth(header)
            except ValueError:
                result = AuthResult.WRONG_PASSWORD
            else:
                result, developer = self._check(username, password)
                if developer is not None:
                    self._throttle.forget(flow.client_conn.peername[0])
                    return developer
        await self._refuse(flow, username, result)
        return None

    async def _refuse(self, flow: http.HTTPFlow, username: str | None, result: AuthResult | None) -> None:
        source = flow.client_conn.peername[0]
        if result is not None:  # a missing header is the normal first step of challenge-response
            delay = self._throttle.delay_for(source)
            self._throttle.record_failure(source)
            logger.warning("Proxy authentication failed for %r from %s (%s).",
                           (username or "")[:64], source, result.value)
            if self._on_failure is not None:
                self._on_failure(AuthFailure(username, result, source, flow.request.host, time.time()))
            if delay:
                await asyncio.sleep(delay)
        flow.response = _auth_required(result)

    def developer_for(self, client: connection.Client) -> str | None:
        """Return the developer whose authenticated CONNECT opened `client`'s connection, if any."""
        return self._by_connection.get(client)

    async def http_connect(self, flow: http.HTTPFlow) -> None:
        """Authenticate a CONNECT and bind the developer to the client connection."""
        developer = await self._authenticate(flow)
        if developer is not None:
            self._by_connection[flow.client_conn] = developer
            flow.metadata[DEVELOPER_KEY] = developer

    def requestheaders(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        """Attribute a request in an authenticated tunnel, or authenticate a plain-HTTP request.

        The tunnel case (nearly every request) stays synchronous; only a plain-HTTP request, which
        carries its own credentials and may have to wait out the throttle, returns a coroutine,
        which mitmproxy awaits.
        """
        developer = self._by_connection.get(flow.client_conn)
        if developer is not None:
            flow.metadata[DEVELOPER_KEY] = developer
            return None
        return None if flow.is_replay else self._authenticate_request(flow)

    async def _authenticate_request(self, flow: http.HTTPFlow) -> None:
        developer = await self._authenticate(flow)
        if developer is not None:
            flow.metadata[DEVELOPER_KEY] = developer


def developer_of(flow: http.HTTPFlow) -> str | None:
    """Return the developer a flow is attributed to, if it was authenticated."""
    value = flow.metadata.get(DEVELOPER_KEY)
    return value if isinstance(value, str) else None
