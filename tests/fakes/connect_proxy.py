"""A small company proxy on loopback: CONNECT only, Basic login, and (optionally) TLS inspection.

`FakeCompanyProxy` accepts `CONNECT host:443`, checks `Proxy-Authorization` when given credentials
(407 otherwise), and connects the tunnel to the address its `routes` give for the host, so no name
is ever resolved (a host without a route gets 502, as a real proxy without a route would). With
`inspect=(cert, key, upstream_ca)` it behaves like a TLS-inspecting corporate proxy: it answers the
tunnel's TLS itself with `cert` (signed by the company's CA), opens its own TLS connection to the
route (trusting `upstream_ca`), and relays the decrypted bytes. Every CONNECT is kept in `seen`
(target and the login header as sent) for the tests to check. Runs its own event loop on a thread.
"""

import asyncio
import contextlib
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType


@dataclass(frozen=True)
class Seen:
    """One CONNECT the company proxy received."""

    target: str
    authorization: str


class FakeCompanyProxy:
    """A CONNECT proxy on 127.0.0.1 (see the module docstring)."""

    def __init__(self, routes: dict[str, tuple[str, int]], credentials: tuple[str, str] | None = None,
                 inspect: tuple[Path, Path, Path] | None = None) -> None:
        self.routes, self._credentials = routes, credentials
        self.seen: list[Seen] = []
        self.port = 0
        self._server_tls: ssl.SSLContext | None = None
        self._client_tls: ssl.SSLContext | None = None
        if inspect is not None:
            cert, key, upstream_ca = inspect
            self._server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._server_tls.load_cert_chain(str(cert), str(key))
            self._server_tls.set_alpn_protocols(["http/1.1"])
            self._client_tls = ssl.create_default_context(cafile=str(upstream_ca))
            self._client_tls.set_alpn_protocols(["http/1.1"])
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._run, name="fake-company-proxy", daemon=True)

    def __enter__(self) -> "FakeCompanyProxy":
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake company proxy did not start")
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def expected_authorization(self) -> str:
        import base64

        assert self._credentials is not None
        return "Basic " + base64.b64encode(":".join(self._credentials).encode()).decode()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(asyncio.sleep(0.05))
            self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            authorization = headers.get("proxy-authorization", "")
            self.seen.append(Seen(target, authorization))
            if self._credentials is not None and authorization != self.expected_authorization:
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=corp\r\n"
                             b"Content-Length: 0\r\n\r\n")
                await writer.drain()
                return
            host = target.rpartition(":")[0]
            route = self.routes.get(host)
            if method != "CONNECT" or route is None:
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                return
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await self._tunnel(reader, writer, host, route)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str,
                      route: tuple[str, int]) -> None:
        if self._server_tls is not None:
            await writer.start_tls(self._server_tls)
            up_reader, up_writer = await asyncio.open_connection(*route, ssl=self._client_tls, server_hostname=host)
        else:
            up_reader, up_writer = await asyncio.open_connection(*route)
        try:
            await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        finally:
            with contextlib.suppress(Exception):
                up_writer.close()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    except (OSError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(Exception):
            sink.write_eof() if sink.can_write_eof() else sink.close()
