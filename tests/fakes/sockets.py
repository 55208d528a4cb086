"""Small loopback servers that misbehave on purpose, for the "cannot reach Copilot" tests.

- `closed_port()`: a loopback port with nothing listening (the connection is refused);
- `StallingServer`: accepts TCP connections and never says a word (a timeout);
- `UntrustedTlsServer`: completes TLS with a certificate from a CA nobody trusts (a TLS failure);
- `raw_connect()`: one CONNECT through a proxy, answered in full (what curl would show with -v).

Each runs on a daemon thread, listens on 127.0.0.1 only, and stops (closing every socket) on exit.
"""

import base64
import contextlib
import socket
import ssl
import threading
from pathlib import Path
from types import TracebackType


def closed_port() -> int:
    """A loopback port that was free a moment ago and has nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Acceptor:
    """Accepts connections on a thread and hands each to `handle` (bounded by `stop()`)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._stopping = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)

    def __enter__(self) -> "_Acceptor":
        self._thread.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stopping.set()
        self._thread.join(5)
        for sock in [*self._held, self._listener]:
            with contextlib.suppress(OSError):
                sock.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(conn)
            self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        """Deal with one accepted connection (on the acceptor thread)."""


class StallingServer(_Acceptor):
    """Holds every connection open without reading or writing: the client waits until it gives up."""


class UntrustedTlsServer(_Acceptor):
    """Answers TLS with the given certificate chain; clients that do not trust its CA fail the handshake."""

    def __init__(self, cert: Path, key: Path) -> None:
        super().__init__()
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(str(cert), str(key))

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with contextlib.suppress(OSError):
            self._context.wrap_socket(conn, server_side=True).close()


def raw_connect(port: int, name: str, password: str, host: str = "api.githubcopilot.com") -> str:
    """Send one CONNECT through the proxy on loopback `port`; return its answer (headers and body) as text."""
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n"
                     f"Proxy-Authorization: Basic {token}\r\n\r\n".encode())
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            head, separator, body = b"".join(chunks).partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if separator and len(body) >= length:
                break
    return b"".join(chunks).decode("utf-8", "replace")
