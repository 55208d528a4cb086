"""The OpenTelemetry receiver in the running proxy, fed by the real OTLP/HTTP exporter and by CLI-shaped JSON."""

import base64
import gzip
import socket
import subprocess
import time
from contextlib import closing
from pathlib import PurePath

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from desktop_app.capture.otlp_http import MAX_BODY_BYTES
from desktop_app.core.guide.model import NAME_PLACEHOLDER, PASSWORD_PLACEHOLDER, GuideContext
from desktop_app.core.guide.otel_guide import opentelemetry_section
from desktop_app.core.guide.snippets import ProxyAccess, otel_environment, otel_snippet
from desktop_app.core.store.database import UsageStore
from tests.e2e.harness import COPILOT_API, chat_body
from tests.fixtures.otel_cli import CliRun

INTERACTION = "0d5c2f8e-1111-4a2b-9c3d-222233334444"


def basic(proxy, name="alice", password=None) -> str:
    secret = proxy.team.passwords[name] if password is None else password
    return "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()


def endpoint(proxy, path="/v1/traces") -> str:
    host, port = proxy.service.otlp.address
    return f"http://{host}:{port}{path}"


def query(proxy, sql, params=()):
    with closing(UsageStore.reader(proxy.team.paths.database)) as conn:
        return conn.execute(sql, params).fetchall()


def flush(proxy):
    """Wait until the writer has stored everything submitted so far."""
    deadline = time.monotonic() + 10
    stats = proxy.service.dispatcher.stats
    while stats.delivered < stats.submitted and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stats.delivered == stats.submitted


def export_spans(proxy, compression=Compression.Gzip, name="alice"):
    """One CLI-like prompt through the SDK's OTLP/HTTP (protobuf) exporter."""
    exporter = OTLPSpanExporter(endpoint=endpoint(proxy), headers={"Authorization": basic(proxy, name)},
                                compression=compression, timeout=10)
    provider = TracerProvider(resource=Resource.create({"service.name": "github-copilot",
                                                        "service.version": "1.0.102"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("github.copilot")
    with tracer.start_as_current_span("invoke_agent", attributes={"gen_ai.operation.name": "invoke_agent"}):
        for turn, initiator in enumerate(("user", "agent")):
            with tracer.start_as_current_span("chat gpt-5-mini", attributes={
                "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-5-mini",
                "gen_ai.usage.input_tokens": 1000 + turn, "gen_ai.usage.output_tokens": 50,
                "github.copilot.cost": 0.25, "github.copilot.initiator": initiator,
                "github.copilot.interaction_id": INTERACTION, "github.copilot.turn_id": str(turn),
                "gen_ai.input.messages": "a prompt that must not be kept",
            }):
                pass
            if turn == 0:
                with tracer.start_as_current_span("execute_tool bash", attributes={
                        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "bash",
                        "github.copilot.mcp.server_name": "9f86d081"}):
                    pass
    provider.shutdown()


def test_the_sdk_exporter_records_model_calls_and_tools_per_developer(proxy):
    export_spans(proxy)
    flush(proxy)
    calls = query(proxy, "SELECT developer, source, model, initiator, prompt_tokens, nano_aiu, turn_id, interaction_id "
                         "FROM usage_events ORDER BY started_at")
    assert calls == [("alice", "otel", "gpt-5-mini", "user", 1000, 250_000_000, "0", INTERACTION),
                     ("alice", "otel", "gpt-5-mini", "agent", 1001, 250_000_000, "1", INTERACTION)]
    assert query(proxy, "SELECT developer, tool, mcp_server FROM otel_tool_calls") == [("alice", "bash", "9f86d081")]
    data_files = [p for p in proxy.team.paths.data_dir.rglob("*") if p.is_file()]
    assert not any(b"a prompt that must not be kept" in p.read_bytes() for p in data_files)  # content dropped
    stats = proxy.service.otlp.intake.stats
    assert (stats.exports, stats.model_calls, stats.tool_calls, stats.refused) == (4, 2, 1, 0)  # a span per export


def test_an_uncompressed_export_sent_again_is_stored_once(proxy):
    export_spans(proxy, Compression.NoCompression)
    export_spans(proxy, Compression.NoCompression)  # new spans: another prompt
    flush(proxy)
    assert query(proxy, "SELECT COUNT(*) FROM usage_events") == [(4,)]
    run = CliRun(start_ns=time.time_ns())
    headers = {"Authorization": basic(proxy), "Content-Type": "application/json"}
    for _ in range(2):  # the exporter retries a batch whose answer it did not get
        assert httpx.post(endpoint(proxy), content=run.traces_body(), headers=headers).status_code == 200
    flush(proxy)
    assert query(proxy, "SELECT COUNT(*) FROM usage_events") == [(6,)]


def test_the_sdk_metric_exporter_is_stored_raw(proxy):
    exporter = OTLPMetricExporter(endpoint=endpoint(proxy, "/v1/metrics"), headers={"Authorization": basic(proxy)})
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=60_000)
    provider = MeterProvider(metric_readers=[reader], resource=Resource.create({"service.name": "copilot-chat"}))
    provider.get_meter("copilot").create_counter("copilot_chat.edit.acceptance.count").add(3, {"outcome": "accepted"})
    provider.shutdown()
    flush(proxy)
    assert query(proxy, "SELECT developer, service, name, kind, temporality, value FROM otel_metric_points") == [
        ("alice", "copilot-chat", "copilot_chat.edit.acceptance.count", "sum", "cumulative", 3.0)]


def test_cli_shaped_json_with_gzip_gets_an_otlp_json_answer(proxy):
    run = CliRun(start_ns=time.time_ns())
    response = httpx.post(endpoint(proxy), content=gzip.compress(run.traces_body()),
                          headers={"Authorization": basic(proxy, "bob"), "Content-Type": "application/json",
                                   "Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}
    metrics = httpx.post(endpoint(proxy, "/v1/metrics"), content=run.metrics_body(),
                         headers={"Authorization": basic(proxy, "bob"), "Content-Type": "application/json"})
    logs = httpx.post(endpoint(proxy, "/v1/logs"), content=b'{"resourceLogs": []}',
                      headers={"Authorization": basic(proxy, "bob"), "Content-Type": "application/json"})
    assert (metrics.status_code, logs.status_code) == (200, 200)
    flush(proxy)
    assert query(proxy, "SELECT developer, COUNT(*) FROM usage_events GROUP BY developer") == [("bob", 2)]
    assert query(proxy, "SELECT COUNT(*) FROM otel_metric_points") == [(2,)]


def test_a_partly_bad_export_says_how_many_spans_were_rejected(proxy):
    data = CliRun(start_ns=time.time_ns()).traces()
    data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["endTimeUnixNano"] = "1"
    response = httpx.post(endpoint(proxy), json=data, headers={"Authorization": basic(proxy)})
    assert response.status_code == 200
    assert response.json()["partialSuccess"]["rejectedSpans"] == "1"


@pytest.mark.parametrize("authorization", [None, "Basic " + base64.b64encode(b"alice:wrong").decode(),
                                           "Bearer gho_abc", "carol"])
def test_anything_but_a_developers_credentials_gets_401_and_nothing_is_kept(proxy, authorization):
    headers = {"Content-Type": "application/json"}
    if authorization == "carol":  # disabled
        authorization = basic(proxy, "carol")
    if authorization:
        headers["Authorization"] = authorization
    response = httpx.post(endpoint(proxy), content=CliRun(start_ns=time.time_ns()).traces_body(), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="Copilot Insight"'
    flush(proxy)
    assert query(proxy, "SELECT COUNT(*) FROM usage_events") == [(0,)]
    refusals = query(proxy, "SELECT kind, username, host FROM connection_events")
    assert len(refusals) == 1 and refusals[0][2] == "OpenTelemetry receiver"
    assert proxy.service.otlp.intake.stats.refused == 1


def test_other_paths_methods_and_types_get_clear_errors(proxy):
    auth = {"Authorization": basic(proxy)}
    assert httpx.post(endpoint(proxy, "/v1/profiles"), content=b"{}", headers=auth).status_code == 404
    assert httpx.get(endpoint(proxy)).status_code == 405
    text = httpx.post(endpoint(proxy), content=b"{}", headers={**auth, "Content-Type": "text/plain"})
    assert text.status_code == 415 and "application/x-protobuf" in text.text
    bad = httpx.post(endpoint(proxy), content=b"{", headers={**auth, "Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["message"].startswith("The JSON body could not be read")


def test_a_body_over_the_limit_is_refused_before_it_is_read(proxy):
    host, port = proxy.service.otlp.address
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall((f"POST /v1/traces HTTP/1.1\r\nHost: {host}\r\nAuthorization: {basic(proxy)}\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n").encode())
        answer = sock.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413")


def test_a_call_seen_by_the_proxy_and_by_opentelemetry_is_one_row(proxy):
    headers = {"X-Interaction-Id": INTERACTION, "X-Initiator": "user",
               "Copilot-Integration-Id": "copilot-developer-cli"}
    with proxy.client("alice") as client:
        assert client.post(f"{COPILOT_API}/chat/completions", json=chat_body(model="gpt-4o"),
                           headers=headers).status_code == 200
    proxy.events.wait_for(1)
    run = CliRun(start_ns=time.time_ns() - 1_000_000_000, interaction_id=INTERACTION, model="gpt-4o",
                 tokens=((11, 3), (5000, 7)))
    response = httpx.post(endpoint(proxy), content=run.traces_body(),
                          headers={"Authorization": basic(proxy), "Content-Type": "application/json"})
    assert response.status_code == 200
    flush(proxy)
    rows = query(proxy, "SELECT source, otel_span IS NOT NULL, host, turn_id FROM usage_events "
                        "WHERE kind = 'model_call' ORDER BY started_at")
    # The span of the proxied call merged into its row; the CLI's agent follow-up was only seen by OpenTelemetry.
    assert sorted(rows) == [("otel", 0, "github-copilot", "1"), ("proxy", 1, "api.githubcopilot.com", "0")]


def _exported_with_environment(proxy, monkeypatch, environment) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS"):
        monkeypatch.setenv(name, environment[name])
    exporter = OTLPSpanExporter()  # configured from the environment alone, as the CLI's exporter is
    provider = TracerProvider(resource=Resource.create({"service.name": "github-copilot"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("t").start_as_current_span("chat gpt-4.1", attributes={
            "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4.1", "github.copilot.initiator": "user"}):
        pass
    provider.shutdown()
    flush(proxy)


def test_the_team_dialogs_snippet_configures_a_real_exporter(proxy, monkeypatch):
    host, port = proxy.service.otlp.address
    access = ProxyAccess(host, proxy.port, "bob", proxy.team.passwords["bob"], PurePath("ca.pem"), otlp_port=port)
    assert otel_environment(access)["COPILOT_OTEL_ENABLED"] == "true"
    assert f"NO_PROXY=\"{host}" in otel_snippet(access)
    _exported_with_environment(proxy, monkeypatch, otel_environment(access))
    assert query(proxy, "SELECT developer, source FROM usage_events") == [("bob", "otel")]


def test_the_guides_shell_lines_and_check_work_with_real_credentials(proxy, monkeypatch):
    host, port = proxy.service.otlp.address
    section = opentelemetry_section(GuideContext(host, proxy.port, "CA", "AB", otlp_port=port))
    fill = {NAME_PLACEHOLDER: "alice", PASSWORD_PLACEHOLDER: proxy.team.passwords["alice"]}

    def filled(command: str) -> str:
        for placeholder, value in fill.items():
            command = command.replace(placeholder, value)
        return command

    posix = next(step.command for step in section.steps if step.language == "shell" and "export" in step.command)
    printed = subprocess.run(["bash", "-c", filled(posix) + "\nenv"], capture_output=True, text=True, check=True,
                             env={"PATH": "/usr/bin:/bin", "NO_PROXY": "example.com"}).stdout
    environment = dict(line.split("=", 1) for line in printed.splitlines() if "=" in line)
    assert environment["NO_PROXY"] == f"{host},example.com"
    _exported_with_environment(proxy, monkeypatch, environment)
    assert query(proxy, "SELECT developer FROM usage_events") == [("alice",)]
    check = filled(next(step.command for step in section.check if step.command))
    assert subprocess.run(["bash", "-c", check], capture_output=True, text=True, check=True).stdout == "{}"
