"""What developers feel: streaming, pass-through, byte-for-byte telemetry, real clients."""

import gzip
import json
import subprocess
import time

import httpx
import openai
import pytest

from tests.e2e.harness import BEARER, COPILOT_API, COPILOT_PROXY, COPILOT_TELEMETRY, chat_body


def test_first_sse_event_arrives_long_before_the_stream_ends(proxy):
    url = f"{COPILOT_API}/chat/completions?events=10&interval=0.1"
    with proxy.client("alice") as client:
        started = time.perf_counter()
        with client.stream("POST", url, json=chat_body()) as response:
            chunks = response.iter_raw()
            first = next(chunks)
            first_at = time.perf_counter() - started
            rest = b"".join(chunks)
        total = time.perf_counter() - started
    assert first.startswith(b"data: ")
    assert b"data: [DONE]" in first + rest
    assert total > 0.9
    assert first_at < 0.3, f"first event after {first_at:.3f} s of a {total:.3f} s stream"
    event = proxy.events.wait_for(1)[0]
    assert event.streamed and event.status == 200
    assert event.ttfb_ms is not None and event.ttfb_ms < 300
    assert event.duration_ms > 900
    assert event.response_bytes == len(first + rest)


def test_openai_sdk_streams_a_chat_completion_through_the_proxy(proxy):
    http_client = httpx.Client(proxy=proxy.url("bob"), verify=proxy.trust(), timeout=10)
    client = openai.OpenAI(api_key=BEARER, base_url=COPILOT_API, http_client=http_client)
    with client:
        stream = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True)
        chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    event = proxy.events.wait_for(1)[0]
    assert (event.developer, event.kind, event.status) == ("bob", "model_call", 200)


def test_curl_through_the_proxy(proxy):
    result = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "--proxy", proxy.url("alice"), "--cacert", str(proxy.mitm_ca),
         f"{COPILOT_API}/models"], capture_output=True, text=True, timeout=20, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["data"][0]["id"] == "gpt-4o"
    assert proxy.events.wait_for(1)[0].developer == "alice"


def test_other_hosts_pass_through_untouched_without_our_ca(proxy, upstream, pki):
    with proxy.client("alice", verify=proxy.trust(pki.ca_cert)) as client:
        response = client.get("https://passthrough.example/hello")
    assert response.status_code == 200
    assert response.headers["x-fake-upstream"] == "1"  # the genuine server answered, with its own certificate
    with proxy.client("alice", verify=proxy.trust(proxy.mitm_ca)) as client, pytest.raises(httpx.ConnectError):
        client.get("https://passthrough.example/hello")
    time.sleep(0.2)
    assert proxy.events.events == []  # not decrypted, not recorded


def test_telemetry_is_forwarded_byte_for_byte(proxy, upstream):
    lines = [json.dumps({"name": "copilot/ghostText.accepted", "data": {"baseData": {"name": "x"}}}) for _ in range(3)]
    body = gzip.compress("\n".join(lines).encode())
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/x-json-stream", "Authorization": BEARER}
    with proxy.client("alice") as client:
        response = client.post(f"{COPILOT_TELEMETRY}/telemetry", content=body, headers=headers)
    assert response.json()["itemsReceived"] == 3
    received = upstream.requests[-1]
    assert received.body == body
    assert received.header("content-encoding") == "gzip"
    assert received.header("authorization") == BEARER
    assert proxy.events.wait_for(1)[0].kind == "telemetry"


def test_completion_headers_reach_upstream_unchanged(proxy, upstream):
    headers = {"X-Initiator": "user", "Editor-Version": "vscode/1.99.0", "Authorization": f"Bearer {BEARER}"}
    with proxy.client("alice") as client:
        client.post(f"{COPILOT_PROXY}/v1/engines/gpt-4o-copilot/completions?x=1",
                    json={"prompt": "x", "stream": True}, headers=headers)
    received = upstream.requests[-1]
    for name, value in headers.items():
        assert received.header(name) == value
    assert received.header("proxy-authorization") is None
    event = proxy.events.wait_for(1)[0]
    assert event.path == "/v1/engines/gpt-4o-copilot/completions"  # no query string kept


def test_a_request_the_client_gives_up_on_is_recorded_as_a_failure(proxy):
    with proxy.client("alice") as client, pytest.raises(httpx.ReadTimeout):
        client.get(f"{COPILOT_API}/slow-headers", timeout=0.3)
    event = proxy.events.wait_for(1)[0]
    assert event.status is None and event.error
