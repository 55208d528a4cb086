"""The HTTP servers the proxy's process offers on the LAN beside the proxy: their common ground.

`LanHTTPServer` is a `ThreadingHTTPServer` for small read-mostly services that anyone on the
network can reach (the developers' setup page, the OpenTelemetry receiver): daemon handler
threads, IPv4 or IPv6 by the address given, no reverse DNS lookup at bind time, failed
connections logged at DEBUG instead of a traceback on stderr, and a bounded number of connections
through `admit` / `release`, which each server defines; `ServedThread` serves one of them from a
daemon thread, started once and stopped idempotently. Stdlib only.
"""

import logging
import os
import socket
import socketserver
import sys
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from desktop_app.core.netinfo import Address

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.2  # how often a serve loop checks for stop()


class LanHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server with bounded connections, IPv6 support and no reverse DNS lookup."""

    daemon_threads = True
    block_on_close = False  # stop() shuts connections down instead of waiting for them
    allow_reuse_address = os.name != "nt"  # SO_REUSEADDR on Windows would let two servers share a port
    request_queue_size = 64
    label = "HTTP server"  # how log lines name the server

    def __init__(self, address: Address, handler: type[BaseHTTPRequestHandler]) -> None:
        """Bind `address` (IPv6 when the host has a colon) and answer with `handler`."""
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, handler)

    def server_bind(self) -> None:
        """Bind without `HTTPServer`'s `getfqdn()`, which can stall on a reverse DNS lookup."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def admit(self, request: socket.socket) -> bool:
        """Take a connection slot for `request`; False to close it unserved (after `refuse`)."""
        return True

    def refuse(self, request: socket.socket) -> None:
        """Say goodbye to a connection that got no slot (nothing by default)."""

    def release(self, request: socket.socket) -> None:
        """Give `request`'s slot back."""

    def close_all(self) -> None:
        """Shut every open connection down, so its handler thread ends now (nothing by default)."""

    def process_request(self, request: Any, client_address: Any) -> None:  # noqa: ANN401 - socketserver's types
        """Serve on a thread if a connection slot is free (see `admit`), else close right away."""
        if not self.admit(request):
            logger.debug("%s: too many connections; closing a new one", self.label)
            self.refuse(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self.release(request)
            self.shutdown_request(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:  # noqa: ANN401
        """Handle one connection, then give its slot back."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.release(request)

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ANN401
        """Log a failed connection at DEBUG (the stdlib prints a traceback to stderr)."""
        logger.debug("%s: the connection from %s failed: %r", self.label, client_address[0], sys.exc_info()[1])


def bound_address(server: LanHTTPServer) -> Address:
    """Where `server` listens, with the real port."""
    host, port = server.server_address[:2]
    return str(host), int(port)


class ServedThread:
    """One `LanHTTPServer` served from a daemon thread: started once, stopped idempotently, from any thread."""

    def __init__(self, thread_name: str) -> None:
        """Serve on a thread named `thread_name` once `start` is called."""
        self._name = thread_name
        self._lock = threading.Lock()
        self._server: LanHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> Address | None:
        """Where the server listens; None when stopped."""
        server = self._server
        return None if server is None else bound_address(server)

    def start(self, make: Callable[[], LanHTTPServer]) -> tuple[Address, bool]:
        """Serve the server `make` binds, unless one already runs; (its address, whether it started now)."""
        with self._lock:
            if self._server is not None:
                return bound_address(self._server), False
            server = make()
            thread = threading.Thread(target=server.serve_forever, args=(POLL_INTERVAL,), name=self._name,
                                      daemon=True)
            try:
                thread.start()
            except BaseException:
                server.server_close()
                raise
            self._server, self._thread = server, thread
            return bound_address(server), True

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop serving, close the socket and open connections, join the thread; False if nothing ran."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None or thread is None:
            return False
        server.shutdown()
        server.server_close()
        server.close_all()
        thread.join(timeout)
        return True


class LanRequestHandler(BaseHTTPRequestHandler):
    """A request handler that names only the product in `Server` and sends whole bodies with their length."""

    sys_version = ""

    def version_string(self) -> str:
        """The `Server` header: `server_version` only, no Python version."""
        return self.server_version

    def send_body(self, status: int, content_type: str, body: bytes, headers: Mapping[str, str] | None = None, *,
                  close: bool = False) -> None:
        """Answer `status` with `body` (not sent for HEAD); `close` ends the connection after it."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if close:  # e.g. a body left unread: the connection cannot carry another request
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
