"""Generated flows through the proxy's hooks: no hook raises, the bytes forwarded are the bytes received, and
whatever was captured is recorded (as unparsed when it cannot be read)."""

import asyncio

from hypothesis import strategies as st
from mitmproxy import http
from mitmproxy.test import tflow

from desktop_app.capture.analysis import analyze
from desktop_app.capture.exchange import Exchange
from desktop_app.capture.hosts import HostPolicy
from desktop_app.core.team.credentials import AuthResult
from desktop_app.proxy.auth import DEVELOPER_KEY, FailureThrottle, ProxyAuthenticator
from desktop_app.proxy.recorder import HEAD_LIMIT, UsageRecorder
from tests.properties.profile import both

HOSTS = ["api.githubcopilot.com", "copilot-proxy.githubusercontent.com", "copilot-telemetry.githubusercontent.com",
         "example.com"]
header_lists = st.lists(st.tuples(st.sampled_from(["content-type", "content-encoding", "x-initiator", "editor-version",
                                                   "openai-intent", "x-quota-snapshot-chat"]) | st.text(min_size=1,
                                                                                                       max_size=10),
                                  st.text(max_size=40)), max_size=6)
content_types = st.sampled_from(["text/event-stream", "application/json", "", "text/plain"])


def _flow(host: str, path: str, request_headers, request_body: bytes, status: int, response_headers,
          content_type: str, developer: bool) -> http.HTTPFlow:
    flow = tflow.tflow(resp=True)
    flow.request.host, flow.request.path, flow.request.method = host, path, "POST"
    flow.request.headers = http.Headers([(k.encode(), v.encode()) for k, v in request_headers])
    flow.request.raw_content = request_body
    flow.response.status_code = status
    flow.response.headers = http.Headers([(k.encode(), v.encode()) for k, v in response_headers])
    flow.response.headers["content-type"] = content_type
    flow.response.raw_content = b""
    if developer:
        flow.metadata[DEVELOPER_KEY] = "alice"
    return flow


def prop_hooks_forward_every_byte_and_record(flow: http.HTTPFlow, chunks: list[bytes], failing_sink: bool,
                                             failed: bool) -> None:
    captured: list[Exchange] = []

    def sink(exchange: Exchange) -> None:
        captured.append(exchange)
        if failing_sink:
            raise RuntimeError("the queue is broken")

    recorder = UsageRecorder(sink, HostPolicy())
    recorder.responseheaders(flow)
    stream = flow.response.stream
    if callable(stream):
        forwarded = [stream(chunk) for chunk in [*chunks, b""]]
        assert forwarded == [*chunks, b""]  # the very bytes, in order, nothing added
    else:
        flow.response.raw_content = b"".join(chunks)
    if failed:
        flow.error = tflow.terr()
        recorder.error(flow)
    else:
        recorder.response(flow)
    recorded = flow.metadata.get(DEVELOPER_KEY) is not None and flow.request.host != "example.com"
    assert len(captured) == (1 if recorded else 0)
    for exchange in captured:
        body = b"".join(chunks)
        assert exchange.response_bytes == len(body)
        if len(body) <= HEAD_LIMIT:
            assert exchange.response_body == body
        batch = analyze(exchange)
        assert len(batch.usage) == 1


flows = st.builds(_flow, host=st.sampled_from(HOSTS),
                  path=st.sampled_from(["/chat/completions", "/v1/engines/x/completions", "/telemetry", "/responses"]),
                  request_headers=header_lists, request_body=st.binary(max_size=400),
                  status=st.sampled_from([200, 400, 500]), response_headers=header_lists,
                  content_type=content_types, developer=st.booleans())
test_recorder_hooks, test_recorder_hooks_deep = both(
    prop_hooks_forward_every_byte_and_record, flow=flows, chunks=st.lists(st.binary(min_size=1, max_size=300),
                                                                          max_size=8),
    failing_sink=st.booleans(), failed=st.booleans())


def prop_authenticator_never_raises(header: bytes | None, connect: bool) -> None:
    """Any Proxy-Authorization value: a 407 (or the developer), never an exception, never a forwarded header."""

    def check(name: str, password: str) -> tuple[AuthResult, str | None]:
        return (AuthResult.OK, "alice") if (name, password) == ("alice", "right") else (AuthResult.WRONG_PASSWORD, None)

    flow = tflow.tflow()
    if header is not None:
        flow.request.headers[b"Proxy-Authorization"] = header
    auth = ProxyAuthenticator(check, FailureThrottle(max_delay=0.0))
    if connect:
        flow.request.method = "CONNECT"
        asyncio.run(auth.http_connect(flow))
    else:
        pending = auth.requestheaders(flow)
        if pending is not None:
            asyncio.run(pending)  # type: ignore[arg-type]
    assert "Proxy-Authorization" not in flow.request.headers
    assert (flow.response is None) == (flow.metadata.get(DEVELOPER_KEY) == "alice")
    if flow.response is not None:
        assert flow.response.status_code == 407


basic = st.sampled_from([b"Basic ", b"basic ", b"Bearer ", b""])
test_authenticator, test_authenticator_deep = both(
    prop_authenticator_never_raises,
    header=st.none() | st.binary(max_size=80) | st.builds(lambda p, b: p + b, basic, st.binary(max_size=60))
    | st.just(b"Basic YWxpY2U6cmlnaHQ="),
    connect=st.booleans())
