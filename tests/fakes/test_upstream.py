"""Self-tests for the fake Copilot upstream and its throw-away PKI.

This module owns proving that :mod:`tests.fakes.upstream` speaks HTTP/1.1 and
HTTP/2, records requests, really streams SSE, is consumable by the ``openai``
SDK, shuts down cleanly and works as a standalone process.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from cryptography import x509

from tests.fakes.certs import TestPki, make_test_pki
from tests.fakes.upstream import THREAD_NAME, FakeCopilotUpstream

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = httpx.Timeout(10.0)


@pytest.fixture
def pki(tmp_path: Path) -> TestPki:
    return make_test_pki(tmp_path)


@pytest.fixture
def ssl_ctx(pki: TestPki) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pki.ca_cert))


@pytest.fixture
def upstream(pki: TestPki) -> Iterator[FakeCopilotUpstream]:
    with FakeCopilotUpstream(pki, sse_events=3, sse_interval=0.05) as server:
        yield server


def _client(ctx: ssl.SSLContext, *, http2: bool) -> httpx.Client:
    return httpx.Client(http2=http2, verify=ctx, timeout=TIMEOUT)


def test_leaf_certificate_covers_copilot_hosts(pki: TestPki) -> None:
    leaf = x509.load_pem_x509_certificate(pki.leaf_cert.read_bytes())
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = set(sans.get_values_for_type(x509.DNSName))
    assert {"api.githubcopilot.com", "*.individual.githubcopilot.com", "localhost"} <= names
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert pki.leaf_cert.read_text().count("BEGIN CERTIFICATE") == 2


@pytest.mark.parametrize(("http2", "version"), [(False, "1.1"), (True, "2")])
def test_protocols_are_served_and_recorded(
    upstream: FakeCopilotUpstream, ssl_ctx: ssl.SSLContext, *, http2: bool, version: str
) -> None:
    base = f"https://127.0.0.1:{upstream.port}"
    compressed = gzip.compress(b'{"name":"a"}\n\n{"name":"b"}\n', mtime=0)
    with _client(ssl_ctx, http2=http2) as client:
        models = client.get(f"{base}/models")
        telemetry = client.post(f"{base}/telemetry", content=compressed, headers={"content-encoding": "gzip"})
        echo = client.put(f"{base}/some/where", content=b"x")
    assert models.http_version == f"HTTP/{version}"
    assert models.json() == {"data": [{"id": "gpt-4o"}]}
    assert telemetry.json() == {"itemsReceived": 2, "itemsAccepted": 2, "errors": []}
    assert echo.text == "fake upstream: PUT /some/where"
    assert all(r.headers["x-fake-upstream"] == "1" for r in (models, telemetry, echo))
    assert [(r.method, r.path, r.http_version) for r in upstream.requests] == [
        ("GET", "/models", version),
        ("POST", "/telemetry", version),
        ("PUT", "/some/where", version),
    ]
    assert upstream.requests[0].host == f"127.0.0.1:{upstream.port}"
    assert upstream.requests[1].body == compressed


@pytest.mark.parametrize("http2", [False, True])
def test_sse_first_event_arrives_before_stream_ends(
    upstream: FakeCopilotUpstream, ssl_ctx: ssl.SSLContext, *, http2: bool
) -> None:
    url = f"https://127.0.0.1:{upstream.port}/v1/engines/copilot-codex/completions"
    body = {"prompt": "def", "stream": True}
    chunks: list[tuple[float, bytes]] = []
    with _client(ssl_ctx, http2=http2) as client:
        start = time.monotonic()
        with client.stream("POST", url, params={"events": 4, "interval": 0.1}, json=body) as resp:
            assert resp.headers["content-type"] == "text/event-stream"
            chunks.extend((time.monotonic() - start, chunk) for chunk in resp.iter_raw())
        total = time.monotonic() - start
    events = b"".join(chunk for _, chunk in chunks).split(b"\n\n")
    payloads = [json.loads(e.removeprefix(b"data: ")) for e in events if e and e != b"data: [DONE]"]
    assert len(payloads) == 5
    assert payloads[0]["model"] == "copilot-codex"
    assert payloads[-1]["choices"][0]["finish_reason"] == "stop"
    assert events[-2] == b"data: [DONE]"
    assert total >= 0.35
    assert chunks[0][0] < total / 2


def test_engine_completion_without_stream(upstream: FakeCopilotUpstream, ssl_ctx: ssl.SSLContext) -> None:
    url = f"https://127.0.0.1:{upstream.port}/v1/engines/gpt-41-copilot/completions"
    with _client(ssl_ctx, http2=True) as client:
        resp = client.post(url, json={"prompt": "def", "stream": False})
    assert resp.headers["content-type"] == "application/json"
    assert resp.json()["choices"][0]["finish_reason"] == "stop"
    assert resp.json()["model"] == "gpt-41-copilot"


def test_openai_sdk_chat_completions(upstream: FakeCopilotUpstream, ssl_ctx: ssl.SSLContext) -> None:
    # DefaultHttpxClient is whatever HTTP client class this openai version expects (httpx or httpx2).
    with openai.DefaultHttpxClient(verify=ssl_ctx, timeout=10.0) as http_client:
        client = openai.OpenAI(base_url=f"https://127.0.0.1:{upstream.port}", api_key="test", http_client=http_client)
        messages: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
        stream = client.chat.completions.create(model="gpt-4o", messages=messages, stream=True)
        chunks = list(stream)
        plain = client.chat.completions.create(model="gpt-4o", messages=messages)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "tok" * 3
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3
    assert (chunks[-1].model_extra or {})["copilot_usage"] == {"total_nano_aiu": 1_500_000}
    assert plain.choices[0].message.content == "tok"
    assert [r.path for r in upstream.requests] == ["/chat/completions", "/chat/completions"]


def test_slow_headers_trigger_client_timeout(upstream: FakeCopilotUpstream, ssl_ctx: ssl.SSLContext) -> None:
    with (
        httpx.Client(verify=ssl_ctx, timeout=httpx.Timeout(10.0, read=0.2)) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get(f"https://127.0.0.1:{upstream.port}/slow-headers")


def test_stop_joins_thread_and_closes_port(pki: TestPki, ssl_ctx: ssl.SSLContext) -> None:
    before = {t for t in threading.enumerate() if t.name == THREAD_NAME}  # e.g. a session-wide upstream
    server = FakeCopilotUpstream(pki)
    server.start()
    port = server.port
    with _client(ssl_ctx, http2=True) as client:
        assert client.get(f"https://127.0.0.1:{port}/models").status_code == 200
        server.stop()
    assert {t for t in threading.enumerate() if t.name == THREAD_NAME} <= before
    assert server.port == port
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


@pytest.mark.parametrize("http2", [False, True])
def test_stop_during_stream_is_prompt(pki: TestPki, ssl_ctx: ssl.SSLContext, *, http2: bool) -> None:
    server = FakeCopilotUpstream(pki, sse_events=200, sse_interval=0.1)
    server.start()
    first_chunk = threading.Event()

    def consume() -> None:
        url = f"https://127.0.0.1:{server.port}/chat/completions"
        with (
            contextlib.suppress(httpx.HTTPError),
            _client(ssl_ctx, http2=http2) as client,
            client.stream("POST", url, json={"stream": True}) as resp,
        ):
            for _ in resp.iter_raw():
                first_chunk.set()

    reader = threading.Thread(target=consume)
    reader.start()
    try:
        assert first_chunk.wait(timeout=5)
        start = time.monotonic()
        server.stop()
        assert time.monotonic() - start < 1.5
    finally:
        server.stop()
        reader.join(timeout=10)
    assert not reader.is_alive()


def _read_line(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError("no output from fake upstream process")
    return proc.stdout.readline()


def test_subprocess_mode_ready_and_sigterm(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "tests.fakes.upstream", "--dir", str(tmp_path), "--port", "0"]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE)
    try:
        ready = _read_line(proc, timeout=20).decode().split()
        assert ready[0] == "READY"
        ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        with _client(ctx, http2=True) as client:
            assert client.get(f"https://127.0.0.1:{int(ready[1])}/models").status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
