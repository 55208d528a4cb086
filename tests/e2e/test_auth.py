"""Authentication and attribution through a real proxy: 407 before anything is forwarded."""

import asyncio
import base64
import http.server
import threading
from collections import Counter

import httpx
import pytest

from desktop_app.core.team.directory import add_developer, rotate_developer
from desktop_app.core.team.settings import load_settings, save_settings
from tests.e2e.harness import COPILOT_API, COPILOT_PROXY, chat_body, completion_body


def _connect_status(proxy, target: str, credentials: str | None, host_header: str | None = None) -> int:
    """Send a raw CONNECT (so the 407 itself is observable) and return the status code.

    `host_header` defaults to the target; Node.js, for one, sends the proxy's own address there.
    """
    import socket

    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        header = ""
        if credentials is not None:
            header = f"Proxy-Authorization: Basic {base64.b64encode(credentials.encode()).decode()}\r\n"
        host = host_header or target
        sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {host}\r\n{header}\r\n".encode())
        reply = sock.recv(4096).decode("latin-1")
    assert "Proxy-Authenticate" in reply or not reply.startswith("HTTP/1.1 407"), reply
    return int(reply.split()[1])


@pytest.mark.parametrize("target", ["api.githubcopilot.com:443", "passthrough.example:443", "example.com:443"])
@pytest.mark.parametrize("credentials", [None, "alice:wrong-password", "mallory:whatever", "carol:<right>", "garbage"])
def test_every_unauthenticated_connect_gets_407(proxy, upstream, target, credentials):
    if credentials == "carol:<right>":  # disabled developer with the right password
        credentials = f"carol:{proxy.team.passwords['carol']}"
    seen_before = len(upstream.requests)
    assert _connect_status(proxy, target, credentials) == 407
    assert len(upstream.requests) == seen_before  # nothing was forwarded


def test_right_password_opens_the_tunnel(proxy):
    assert _connect_status(proxy, "api.githubcopilot.com:443", f"alice:{proxy.team.passwords['alice']}") == 200


def test_wrong_password_is_refused_by_a_real_client(proxy, upstream):
    with proxy.client("alice", password="nope") as client, pytest.raises(httpx.ProxyError, match="407"):
        client.get(f"{COPILOT_API}/models")
    assert not proxy.events.events


@pytest.fixture
def plain_upstream():
    """A plain-HTTP server on loopback that records the headers it received."""
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_plain_http_needs_credentials_on_every_request_and_never_forwards_them(proxy, plain_upstream):
    port, seen = plain_upstream
    url = f"http://127.0.0.1:{port}/x"
    with httpx.Client(proxy=f"http://127.0.0.1:{proxy.port}", timeout=5) as anonymous:
        assert anonymous.get(url).status_code == 407
    assert not seen
    with proxy.client("alice") as client:
        assert client.get(url).status_code == 200
    assert len(seen) == 1
    assert "proxy-authorization" not in seen[0]


def test_two_developers_behind_one_address_are_told_apart(proxy):
    with proxy.client("alice") as alice, proxy.client("bob") as bob:
        for _ in range(3):
            assert alice.post(f"{COPILOT_PROXY}/v1/engines/gpt-4o-copilot/completions",
                              json=completion_body(stream=False)).status_code == 200
            assert bob.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False)).status_code == 200
            assert bob.get(f"{COPILOT_API}/models").status_code == 200
    events = proxy.events.wait_for(9)
    assert Counter(e.developer for e in events) == {"alice": 3, "bob": 6}
    assert {e.kind for e in events if e.developer == "alice"} == {"completion"}
    assert {e.kind for e in events if e.developer == "bob"} == {"model_call", "infra"}


async def test_http2_streams_in_one_tunnel_are_attributed(proxy, upstream):
    async with httpx.AsyncClient(proxy=proxy.url("bob"), http2=True, verify=proxy.trust(), timeout=10) as client:
        responses = await asyncio.gather(*(
            client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False)) for _ in range(6)))
    assert all(r.status_code == 200 and r.http_version == "HTTP/2" for r in responses)
    events = proxy.events.wait_for(6)
    assert [e.developer for e in events] == ["bob"] * 6
    assert {e.http_version for e in events} == {"HTTP/2.0"}
    assert upstream.requests[-1].http_version == "2"


def test_users_added_rotated_or_disabled_while_running_take_effect(proxy):
    paths = proxy.team.paths
    old_alice = proxy.team.passwords["alice"]
    settings = rotate_developer(add_developer(load_settings(paths.settings_file), "dave"), "alice")
    save_settings(paths.settings_file, settings)
    from desktop_app.core.team.credentials import derive_password
    from desktop_app.core.team.secrets import KeyringSecretStore, load_or_create_secret

    secret = load_or_create_secret(KeyringSecretStore())
    dave = derive_password(secret, "dave", 0)
    new_alice = derive_password(secret, "alice", 1)
    # The directory re-reads the file at most once a second.
    for _ in range(30):
        if _connect_status(proxy, "api.githubcopilot.com:443", f"dave:{dave}") == 200:
            break
        threading.Event().wait(0.1)
    else:
        pytest.fail("a developer added to the settings was not accepted within 3 s")
    assert _connect_status(proxy, "api.githubcopilot.com:443", f"alice:{old_alice}") == 407
    assert _connect_status(proxy, "api.githubcopilot.com:443", f"alice:{new_alice}") == 200


def test_copilot_only_refuses_other_hosts_after_authentication(team, pki, upstream):
    from dataclasses import replace

    from tests.e2e.harness import start_proxy

    team.settings = replace(team.settings, proxy=replace(team.settings.proxy, copilot_only=True))
    running = start_proxy(team, pki, upstream.port)
    try:
        creds = f"alice:{team.passwords['alice']}"
        assert _connect_status(running, "example.com:443", None) == 407
        assert _connect_status(running, "example.com:443", creds) == 403
        assert _connect_status(running, "api.github.com:443", creds) == 200
        assert _connect_status(running, "api.githubcopilot.com:443", creds) == 200
        # The destination is the CONNECT target, whatever the Host header says.
        assert _connect_status(running, "example.com:443", creds, host_header="api.githubcopilot.com") == 403
        assert _connect_status(running, "api.githubcopilot.com:443", creds,
                               host_header=f"127.0.0.1:{running.port}") == 200
    finally:
        running.service.stop()


def test_copilot_only_judges_a_plain_http_request_by_its_target_not_its_host_header(team, pki, upstream):
    from dataclasses import replace

    from tests.e2e.harness import start_proxy

    team.settings = replace(team.settings, proxy=replace(team.settings.proxy, copilot_only=True))
    running = start_proxy(team, pki, upstream.port)
    try:
        with httpx.Client(proxy=running.url("alice"), timeout=10) as client:
            reply = client.get("http://example.com/", headers={"Host": "api.githubcopilot.com"})
        assert reply.status_code == 403
        assert "example.com is not part of Copilot" in reply.text
    finally:
        running.service.stop()
