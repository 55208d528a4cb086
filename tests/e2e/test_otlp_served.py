"""`serve --otlp-port`: the OpenTelemetry receiver beside the headless proxy, off with 0, never fatal."""

import base64
import socket
import time

import httpx

from tests.e2e.served import free_port, start_serve
from tests.fixtures.otel_cli import CliRun


def test_serve_receives_a_developers_opentelemetry_on_the_given_port(tmp_path, pki, upstream):
    port = free_port()
    served = start_serve(tmp_path, pki, upstream, extra_args=("--otlp-port", str(port)))
    try:
        served.log.wait_for(f"OpenTelemetry receiver for developers without the CA on 127.0.0.1:{port}")
        auth = base64.b64encode(f"alice:{served.passwords['alice']}".encode()).decode()
        response = httpx.post(f"http://127.0.0.1:{port}/v1/traces", content=CliRun(time.time_ns()).traces_body(),
                              headers={"Authorization": f"Basic {auth}", "Content-Type": "application/json"},
                              trust_env=False)
        assert response.status_code == 200
        served.log.wait_for("alice model_call cli POST github-copilot")
    finally:
        assert served.stop() == 0
    assert "OpenTelemetry: 1 export(s) with 2 model call(s) and 1 tool call(s); 0 refused" in served.log.drain()


def test_otlp_port_0_means_nothing_listens_and_a_taken_port_is_not_fatal(tmp_path, pki, upstream):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = start_serve(tmp_path / "taken", pki, upstream, extra_args=("--otlp-port", str(port)))
        try:
            line = served.log.wait_for("The OpenTelemetry receiver could not start")
            assert f"Port {port}" in line and "The proxy runs without it" in line
            with httpx.Client(proxy=served.proxy_url("alice"), verify=served.trust(), timeout=10) as client:
                assert client.get("https://insight.check/").text.startswith("Connected as alice")
        finally:
            assert served.stop() == 0
    off = start_serve(tmp_path / "off", pki, upstream, extra_args=("--otlp-port", "0"))
    assert off.stop() == 0
    off.log.wait_for("Stopped.")  # everything the process logged has been read
    assert "OpenTelemetry receiver" not in "".join(off.log.lines)
