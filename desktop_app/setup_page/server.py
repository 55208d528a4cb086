"""The LAN setup page's HTTP server: read-only, on its own port, in the proxy's process.

Owns the listening socket and the request handling for the page developers open in a browser with
nothing configured yet (no proxy, CA not trusted): `/` (the page from `core.setup_page`),
`/ca/copilot-insight-ca.{pem,cer,p12}` (the CA *certificate*, exported once at start) and
`/robots.txt`. Anything else is a 404; methods other than GET and HEAD get a 405.

It never serves the CA's private key, a credential, a setting or usage data: the only bytes it sends
are the rendered page, the three certificate exports and fixed texts; it never maps a URL to a file.
It defends itself a little, because anyone on the LAN can reach it: a socket timeout per
connection, a bounded number of connections (connections that have not sent a full request yet
are closed first when the bound is reached, so idle sockets cannot lock developers out), strict
parsing of the `Host` header it echoes, and headers that forbid scripts, framing and caching.
"""

import contextlib
import dataclasses
import ipaddress
import logging
import re
import socket
import threading
from collections.abc import Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from desktop_app.ca.certificate import certificate_bytes, load_ca
from desktop_app.core.ca import CaFormat
from desktop_app.core.guide.ca_guide import SYSTEM_KEYS, detect_os, url_host
from desktop_app.core.guide.setup_page import CA_FORMATS, LINUX, SetupPage, ca_download_path, render_setup_page
from desktop_app.core.lan_http import LanHTTPServer, LanRequestHandler, ServedThread
from desktop_app.core.netinfo import Address, listen_error

logger = logging.getLogger(__name__)

MAX_CONNECTIONS = 32
CONNECTION_TIMEOUT = 10.0  # seconds a connection may stay silent
_EVICTION_WAIT = 1.0  # seconds to wait for an evicted connection's slot
_SERVER_NAME = "Copilot-Insight"
_ALLOWED_METHODS = ("GET", "HEAD")
_OS_CHOICES = frozenset((*SYSTEM_KEYS, LINUX))
_CONTENT_TYPES: dict[CaFormat, str] = {
    "pem": "application/x-pem-file",
    "cer": "application/pkix-cert",
    "p12": "application/x-pkcs12",
}
ROBOTS_TXT = b"User-agent: *\nDisallow: /\n"
SECURITY_HEADERS: Mapping[str, str] = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                                "form-action 'none'; frame-ancestors 'none'"),
    "Referrer-Policy": "no-referrer",
}
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=[A-Za-z0-9.-]{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*\.?")
_PORT = re.compile(r"[0-9]{1,5}")
_QUERY = re.compile(r"\?[^\s\"']*")

ConnectionState = Literal["waiting", "busy", "evicted"]


@dataclasses.dataclass(frozen=True)
class _Download:
    filename: str
    content_type: str
    body: bytes


def request_host(header: str | None) -> str | None:
    """The host name or address in a `Host` header (port and IPv6 brackets removed), or None if invalid."""
    parts = split_host(header)
    return parts[0] if parts else None


def split_host(header: str | None) -> tuple[str, str] | None:
    """A `Host` header's host (IPv6 without brackets) and port ("" when absent); None if it is not valid."""
    value = (header or "").strip()
    if value.startswith("["):
        inside, bracket, rest = value[1:].partition("]")
        host = _ipv6(inside) if bracket else None
        port = rest.removeprefix(":")
        if host is None or (rest and (not rest.startswith(":") or not _PORT.fullmatch(port))):
            return None
        return host, port
    name, colon, port = value.partition(":")
    if (colon and not _PORT.fullmatch(port)) or not _HOSTNAME.fullmatch(name):
        return None
    return name.rstrip(".").lower(), port


def _ipv6(text: str) -> str | None:
    if "%" in text:  # zone ids cannot be used in a proxy URL
        return None
    try:
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        return None


def _page_url(host: str, port: str) -> str:
    return f"http://{url_host(host)}:{port}/" if port else f"http://{url_host(host)}/"


def requested_os(path: str, user_agent: str) -> str | None:
    """The OS to open: `?os=<key>` when it names a known one, else what the User-Agent says."""
    choices = parse_qs(urlsplit(path).query).get("os", [])
    if choices and choices[-1] in _OS_CHOICES:
        return choices[-1]
    return detect_os(user_agent)


class _Connections:
    """The open connections: at most `limit`, those still waiting for their request evictable."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._open: dict[socket.socket, ConnectionState] = {}

    def admit(self, sock: socket.socket) -> bool:
        """Take a slot for `sock`, closing the oldest waiting connection when all are taken."""
        if not self._slots.acquire(blocking=False) and not (
                self._evict_oldest_waiting() and self._slots.acquire(timeout=_EVICTION_WAIT)):
            return False
        with self._lock:
            self._open[sock] = "waiting"
        return True

    def mark_busy(self, sock: socket.socket) -> bool:
        """Record that `sock` sent a whole request; False if it was evicted meanwhile."""
        with self._lock:
            if self._open.get(sock) != "waiting":
                return False
            self._open[sock] = "busy"
            return True

    def release(self, sock: socket.socket) -> None:
        """Give `sock`'s slot back (once)."""
        with self._lock:
            if self._open.pop(sock, None) is None:
                return
        self._slots.release()

    def close_all(self) -> None:
        """Shut every open connection down, so its handler thread ends now."""
        with self._lock:
            sockets = list(self._open)
            self._open.update(dict.fromkeys(sockets, "evicted"))
        for sock in sockets:
            _shutdown(sock)

    def _evict_oldest_waiting(self) -> bool:
        with self._lock:
            oldest = next((sock for sock, state in self._open.items() if state == "waiting"), None)
            if oldest is None:
                return False
            self._open[oldest] = "evicted"
        logger.debug("Setup page: closing an idle connection to make room for a new one")
        _shutdown(oldest)
        return True


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Server(LanHTTPServer):
    """The setup page's server: bounded connections, those still waiting for their request evictable."""

    label = "Setup page"

    def __init__(self, address: Address, page: SetupPage, downloads: Mapping[str, _Download]) -> None:
        self.page = page
        self.downloads = downloads
        self.connections = _Connections(MAX_CONNECTIONS)
        super().__init__(address, _Handler)

    def admit(self, request: socket.socket) -> bool:
        """Take a slot, closing the oldest idle connection when all are taken."""
        return self.connections.admit(request)

    def release(self, request: socket.socket) -> None:
        """Give the slot back."""
        self.connections.release(request)

    def close_all(self) -> None:
        """Shut every open connection down."""
        self.connections.close_all()


class _Handler(LanRequestHandler):
    """GET/HEAD of the page, the three CA downloads and robots.txt; nothing else."""

    server: _Server
    server_version = _SERVER_NAME
    timeout = CONNECTION_TIMEOUT

    def end_headers(self) -> None:
        """Add the security headers to every response (errors from the stdlib too)."""
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Send the stdlib's error page, always with a status line and headers (never HTTP/0.9 style)."""
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
        super().send_error(code, message, explain)

    def parse_request(self) -> bool:
        """Parse as the stdlib does, then answer any method but GET and HEAD with 405.

        HTTP/0.9 requests get no answer at all: their responses would carry no security headers.
        """
        if not super().parse_request() or not self.server.connections.mark_busy(self.connection):
            return False
        if self.request_version == "HTTP/0.9":
            return False
        if self.command not in _ALLOWED_METHODS:
            self.send_body(HTTPStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", b"Method not allowed\n",
                       {"Allow": ", ".join(_ALLOWED_METHODS)})
            return False
        return True

    def do_GET(self) -> None:
        """Serve a route."""
        self._route()

    def do_HEAD(self) -> None:
        """Serve a route's headers only."""
        self._route()

    def _route(self) -> None:
        path = urlsplit(self.path).path
        if path == "/":
            self.send_body(HTTPStatus.OK, "text/html; charset=utf-8", self._page())
        elif path == "/robots.txt":
            self.send_body(HTTPStatus.OK, "text/plain; charset=utf-8", ROBOTS_TXT)
        elif (download := self.server.downloads.get(path)) is not None:
            self.send_body(HTTPStatus.OK, download.content_type, download.body,
                       {"Content-Disposition": f'attachment; filename="{download.filename}"'})
        else:
            self.send_body(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"Not found\n")

    def _page(self) -> bytes:
        page = self.server.page
        context = page.context
        if (host := split_host(self.headers.get("Host"))) is not None:
            # The host the browser reached this page at reaches the proxy too; the proxy's port stays.
            setup_url = None if context.setup_url is None else _page_url(*host)
            context = dataclasses.replace(context, host=host[0], setup_url=setup_url)
        detected = requested_os(self.path, self.headers.get("User-Agent", ""))
        return render_setup_page(dataclasses.replace(page, context=context), detected).encode()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log method, path (never the query) and status."""
        path = urlsplit(self.path).path if self.command else "-"
        logger.debug("Setup page: %s %s %s %s", self.client_address[0], self.command or "-", path,
                     getattr(code, "value", code))

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401 - the stdlib's signature
        """Send the stdlib's messages to our logger at DEBUG, without query strings."""
        logger.debug("Setup page: %s %s", self.client_address[0], _QUERY.sub("?…", format % args))


def _downloads(confdir: Path, page: SetupPage) -> dict[str, _Download]:
    cert = load_ca(confdir)  # read once for the three formats
    return {ca_download_path(page.context, fmt): _Download(page.context.ca_file(fmt), _CONTENT_TYPES[fmt],
                                                           certificate_bytes(cert, fmt))
            for fmt in CA_FORMATS}


class SetupServer:
    """The read-only setup page on its own port, served from a daemon thread."""

    def __init__(self, confdir: Path, page: SetupPage, listen_host: str, port: int) -> None:
        """Serve `page` and the CA certificate in `confdir` on `listen_host:port` (0: any free port)."""
        self._confdir, self._page = confdir, page
        self._host = listen_host or "0.0.0.0"  # noqa: S104 - all interfaces, like the proxy
        self._port = port
        self._served = ServedThread("setup-page")

    @property
    def address(self) -> Address | None:
        """Where the page is served, with the real port; None when stopped."""
        return self._served.address

    def start(self) -> Address:
        """Export the CA certificate, bind and serve; `ProxyStartError` if the port cannot be bound."""
        address, started = self._served.start(self._bind)
        if started:
            logger.info("Setup page listening on %s:%d", *address)
        return address

    def _bind(self) -> _Server:
        downloads = _downloads(self._confdir, self._page)
        try:
            return _Server((self._host, self._port), self._page, downloads)
        except (OSError, OverflowError, ValueError) as exc:
            raise listen_error(exc, self._host, self._port) from exc

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close the listening socket and open connections, join the thread (idempotent)."""
        if self._served.stop(timeout):
            logger.info("Setup page stopped")
