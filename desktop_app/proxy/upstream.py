"""When the proxy cannot reach Copilot: say so to the developer, the lead and the log.

mitmproxy answers a failed upstream connection with a 502 whose body is its own advice to
mitmproxy users ("…consider setting `connection_strategy` to `lazy`…") and tells nobody else. The
`UpstreamWatch` hooks:
- classifies each failed connection, TLS handshake or stalled attempt by why it failed (the name
  did not resolve, the connection was refused, the certificate was not trusted, no answer in time);
- rewrites the developer's 502 into a sentence naming the host, the reason, and that the lead knows;
- reports an `upstream_failed` connection event (the store keeps it; the tray turns amber and the team
  dialog's Connection column shows it) and an `upstream_ok` event for the first good connection to a
  host after the proxy started or after it failed, which is what clears the warning;
- logs one warning per host and reason until the host is reachable again (never per request).

Through a company proxy (`--upstream-proxy`) the connection that fails is the one to that proxy, and
the words say so; a refused tunnel (say a 407 for a wrong login) surfaces only in the `error` hook,
after mitmproxy already chose its own page, so for `COMPANY_RETRY_SECONDS` after such a failure
requests through the company proxy get our 502 at once. Nothing here knows any credential: mitmproxy
formats addresses without them.
"""

import asyncio
import logging
import re
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from mitmproxy import connection, http, tls
from mitmproxy.proxy import server_hooks

from desktop_app.core.models import ConnectionEvent
from desktop_app.core.redaction import redact
from desktop_app.core.team.diagnostics import REASONS

logger = logging.getLogger(__name__)

Report = Callable[[ConnectionEvent], None]
STALL_SECONDS = 20.0
"""How long a connection or TLS handshake to Copilot may take before it is reported as a timeout."""
DETAIL_LIMIT: Final = 200
COMPANY_RETRY_SECONDS: Final = 15.0
"""After the company proxy failed, requests through it get the 502 at once for this long, then it is tried again."""

_PATTERNS: Final = (
    ("dns", re.compile(r"name or service not known|temporary failure in name resolution|nodename nor servname"
                       r"|getaddrinfo failed|no address associated|name resolution|\[errno -\d+\]|11001|11004",
                       re.IGNORECASE)),
    ("refused", re.compile(r"refused|errno 111\b|errno 61\b|10061", re.IGNORECASE)),
    ("tls", re.compile(r"certificate|tls|ssl|handshake", re.IGNORECASE)),
    ("timeout", re.compile(r"timed out|timeout|errno 110\b|errno 60\b|10060", re.IGNORECASE)),
    ("closed", re.compile(r"reset by peer|closed|eof|broken pipe", re.IGNORECASE)),
)


def classify(error: str) -> str:
    """The reason word (a `diagnostics.REASONS` key) for an error as mitmproxy or the OS words it."""
    if re.search(r"upstream proxy .* refused|proxy authentication required", error, re.IGNORECASE):
        return "proxy"  # the company proxy answered CONNECT with an error (say 407 or 502)
    return next((reason for reason, pattern in _PATTERNS if pattern.search(error)), "other")


def _host_port(address: connection.Address | None) -> str:
    if address is None:
        return "an unknown host"
    host, port = str(address[0]), int(address[1])
    return host if port == 443 else f"{host}:{port}"


def failure_text(target: str, via: str | None, reason: str) -> str:
    """The sentence a developer reads in their 502 (and the lead reads in the log)."""
    words = REASONS.get(reason, REASONS["other"])
    if via is not None:
        return f"Copilot Insight could not reach the company proxy {via} on the way to {target}: {words}."
    return f"Copilot Insight could not reach {target}: {words}."


def developer_body(target: str, via: str | None, reason: str) -> str:
    """The whole 502 body for the developer."""
    return (f"{failure_text(target, via, reason)} This is a problem between the proxy and Copilot, not on your "
            "computer; your team lead has been told. Try again in a few minutes.\n")


class UpstreamWatch:
    """Proxy hooks (folded, see `chain`): says in words when upstream connections fail or stall."""

    def __init__(self, developer_for: Callable[[connection.Client], str | None], report: Report, *,
                 watched: Callable[[str], bool] = lambda _host: True,
                 company_proxy: connection.Address | None = None, stall_seconds: float | None = None) -> None:
        """Attribute with `developer_for(client)`; hand each event to `report` (non-blocking).

        Only hosts for which `watched(host)` holds are reported (Copilot's, not a tunnel to anywhere
        else); `company_proxy` is the `--upstream-proxy` address, whose own connection is named as such.
        """
        self._developer_for, self._report = developer_for, report
        self._stall = STALL_SECONDS if stall_seconds is None else stall_seconds  # `STALL_SECONDS` by default
        self._watched, self._company = watched, company_proxy
        self._failing: dict[str, str] = {}  # host -> reason, until a connection to it works again
        self._confirmed: set[str] = set()  # hosts reached since the proxy started or last failed
        self._pending: dict[int, asyncio.TimerHandle] = {}  # id(server connection) -> its stall timer
        # The address each connection was meant for, before any later addon re-targets it.
        self._wanted: weakref.WeakKeyDictionary[connection.Server, tuple[str, str | None]] = (
            weakref.WeakKeyDictionary())
        self._broken: weakref.WeakKeyDictionary[connection.Server, str] = weakref.WeakKeyDictionary()
        # The company proxy failed a moment ago: (reason, its address, until when requests get our 502 at once).
        self._company_down: tuple[str, str, float] | None = None

    # --- hooks ---------------------------------------------------------------------------------

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        """Note where a new upstream connection goes and start its stall timer."""
        if data.server.error is not None:
            return  # an addon before this one refused it on purpose (e.g. the connection check's own host)
        wanted = self._target(data.server)
        if wanted is None:
            return
        self._wanted[data.server] = wanted
        self._arm(data.server, data.client, "connection")

    def server_connected(self, data: server_hooks.ServerConnectionHookData) -> None:
        """The TCP connection worked (TLS, if any, comes next)."""
        self._disarm(data.server)

    def server_connect_error(self, data: server_hooks.ServerConnectionHookData) -> None:
        """The TCP connection failed: report why."""
        self._disarm(data.server)
        error = data.server.error or ""
        self._failed(data.server, data.client, classify(error), error)

    def tls_start_server(self, data: tls.TlsData) -> None:
        """The TLS handshake with the host starts: it must finish in time."""
        if not isinstance(data.conn, connection.Server):
            return
        if data.conn not in self._wanted:  # through a company proxy: no connection of its own was opened
            wanted = self._target(data.conn)
            if wanted is None:
                return
            self._wanted[data.conn] = wanted
        self._arm(data.conn, data.context.client, "TLS handshake")

    def tls_established_server(self, data: tls.TlsData) -> None:
        """The TLS handshake with the host worked: the host is reachable."""
        if isinstance(data.conn, connection.Server):
            self._disarm(data.conn)
            self._reached(data.conn, data.context.client)

    def tls_failed_server(self, data: tls.TlsData) -> None:
        """The TLS handshake with the host failed (typically: its certificate is not trusted)."""
        if isinstance(data.conn, connection.Server):
            self._disarm(data.conn)
            error = data.conn.error or ""
            reason = classify(error)
            self._failed(data.conn, data.context.client, "tls" if reason == "other" else reason, error)

    def request(self, flow: http.HTTPFlow) -> None:
        """Answer a request on a tunnel whose upstream already failed with our words, not mitmproxy's."""
        if flow.response is not None or not (self._broken or self._company_down):
            return  # nearly every request: nothing has failed
        server = flow.server_conn
        reason = self._broken.get(server)
        if reason is not None:
            target, via = self._wanted.get(server, (_host_port(server.address), None))
            flow.response = _bad_gateway(target, via, reason)
        elif server.via is not None and self._company_down is not None:
            # Through the company proxy, which failed a moment ago: mitmproxy would answer a second failure
            # with its own page (no hook can change that one), so answer now; one attempt per window goes on.
            reason, via, until = self._company_down
            if time.monotonic() < until:
                flow.response = _bad_gateway(_host_port(server.address), via, reason)
            else:
                self._company_down = None

    def http_connect_error(self, flow: http.HTTPFlow) -> None:
        """Replace mitmproxy's 502 for a tunnel that could not be opened with our words."""
        response = flow.response
        if response is None or response.status_code != 502:
            return
        server = flow.server_conn
        target, via = self._wanted.get(server, (_host_port((flow.request.host, flow.request.port)), _via(server)))
        flow.response = _bad_gateway(target, via, self._broken.get(server) or classify(response.get_text() or ""))

    def error(self, flow: http.HTTPFlow) -> None:
        """A request whose tunnel the company proxy refused (no connection hook sees that: the TCP part worked)."""
        message = flow.error.msg if flow.error else ""
        server = flow.server_conn
        if flow.response is not None or server.via is None or classify(message) != "proxy":
            return
        target, via = _host_port((flow.request.host, flow.request.port)), _host_port(server.via[1])
        self._company_down = ("proxy", via, time.monotonic() + COMPANY_RETRY_SECONDS)
        self._tell(target, via, flow.client_conn, "proxy", message)

    def done(self) -> None:
        """Cancel the stall timers (the loop is going away)."""
        for timer in self._pending.values():
            timer.cancel()
        self._pending.clear()

    # --- bookkeeping ---------------------------------------------------------------------------

    def _target(self, server: connection.Server) -> tuple[str, str | None] | None:
        """(the host meant, the company proxy on the way or None), or None for a host nobody watches."""
        address = server.address
        if address is None:
            return None
        if self._company is not None and server.via is None and (str(address[0]), int(address[1])) == self._company:
            return "Copilot", _host_port(self._company)  # the tunnel connection to the company proxy itself
        if not self._watched(str(address[0])):
            return None
        return _host_port(address), _via(server)

    def _arm(self, server: connection.Server, client: connection.Client, step: str) -> None:
        self._disarm(server)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not on the proxy loop (a unit test calling the hook directly)
        self._pending[id(server)] = loop.call_later(self._stall, self._stalled, server, client, step)

    def _disarm(self, server: connection.Server) -> None:
        timer = self._pending.pop(id(server), None)
        if timer is not None:
            timer.cancel()

    def _stalled(self, server: connection.Server, client: connection.Client, step: str) -> None:
        self._pending.pop(id(server), None)
        self._failed(server, client, "timeout", f"no answer to the {step} within {self._stall:.0f} seconds")

    def _failed(self, server: connection.Server, client: connection.Client, reason: str, error: str) -> None:
        wanted = self._wanted.get(server)
        if wanted is None or server in self._broken:
            return  # not a connection this addon watches, or one whose failure was told already
        self._broken[server] = reason
        target, via = wanted
        if via is not None and target == "Copilot":
            self._company_down = (reason, via, time.monotonic() + COMPANY_RETRY_SECONDS)
        self._tell(target, via, client, reason, error)

    def _tell(self, target: str, via: str | None, client: connection.Client, reason: str, error: str) -> None:
        """Log (once per host and reason) and report one failure to reach `target` (through `via`)."""
        host = target if via is None else f"{target} via {via}"
        if self._failing.get(host) != reason:
            logger.warning("%s Developers' Copilot requests to it fail until it is reachable again (%s).",
                           failure_text(target, via, reason), redact(error)[:DETAIL_LIMIT])
        self._failing[host] = reason
        self._confirmed.discard(host)
        detail = f"{reason}: {REASONS.get(reason, REASONS['other'])}"
        self._report(ConnectionEvent("upstream_failed", self._developer_for(client) or "", _peer(client),
                                     host[:255], datetime.now(UTC), detail[:DETAIL_LIMIT]))

    def _reached(self, server: connection.Server, client: connection.Client) -> None:
        wanted = self._wanted.get(server)
        if wanted is None:
            return
        target, via = wanted
        host = target if via is None else f"{target} via {via}"
        if host in self._confirmed:
            return
        self._confirmed.add(host)
        if via is not None:
            self._company_down = None
        if self._failing.pop(host, None) is not None:
            logger.info("%s is reachable again.", host)
        self._report(ConnectionEvent("upstream_ok", self._developer_for(client) or "", _peer(client), host[:255],
                                     datetime.now(UTC)))


def _bad_gateway(target: str, via: str | None, reason: str) -> http.Response:
    return http.Response.make(502, developer_body(target, via, reason), {"Content-Type": "text/plain; charset=utf-8"})


def _via(server: connection.Server | None) -> str | None:
    if server is None or server.via is None:
        return None
    return _host_port(server.via[1])




def _peer(client: connection.Client) -> str:
    peer = client.peername
    return str(peer[0]) if peer else ""
