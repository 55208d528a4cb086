"""Fake GitHub Copilot upstream server for end-to-end proxy tests.

This module owns :class:`FakeCopilotUpstream`: an HTTPS server (HTTP/1.1 and
HTTP/2 via ALPN) on 127.0.0.1 that imitates the Copilot endpoints the proxy
intercepts (engine completions, chat completions, telemetry, models) and
records every request it receives.  It runs hypercorn's asyncio server on a
private event loop in a daemon thread so synchronous tests can drive it.

It can also run as a standalone process for benchmarks::

    python -m tests.fakes.upstream --dir DIR --port PORT [--events N --interval S]

which prints ``READY <port>`` once listening and exits 0 on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import logging
import re
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs

from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config
from hypercorn.utils import wrap_app

from tests.fakes.certs import TestPki, make_test_pki

if TYPE_CHECKING:
    from hypercorn.typing import ASGIFramework

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_LOG = logging.getLogger(__name__)
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0
_BODY_TIMEOUT = 10.0
_GRACEFUL_TIMEOUT = 2.0
_TLS_SHUTDOWN_TIMEOUT = 0.25
THREAD_NAME = "fake-copilot-upstream"
_SLOW_HEADERS_DELAY = 1.0
_MAX_EVENTS = 10_000
_MAX_INTERVAL = 60.0
_ENGINE_RE = re.compile(r"/v1/engines/(?P<model>[^/]+)/completions$")
_DONE = b"data: [DONE]\n\n"
_COPILOT_USAGE = {"total_nano_aiu": 1_500_000}
_QUOTA_HEADER = (b"x-quota-snapshot-premium_interactions",
                 b"ent=300&ov=0&ovPerm=false&rem=87.5&rst=2026-12-01T00%3A00%3A00Z")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as seen by the fake upstream (header names lowercase)."""

    method: str
    path: str
    http_version: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    host: str
    query: str = ""

    def header(self, name: str) -> str | None:
        """Return the first value of header ``name`` (case-insensitive)."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)


@dataclass(frozen=True)
class _Pacing:
    events: int
    interval: float


def _dumps(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _sse(payload: object) -> bytes:
    return b"data: " + _dumps(payload) + b"\n\n"


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _pacing(query: str, default: _Pacing) -> _Pacing:
    params = parse_qs(query)
    try:
        events = int(params.get("events", [default.events])[0])
        interval = float(params.get("interval", [default.interval])[0])
    except ValueError:
        return default
    return _Pacing(max(0, min(events, _MAX_EVENTS)), max(0.0, min(interval, _MAX_INTERVAL)))


def _usage(completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": 11, "completion_tokens": completion_tokens, "total_tokens": 11 + completion_tokens}


def _completion(obj_id: str, kind: str, model: str, choice: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": obj_id, "object": kind, "created": 1, "model": model, "choices": [choice], **extra}


def _engine_events(model: str, count: int, text: str = "x") -> list[bytes]:
    def chunk(finish: str | None) -> bytes:
        choice = {"index": 0, "text": text, "finish_reason": finish}
        return _sse({"id": "cmpl-1", "model": model, "choices": [choice]})

    return [chunk(None) for _ in range(count)] + [chunk("stop")]


def _engine_json(model: str) -> bytes:
    text = "def fake_completion(value: int) -> int:\n    return value * 42\n"
    choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": "stop"}
    return _dumps(_completion("cmpl-1", "text_completion", model, choice, usage=_usage(12)))


def _chat_events(model: str, count: int) -> list[bytes]:
    def chunk(delta: dict[str, str], finish: str | None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _sse(_completion("chatcmpl-1", "chat.completion.chunk", model, choice, **extra))

    token = chunk({"role": "assistant", "content": "tok"}, None)
    return [token] * count + [chunk({}, "stop", usage=_usage(count), copilot_usage=_COPILOT_USAGE)]


def _responses_events(model: str, count: int) -> list[bytes]:
    delta = _sse({"type": "response.output_text.delta", "delta": "tok"})
    completed = {"type": "response.completed", "copilot_usage": {"total_nano_aiu": 2_000_000},
                 "response": {"model": model, "status": "completed", "usage": {
                     "input_tokens": 20, "output_tokens": count, "total_tokens": 20 + count,
                     "input_tokens_details": {"cached_tokens": 5}, "output_tokens_details": {"reasoning_tokens": 3}}}}
    return [_sse({"type": "response.created", "response": {"model": model}}), *[delta] * count, _sse(completed)]


def _messages_events(model: str, count: int) -> list[bytes]:
    start = {"type": "message_start", "message": {"model": model, "usage": {
        "input_tokens": 30, "output_tokens": 1, "cache_read_input_tokens": 7}}}
    delta = _sse({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "tok"}})
    end = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": count},
           "copilot_usage": {"total_nano_aiu": 3_000_000}}
    return [_sse(start), *[delta] * count, _sse(end), _sse({"type": "message_stop"})]


def _chat_json(model: str) -> bytes:
    choice = {"index": 0, "message": {"role": "assistant", "content": "tok"}, "finish_reason": "stop"}
    extra = {"usage": _usage(1), "copilot_usage": _COPILOT_USAGE}
    return _dumps(_completion("chatcmpl-1", "chat.completion", model, choice, **extra))


def _telemetry_json(request: RecordedRequest) -> bytes:
    body = request.body
    if (request.header("content-encoding") or "").lower() == "gzip":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError):
            body = b""
    count = sum(1 for line in body.splitlines() if line.strip())
    return _dumps({"itemsReceived": count, "itemsAccepted": count, "errors": []})


def _response_headers(content_type: str, length: int | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"content-type", content_type.encode()), (b"x-fake-upstream", b"1"), _QUOTA_HEADER]
    if length is None:
        headers.append((b"cache-control", b"no-cache"))
    else:
        headers.append((b"content-length", str(length).encode()))
    return headers


async def _respond(send: Send, content_type: str, body: bytes) -> None:
    headers = _response_headers(content_type, len(body))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _sleep_unless(stopping: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds``; return True early (and immediately) once shutdown has begun."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stopping.wait()
    return stopping.is_set()


async def _stream_sse(send: Send, events: list[bytes], interval: float, stopping: asyncio.Event) -> None:
    """Send each event as its own body chunk, pausing ``interval`` between them.

    On server shutdown the stream is ended early (without ``[DONE]``) instead of
    being cancelled, so hypercorn can close the connection cleanly.
    """
    headers = _response_headers("text/event-stream", None)
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for index, event in enumerate(events):
        if index and await _sleep_unless(stopping, interval):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send({"type": "http.response.body", "body": event, "more_body": True})
    await send({"type": "http.response.body", "body": _DONE, "more_body": False})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    async with asyncio.timeout(_BODY_TIMEOUT):
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
    return b"".join(chunks)


def _record_from_scope(scope: Scope, body: bytes) -> RecordedRequest:
    headers = tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"])
    host = next((value for key, value in headers if key == "host"), "")
    return RecordedRequest(
        method=scope["method"],
        path=scope["path"],
        http_version=scope["http_version"],
        headers=headers,
        body=body,
        host=host,
        query=scope.get("query_string", b"").decode("latin-1"),
    )


class _CopilotApp:
    """Raw ASGI application implementing the fake Copilot routes."""

    def __init__(self, record: Callable[[RecordedRequest], None], pacing: _Pacing, stopping: asyncio.Event) -> None:
        self._record = record
        self._pacing = pacing
        self._stopping = stopping

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = _record_from_scope(scope, await _read_body(receive))
            self._record(request)
            await self._dispatch(request, send)

    async def _dispatch(self, request: RecordedRequest, send: Send) -> None:
        method, path = request.method, request.path
        engine = _ENGINE_RE.search(path)
        if method == "POST" and engine:
            await self._completions(request, send, engine["model"])
        elif method == "POST" and path.endswith("/chat/completions"):
            await self._chat(request, send)
        elif method == "POST" and path.endswith(("/responses", "/v1/messages")):
            make = _responses_events if path.endswith("/responses") else _messages_events
            model = str(_json_body(request.body).get("model", "gpt-5.1"))
            pacing = _pacing(request.query, self._pacing)
            await _stream_sse(send, make(model, pacing.events), pacing.interval, self._stopping)
        elif method == "POST" and path.endswith("/telemetry"):
            await _respond(send, "application/json", _telemetry_json(request))
        elif method == "GET" and path.endswith("/models"):
            await _respond(send, "application/json", _dumps({"data": [{"id": "gpt-4o"}]}))
        elif method == "GET" and path.endswith("/slow-headers"):
            await _sleep_unless(self._stopping, _SLOW_HEADERS_DELAY)
            await _respond(send, "text/plain", b"slow headers done")
        else:
            await _respond(send, "text/plain", f"fake upstream: {method} {path}".encode())

    async def _completions(self, request: RecordedRequest, send: Send, model: str) -> None:
        body = _json_body(request.body)
        if body.get("stream") is True:
            pacing = _pacing(request.query, self._pacing)
            text = " " if body.get("prompt") == "EMPTY" else "x\n"  # EMPTY: a completion without any text
            await _stream_sse(send, _engine_events(model, pacing.events, text), pacing.interval, self._stopping)
        else:
            await _respond(send, "application/json", _engine_json(model))

    async def _chat(self, request: RecordedRequest, send: Send) -> None:
        body = _json_body(request.body)
        model = str(body.get("model", "gpt-4o"))
        if body.get("stream") is True:
            pacing = _pacing(request.query, self._pacing)
            await _stream_sse(send, _chat_events(model, pacing.events), pacing.interval, self._stopping)
        else:
            await _respond(send, "application/json", _chat_json(model))


class FakeCopilotUpstream:
    """HTTPS (h2 + http/1.1) fake Copilot upstream running in a daemon thread."""

    def __init__(
        self,
        pki: TestPki,
        *,
        sse_events: int = 5,
        sse_interval: float = 0.05,
        port: int = 0,
        record: bool = True,
    ) -> None:
        self.requests: list[RecordedRequest] = []
        self._pki = pki
        self._pacing = _Pacing(sse_events, sse_interval)
        self._requested_port = port
        self._record_enabled = record
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shutdown: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        """The TCP port on 127.0.0.1 the server listens on."""
        if self._port is None:
            raise RuntimeError("FakeCopilotUpstream was never started")
        return self._port

    def start(self) -> None:
        """Bind, start the server thread and block until it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("FakeCopilotUpstream already started")
        config = self._config()
        ssl_context = config.create_ssl_context()  # raises here on bad cert/key files
        self._listener = socket.create_server(("127.0.0.1", self._requested_port))
        self._port = int(self._listener.getsockname()[1])
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, args=(config, ssl_context), name=THREAD_NAME, daemon=True)
        self._thread.start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Trigger graceful shutdown, join the thread and close the listening socket."""
        thread = self._thread
        if thread is None:
            return
        loop, shutdown = self._loop, self._shutdown
        if loop is not None and shutdown is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(shutdown.set)
        thread.join(timeout=_STOP_TIMEOUT)
        if self._listener is not None:
            self._listener.close()
        if thread.is_alive():
            raise RuntimeError("FakeCopilotUpstream thread did not stop in time")
        self._thread = None

    def __enter__(self) -> FakeCopilotUpstream:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _config(self) -> Config:
        config = Config()
        config.certfile = str(self._pki.leaf_cert)
        config.keyfile = str(self._pki.leaf_key)
        config.alpn_protocols = ["h2", "http/1.1"]
        config.errorlog = _LOG
        return config

    def _append(self, request: RecordedRequest) -> None:
        if self._record_enabled:
            with self._lock:
                self.requests.append(request)

    def _wait_ready(self) -> None:
        if not self._ready.wait(timeout=_START_TIMEOUT):
            raise TimeoutError(f"FakeCopilotUpstream not listening after {_START_TIMEOUT} s")
        if self._error is not None:
            raise RuntimeError("FakeCopilotUpstream failed to start") from self._error

    def _run(self, config: Config, ssl_context: ssl.SSLContext | None) -> None:
        try:
            asyncio.run(self._serve(config, ssl_context))
        except BaseException as exc:  # reported to start() / kept for debugging
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self, config: Config, ssl_context: ssl.SSLContext | None) -> None:
        """Accept loop modelled on hypercorn's ``worker_serve`` but with bounded shutdown."""
        loop = asyncio.get_running_loop()
        self._shutdown = asyncio.Event()
        self._loop = loop
        context = WorkerContext(None)
        asgi = cast("ASGIFramework", _CopilotApp(self._append, self._pacing, self._shutdown))
        app = wrap_app(asgi, config.wsgi_max_body_size, "asgi")
        connections: set[asyncio.Task[Any]] = set()

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            if task is not None:
                connections.add(task)
                task.add_done_callback(connections.discard)
            # asyncio sets TCP_NODELAY only on sockets created with proto=IPPROTO_TCP, and ours comes from
            # socket.create_server (proto 0): without it every response waits ~40 ms for a delayed ACK.
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with contextlib.suppress(TimeoutError):  # peer ignored our TLS close_notify
                await TCPServer(app, loop, config, context, {}, reader, writer)

        server = await asyncio.start_server(
            on_connect, sock=self._listener, ssl=ssl_context, ssl_shutdown_timeout=_TLS_SHUTDOWN_TIMEOUT
        )
        self._ready.set()
        await self._shutdown.wait()
        await context.terminated.set()  # hypercorn closes idle keep-alive connections
        server.close()
        await _drain(connections)
        async with asyncio.timeout(_STOP_TIMEOUT / 2):
            await server.wait_closed()


async def _drain(tasks: set[asyncio.Task[Any]]) -> None:
    """Give in-flight connections a grace period, then cancel the rest."""
    if tasks:
        await asyncio.wait(set(tasks), timeout=_GRACEFUL_TIMEOUT)
    for task in set(tasks):
        task.cancel()
    if tasks:
        await asyncio.wait(set(tasks), timeout=_GRACEFUL_TIMEOUT)


def _load_or_create_pki(directory: Path) -> TestPki:
    pki = TestPki(directory / "ca.pem", directory / "leaf.pem", directory / "leaf-key.pem")
    if all(path.exists() for path in (pki.ca_cert, pki.leaf_cert, pki.leaf_key)):
        return pki
    return make_test_pki(directory)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run the fake Copilot upstream.")
    parser.add_argument("--dir", type=Path, required=True, help="PKI directory")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = ephemeral)")
    parser.add_argument("--events", type=int, default=5, help="SSE events per stream")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between SSE events")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; print ``READY <port>`` once listening."""
    args = _parse_args(argv)
    stop_requested = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    pki = _load_or_create_pki(args.dir)
    upstream = FakeCopilotUpstream(
        pki, sse_events=args.events, sse_interval=args.interval, port=args.port, record=False
    )
    with upstream:
        sys.stdout.write(f"READY {upstream.port}\n")
        sys.stdout.flush()
        while not stop_requested.is_set():
            time.sleep(0.1)  # signal handlers run between sleeps
    return 0


if __name__ == "__main__":
    sys.exit(main())
