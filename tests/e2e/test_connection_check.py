"""`insight.check` answered by the proxy itself, and what a stuck developer leaves for the lead to see.

A real proxy on loopback, real clients (httpx, curl): the HTTPS check loads only for a client that
trusts the CA; a client that does not, a wrong password or an unknown name each become a connection
diagnostic for the right name, which `users list` shows.
"""

import base64
import shutil
import socket
import ssl
import subprocess
import time
from contextlib import closing
from dataclasses import replace

import httpx
import pytest

from desktop_app.core.errors import StoreError
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import ConnectionSummary, connection_summaries
from tests.e2e.harness import COPILOT_API, chat_body, start_proxy
from tests.e2e.served import cli

CHECK_HTTP = "http://insight.check/"
CHECK_HTTPS = "https://insight.check/"


def diagnostics(proxy) -> list[ConnectionSummary]:
    """What is stored so far (nothing while the writer is still creating the database)."""
    try:
        with closing(UsageStore.reader(proxy.team.paths.database)) as conn:
            return connection_summaries(conn)
    except StoreError:
        return []


def wait_for_diagnostic(proxy, kind: str, username: str, timeout: float = 10.0) -> ConnectionSummary:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [s for s in diagnostics(proxy) if s.kind == kind and s.username == username]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no {kind} diagnostic for {username!r} within {timeout} s")


def untrusting_client(proxy, name: str, password: str | None = None) -> httpx.Client:
    """A client that trusts only the public roots (certifi), not the proxy's CA."""
    return httpx.Client(proxy=proxy.url(name, password), timeout=10)


def test_plain_http_check_names_the_developer_and_points_to_https(proxy, upstream):
    before = len(upstream.requests)
    with proxy.client("alice") as client:
        reply = client.get(CHECK_HTTP)
    assert reply.status_code == 200
    assert reply.text.startswith("Connected as alice through Copilot Insight.")
    assert CHECK_HTTPS in reply.text
    assert len(upstream.requests) == before  # answered by the proxy, never forwarded


def test_https_check_proves_the_client_trusts_the_ca(proxy, upstream):
    before = len(upstream.requests)
    with proxy.client("bob") as client:
        text = client.get(CHECK_HTTPS)
        as_json = client.get(CHECK_HTTPS + "json")
        as_html = client.get(CHECK_HTTPS, headers={"Accept": "text/html"})
    assert text.status_code == 200 and "trusts the proxy's CA" in text.text
    assert as_json.json() == {"developer": "bob", "proxy": "Copilot Insight", "tls": True, "trusts_ca": True,
                              "message": text.text.strip()}
    assert as_html.headers["content-type"].startswith("text/html") and "<h1>" in as_html.text
    assert len(upstream.requests) == before
    passed = wait_for_diagnostic(proxy, "check_passed", "bob")
    assert passed.host == "insight.check" and passed.source == "127.0.0.1"


def test_the_check_needs_credentials_like_everything_else(proxy):
    with httpx.Client(proxy=f"http://127.0.0.1:{proxy.port}", timeout=10) as client:
        assert client.get(CHECK_HTTP).status_code == 407
    with pytest.raises(httpx.ProxyError, match="407"), untrusting_client(proxy, "alice", "wrong") as client:
        client.get(CHECK_HTTPS)


def test_a_client_without_the_ca_fails_visibly_and_the_lead_sees_why(proxy):
    with untrusting_client(proxy, "alice") as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY"):
        client.get(CHECK_HTTPS)
    with untrusting_client(proxy, "alice") as client, pytest.raises(httpx.ConnectError):
        client.post(f"{COPILOT_API}/chat/completions", json=chat_body())
    seen = wait_for_diagnostic(proxy, "untrusted_ca", "alice")
    deadline = time.monotonic() + 10
    hosts: set[str] = set()
    while time.monotonic() < deadline and hosts != {"insight.check", "api.githubcopilot.com"}:
        hosts = {s.host for s in diagnostics(proxy) if s.kind == "untrusted_ca" and s.username == "alice"}
        time.sleep(0.05)
    assert hosts == {"insight.check", "api.githubcopilot.com"}
    assert "unknown ca" in seen.detail
    assert not [s for s in diagnostics(proxy) if s.username == "bob"]  # attributed by login, not by address


def test_refused_logins_are_recorded_per_name_without_the_password(proxy):
    attempts = [("bob", "not-his-password"), ("mallory", "guess"), ("carol", None)]  # carol is disabled
    for name, password in attempts:
        secret = proxy.team.passwords[name] if password is None else password
        with pytest.raises(httpx.ProxyError, match="407"), untrusting_client(proxy, name, secret) as client:
            client.get(CHECK_HTTPS)
    assert wait_for_diagnostic(proxy, "wrong_password", "bob").count == 1
    assert wait_for_diagnostic(proxy, "unknown_user", "mallory").source == "127.0.0.1"
    assert wait_for_diagnostic(proxy, "disabled", "carol").count == 1
    stored = proxy.team.paths.database.read_bytes()
    assert b"not-his-password" not in stored and b"guess" not in stored


def test_copilot_only_still_answers_the_check(team, pki, upstream):
    team.settings = replace(team.settings, proxy=replace(team.settings.proxy, copilot_only=True))
    running = start_proxy(team, pki, upstream.port)
    try:
        with running.client("alice") as client:
            assert "trusts the proxy's CA" in client.get(CHECK_HTTPS).text
            with pytest.raises(httpx.ProxyError, match="403"):
                client.get("https://example.com/")
    finally:
        running.service.stop()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_passes_the_check_with_the_ca_and_fails_without_it(proxy):
    proxy_url = proxy.url("alice")
    trusted = subprocess.run(["curl", "-sS", "--proxy", proxy_url, "--cacert", str(proxy.mitm_ca), CHECK_HTTPS],
                             capture_output=True, text=True, timeout=30, check=False)
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.startswith("Connected as alice") and "trusts the proxy's CA" in trusted.stdout
    untrusted = subprocess.run(["curl", "-sS", "--proxy", proxy_url, "--cacert", str(proxy.pki.ca_cert), CHECK_HTTPS],
                               capture_output=True, text=True, timeout=30, check=False)
    assert untrusted.returncode == 60, untrusted.stderr  # curl: peer certificate cannot be authenticated
    wait_for_diagnostic(proxy, "untrusted_ca", "alice")


def test_users_list_shows_each_developers_problems_and_unknown_names(proxy, tmp_path):
    with untrusting_client(proxy, "alice") as client, pytest.raises(httpx.ConnectError):
        client.get(CHECK_HTTPS)
    with pytest.raises(httpx.ProxyError), untrusting_client(proxy, "mallory", "x") as client:
        client.get(CHECK_HTTPS)
    wait_for_diagnostic(proxy, "untrusted_ca", "alice")
    wait_for_diagnostic(proxy, "unknown_user", "mallory")
    env = {"COPILOT_INSIGHT_HOME": str(proxy.team.paths.data_dir), "PATH": "/usr/bin:/bin"}
    listed = cli("users", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    alice = lines.index(next(line for line in lines if line.startswith("alice ")))
    assert "does not trust the proxy's CA" in lines[alice + 1] and "insight.check" in lines[alice + 1]
    assert "Unknown usernames" in listed.stdout and "'mallory': 1 attempt (from 127.0.0.1" in listed.stdout


def test_a_client_offering_http2_gets_the_check_too(proxy):
    with proxy.client("alice", http2=True) as client:
        reply = client.get(CHECK_HTTPS + "json")
    assert reply.http_version == "HTTP/1.1"  # no upstream to agree on h2 with: mitmproxy offers HTTP/1.1
    assert reply.json()["developer"] == "alice" and reply.json()["tls"] is True


def open_tunnel(proxy, name: str, target: str, host_header: str) -> socket.socket:
    """A raw CONNECT with `name`'s credentials; the caller closes the returned socket."""
    credentials = base64.b64encode(f"{name}:{proxy.team.passwords[name]}".encode()).decode()
    raw = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    raw.sendall((f"CONNECT {target} HTTP/1.1\r\nHost: {host_header}\r\n"
                 f"Proxy-Authorization: Basic {credentials}\r\n\r\n").encode())
    assert raw.recv(4096).startswith(b"HTTP/1.1 200")
    return raw


def test_a_connect_whose_host_header_names_the_proxy_reaches_the_check(proxy):
    """Node.js sends `Host: <proxy>` on CONNECT; the check must go by the CONNECT target."""
    with (open_tunnel(proxy, "alice", "insight.check:443", f"127.0.0.1:{proxy.port}") as raw,
          proxy.trust().wrap_socket(raw, server_hostname="insight.check") as tls):
        tls.sendall(b"GET / HTTP/1.1\r\nHost: insight.check\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := tls.recv(65536):
            reply += chunk
    assert b"Connected as alice" in reply


def test_a_client_that_hangs_up_mid_handshake_is_reported_as_not_trusting_the_ca(proxy):
    """Node.js clients (VS Code, the Copilot language server) close the connection without an alert."""
    with open_tunnel(proxy, "bob", "api.githubcopilot.com:443", "api.githubcopilot.com:443") as raw:
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="api.githubcopilot.com")
        with pytest.raises(ssl.SSLWantReadError):
            tls.do_handshake()
        raw.sendall(outgoing.read())  # the ClientHello
        assert raw.recv(65536)  # the proxy's ServerHello and certificate; then hang up without a word
    seen = wait_for_diagnostic(proxy, "untrusted_ca", "bob")
    assert "hung up" in seen.detail and seen.host == "api.githubcopilot.com"
