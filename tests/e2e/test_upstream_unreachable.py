"""Copilot unreachable from the proxy: the developer's 502 says why, the lead's store and log know.

A real proxy on loopback whose upstream is made to fail on purpose: a port with nothing listening
(refused), a server whose certificate nobody trusts (TLS), a server that never answers (timeout).
DNS failures cannot be produced here without relying on DNS, so their classification is tested on
mitmproxy's own words in tests/proxy/test_upstream.py.
"""

import logging
import time
from contextlib import closing
from types import SimpleNamespace

import httpx
import pytest

from desktop_app.core.errors import StoreError
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import ConnectionSummary, connection_summaries
from desktop_app.proxy import upstream as upstream_module
from tests.e2e.harness import COPILOT_API, chat_body, make_team, start_proxy
from tests.e2e.served import cli, start_serve
from tests.fakes.certs import make_test_pki
from tests.fakes.sockets import StallingServer, UntrustedTlsServer, closed_port, raw_connect


def stored(team) -> list[ConnectionSummary]:
    try:
        with closing(UsageStore.reader(team.paths.database)) as conn:
            return connection_summaries(conn)
    except StoreError:
        return []


def wait_for(team, kind: str, timeout: float = 15.0) -> ConnectionSummary:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [s for s in stored(team) if s.kind == kind]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no {kind} event stored within {timeout} s: {stored(team)}")


@pytest.fixture
def failing_team(isolated_home):
    from desktop_app.core.paths import resolve_paths

    return make_team(resolve_paths(isolated_home))


def test_refused_upstream_gives_the_developer_words_and_the_lead_an_event(failing_team, pki, caplog):
    proxy = start_proxy(failing_team, pki, closed_port())
    try:
        with caplog.at_level(logging.WARNING, logger="desktop_app.proxy.upstream"):
            answers = [raw_connect(proxy.port, "alice", failing_team.passwords["alice"]) for _ in range(3)]
        event = wait_for(failing_team, "upstream_failed")
    finally:
        proxy.service.stop()
    first = answers[0]
    assert first.startswith("HTTP/1.1 502")
    assert "could not reach api.githubcopilot.com: the connection was refused" in first
    assert "your team lead has been told" in first
    assert "connection_strategy" not in first and "lazy" not in first
    assert (event.username, event.host) == ("alice", "api.githubcopilot.com")
    assert event.detail.startswith("refused")
    warnings = [r for r in caplog.records if "could not reach api.githubcopilot.com" in r.getMessage()]
    assert len(warnings) == 1, "one warning per host and reason, never one per request"
    assert not proxy.errors


def test_untrusted_upstream_certificate_is_a_tls_failure(failing_team, pki, tmp_path):
    stranger = make_test_pki(tmp_path / "stranger")  # a CA the proxy does not trust
    with UntrustedTlsServer(stranger.leaf_cert, stranger.leaf_key) as server:
        proxy = start_proxy(failing_team, pki, server.port)
        try:
            with proxy.client("bob") as client:
                reply = client.post(f"{COPILOT_API}/chat/completions", json=chat_body())
            event = wait_for(failing_team, "upstream_failed")
        finally:
            proxy.service.stop()
    assert reply.status_code == 502
    assert reply.text.startswith("Copilot Insight could not reach api.githubcopilot.com: its TLS certificate "
                                 "was not accepted.")
    assert "<html>" not in reply.text
    assert (event.username, event.detail.split(":")[0]) == ("bob", "tls")


def test_an_upstream_that_never_answers_is_reported_as_a_timeout(failing_team, pki, monkeypatch):
    monkeypatch.setattr(upstream_module, "STALL_SECONDS", 1.0)
    with StallingServer() as server:
        proxy = start_proxy(failing_team, pki, server.port)
        try:
            with proxy.client("alice") as client, pytest.raises(httpx.TransportError):
                client.post(f"{COPILOT_API}/chat/completions", json=chat_body(), timeout=6)
            event = wait_for(failing_team, "upstream_failed")
        finally:
            proxy.service.stop()
    assert event.detail.startswith("timeout"), event
    assert event.count == 1, "the client giving up afterwards is not a second failure"


def test_a_working_connection_after_a_failure_is_recorded_as_recovery(failing_team, pki, upstream):
    failing = start_proxy(failing_team, pki, closed_port())
    try:
        raw_connect(failing.port, "alice", failing_team.passwords["alice"])
        failed = wait_for(failing_team, "upstream_failed")
    finally:
        failing.service.stop()
    working = start_proxy(failing_team, pki, upstream.port)
    try:
        with working.client("alice") as client:
            assert client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False)).status_code == 200
        recovered = wait_for(failing_team, "upstream_ok")
    finally:
        working.service.stop()
    assert recovered.host == failed.host == "api.githubcopilot.com"
    assert recovered.last_at >= failed.last_at


def test_serve_logs_it_once_and_status_says_what_runs_and_what_failed(tmp_path, pki):
    served = start_serve(tmp_path, pki, SimpleNamespace(port=closed_port()))
    try:
        for _ in range(2):
            assert raw_connect(served.port, "alice", served.passwords["alice"]).startswith("HTTP/1.1 502")
        served.log.wait_for("could not reach api.githubcopilot.com: the connection was refused")
        deadline = time.monotonic() + 15
        report = cli("status", env=served.env)
        while "2 failed connection(s)" not in report.stdout and time.monotonic() < deadline:
            time.sleep(0.2)
            report = cli("status", env=served.env)
    finally:
        assert served.stop() == 0
    log = served.log.drain()
    assert log.count("could not reach api.githubcopilot.com") == 1
    assert "connection_strategy" not in log
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    running = next(line for line in lines if line.startswith("Running:"))
    assert "copilot-insight serve (process" in running and f"127.0.0.1:{served.port} since " in running
    assert any(line.startswith("Today:     0 request(s)") for line in lines)
    failure = next(line for line in lines if "api.githubcopilot.com" in line)
    assert "2 failed connection(s)" in failure and failure.endswith("the connection was refused")
    after = cli("status", env=served.env)
    assert "Running:   no proxy runs on this data folder" in after.stdout
