"""The OTLP/HTTP server: `POST /v1/traces`, `/v1/metrics` and `/v1/logs` on its own port.

Speaks what OTLP/HTTP exporters expect (copilot-protocol.md §10): JSON or protobuf bodies, plain or
gzip, a response in the request's encoding with OTLP's partial success, and the retryable statuses
with `Retry-After` (503 while the writer is behind, 429 while every connection slot is busy). Bodies
are bounded (`capture.otlp_http.MAX_BODY_BYTES`, 413 beyond). Every request must carry the developer's
proxy credentials (`Authorization: Basic`); anything else is answered 401 before the body is read,
and nothing of it is kept.

Like the setup page it defends itself a little, since anyone on the LAN can reach it: a socket
timeout per connection, a bounded number of connections, no reverse DNS lookups, and answers that
say only what the sender needs to fix.
"""

import contextlib
import json
import logging
import socket
import threading
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import urlsplit

from desktop_app.capture.otlp_http import JSON_TYPE, MAX_BODY_BYTES, SIGNAL_PATHS, OtlpError
from desktop_app.core.lan_http import LanHTTPServer, LanRequestHandler, ServedThread
from desktop_app.core.netinfo import Address
from desktop_app.otlp.intake import OtlpIntake

logger = logging.getLogger(__name__)

MAX_CONNECTIONS: Final = 32
CONNECTION_TIMEOUT: Final = 30.0
RETRY_AFTER_BUSY: Final = 5  # seconds, when the writer is behind
RETRY_AFTER_FULL: Final = 2  # seconds, when every connection slot is taken
REALM: Final = "Copilot Insight"
_SERVER_NAME: Final = "Copilot-Insight-OTLP"
_MAX_CHUNK_LINE: Final = 1024


class _Server(LanHTTPServer):
    """The receiver's server: at most `MAX_CONNECTIONS` connections; one more gets 429 and is closed."""

    label = "OTLP receiver"

    def __init__(self, address: Address, intake: OtlpIntake) -> None:
        self.intake = intake
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.open_sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        super().__init__(address, _Handler)

    def admit(self, request: socket.socket) -> bool:
        """Take a slot if one is free (no waiting)."""
        if not self.slots.acquire(blocking=False):
            return False
        with self.lock:
            self.open_sockets.add(request)
        return True

    def refuse(self, request: socket.socket) -> None:
        """Answer 429 with Retry-After, so the exporter tries again shortly."""
        _refuse_full(request)

    def release(self, request: socket.socket) -> None:
        """Give the slot back (once)."""
        with self.lock:
            if request not in self.open_sockets:
                return
            self.open_sockets.discard(request)
        self.slots.release()

    def close_all(self) -> None:
        """Shut every open connection down, so its handler thread ends now."""
        with self.lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _refuse_full(request: socket.socket) -> None:
    body = b"Too many connections; retry shortly.\n"
    head = (f"HTTP/1.1 429 Too Many Requests\r\nRetry-After: {RETRY_AFTER_FULL}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with contextlib.suppress(OSError):
        request.settimeout(1.0)
        request.sendall(head + body)


class BodyError(Exception):
    """A request body that could not be read: too large (413) or malformed (400)."""

    def __init__(self, status: int, message: str) -> None:
        """Refuse with `status` and `message`."""
        super().__init__(message)
        self.status, self.message = status, message


class _Handler(LanRequestHandler):
    """POST of the three OTLP paths; anything else is a 404 or 405."""

    server: _Server
    protocol_version = "HTTP/1.1"  # exporters keep the connection alive between exports
    server_version = _SERVER_NAME
    timeout = CONNECTION_TIMEOUT

    def do_GET(self) -> None:
        """OTLP has no GET: say which method and paths to use."""
        self._text(HTTPStatus.METHOD_NOT_ALLOWED, "Send OTLP exports with POST to /v1/traces, /v1/metrics or "
                   "/v1/logs.\n", {"Allow": "POST"})

    def do_HEAD(self) -> None:
        """As GET."""
        self.do_GET()

    def do_PUT(self) -> None:
        """As GET."""
        self.do_GET()

    def do_POST(self) -> None:
        """Authenticate, read, decode and hand over one export."""
        signal = SIGNAL_PATHS.get(urlsplit(self.path).path.rstrip("/") or "/")
        if signal is None:
            self._text(HTTPStatus.NOT_FOUND, "Not an OTLP path: use /v1/traces, /v1/metrics or /v1/logs.\n",
                       close=True)
            return
        intake = self.server.intake
        developer = intake.authenticate(self.headers.get("Authorization"), self.client_address[0])
        if developer is None:
            self._text(HTTPStatus.UNAUTHORIZED, "Copilot Insight: send your proxy name and password as "
                       "Authorization: Basic (OTEL_EXPORTER_OTLP_HEADERS).\n",
                       {"WWW-Authenticate": f'Basic realm="{REALM}"'}, close=True)
            return
        if intake.busy():
            self._text(HTTPStatus.SERVICE_UNAVAILABLE, "The recorder is catching up; retry shortly.\n",
                       {"Retry-After": str(RETRY_AFTER_BUSY)}, close=True)
            return
        try:
            body = self._body()
            answer = intake.export(signal, developer, body, self.headers.get("Content-Type", ""),
                                   self.headers.get("Content-Encoding", ""))
        except (BodyError, OtlpError) as exc:
            logger.info("OTLP receiver: %s's %s export refused (%d): %s", developer, signal, exc.status, exc.message)
            self._error(exc.status, exc.message)
            return
        except Exception:  # a mapping bug must not hang the exporter; it retries nothing it cannot fix
            logger.exception("OTLP receiver: could not record %s's %s export.", developer, signal)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "The export could not be recorded.")
            return
        content_type = self.headers.get("Content-Type", JSON_TYPE).split(";", 1)[0].strip()
        self.send_body(HTTPStatus.OK, content_type, answer)

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._chunked()
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.strip().isdigit():
            raise BodyError(HTTPStatus.LENGTH_REQUIRED, "Send a Content-Length (or a chunked body).")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            raise BodyError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                            f"The body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB.")
        body = self.rfile.read(length)
        if len(body) < length:
            raise BodyError(HTTPStatus.BAD_REQUEST, "The body ended early.")
        return body

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(_MAX_CHUNK_LINE)
            try:
                length = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BodyError(HTTPStatus.BAD_REQUEST, "The chunked body is malformed.") from None
            if length == 0:
                while self.rfile.readline(_MAX_CHUNK_LINE).strip():  # trailers
                    pass
                return b"".join(parts)
            size += length
            if size > MAX_BODY_BYTES:
                raise BodyError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                                f"The body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB.")
            parts.append(self.rfile.read(length))
            self.rfile.readline(_MAX_CHUNK_LINE)

    def _error(self, status: int, message: str) -> None:
        """An error in OTLP's shape for JSON senders (a `Status` object), as text for the others."""
        if self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower() == JSON_TYPE:
            body = json.dumps({"code": 3 if status < 500 else 13, "message": message}).encode()
            self.send_body(status, JSON_TYPE, body, close=True)
        else:
            self._text(status, message + "\n", close=True)

    def _text(self, status: int, text: str, headers: dict[str, str] | None = None, *, close: bool = False) -> None:
        self.send_body(status, "text/plain; charset=utf-8", text.encode(), headers, close=close)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log method, path and status (never a header)."""
        logger.debug("OTLP receiver: %s %s %s %s", self.client_address[0], self.command or "-",
                     urlsplit(self.path).path if self.command else "-", getattr(code, "value", code))

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401 - the stdlib's signature
        """Send the stdlib's messages to our logger at DEBUG."""
        logger.debug("OTLP receiver: %s %s", self.client_address[0], format % args)


class OtlpReceiver:
    """The OTLP/HTTP server on its own port, served from a daemon thread."""

    def __init__(self, intake: OtlpIntake, listen_host: str, port: int) -> None:
        """Serve `intake` on `listen_host:port` (0: any free port)."""
        self._intake = intake
        self._host = listen_host or "0.0.0.0"  # noqa: S104 - all interfaces, like the proxy
        self._port = port
        self._served = ServedThread("otlp-receiver")

    def start(self) -> Address:
        """Bind and serve; `OSError` (or `OverflowError`, `ValueError`) if the port cannot be bound."""
        address, _ = self._served.start(lambda: _Server((self._host, self._port), self._intake))
        logger.info("OpenTelemetry receiver listening on %s:%d", *address)
        return address

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close the socket and open connections, join the thread (idempotent)."""
        if self._served.stop(timeout):
            logger.info("OpenTelemetry receiver stopped")
