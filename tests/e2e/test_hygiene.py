"""Connection hygiene through a real proxy: nobody holds it open without credentials, developers are served.

Attack connections come from other loopback addresses (127.0.0.2 and up: Linux routes all of 127/8 to
`lo`), the developer from 127.0.0.1, as an attacker on the LAN and a developer would.
"""

import base64
import contextlib
import resource
import selectors
import socket
import subprocess
import threading
import time
from dataclasses import replace

import pytest

from desktop_app.proxy.hygiene import HygieneLimits
from tests.e2e.harness import COPILOT_API, chat_body, wait_until

CONNECT = b"CONNECT api.githubcopilot.com:443 HTTP/1.1\r\nHost: api.githubcopilot.com:443\r\n"


def _open(proxy, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10, source_address=(source, 0))
    linger = b"\x01\x00\x00\x00\x00\x00\x00\x00"  # on, 0 s: close sends RST and leaves no TIME_WAIT
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
    return sock


def _read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    """Everything the proxy sends until it closes the connection; fails if it does not within `timeout`."""
    sock.settimeout(timeout)
    received = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    pytest.fail(f"the proxy kept the connection open for {timeout} s; it sent {received!r}")


def _credentials(proxy, name: str = "alice") -> bytes:
    token = base64.b64encode(f"{name}:{proxy.team.passwords[name]}".encode())
    return b"Proxy-Authorization: Basic " + token + b"\r\n"


def _limits(proxy, **changes) -> None:
    proxy.service.hygiene.limits = replace(HygieneLimits(), tick=0.1, **changes)


def test_a_407_closes_the_connection(proxy):
    with _open(proxy) as sock:
        sock.sendall(CONNECT + b"\r\n")
        reply = _read_until_closed(sock, 5)
    assert reply.startswith(b"HTTP/1.1 407")
    assert b"connection: close" in reply.lower()


def test_a_wrong_password_gets_its_407_and_the_connection_closes(proxy):
    with _open(proxy) as sock:
        sock.sendall(CONNECT + b"Proxy-Authorization: Basic " + base64.b64encode(b"alice:nope") + b"\r\n\r\n")
        assert _read_until_closed(sock, 5).startswith(b"HTTP/1.1 407")


def test_challenge_response_clients_retry_on_a_new_connection(proxy, upstream):
    """curl --proxy-anyauth first asks without credentials, gets the 407 (and the close), then asks again."""
    result = subprocess.run(
        ["curl", "-sS", "--max-time", "20", "--proxy-anyauth", "--proxy", f"http://127.0.0.1:{proxy.port}",
         "--proxy-user", f"alice:{proxy.team.passwords['alice']}", "--cacert", str(proxy.mitm_ca),
         "-o", "/dev/null", "-w", "%{http_code}", f"{COPILOT_API}/models"],
        capture_output=True, text=True, timeout=30, check=False)
    assert result.stdout == "200", result.stderr


def test_an_idle_connection_is_closed_after_the_header_deadline(proxy):
    _limits(proxy, header_deadline=1.0, auth_deadline=3.0)
    started = time.monotonic()
    with _open(proxy, "127.0.0.2") as sock:
        assert _read_until_closed(sock, 10) == b""
    assert 0.9 <= time.monotonic() - started < 5
    assert proxy.service.hygiene.stats.closed["header_timeout"] == 1


def test_a_slowloris_connection_is_closed_although_it_keeps_sending(proxy):
    _limits(proxy, header_deadline=1.0, auth_deadline=3.0)
    started = time.monotonic()
    with _open(proxy, "127.0.0.2") as sock:
        sock.sendall(CONNECT)
        sock.settimeout(0.3)
        closed = False
        for n in range(40):  # a header line every 0.3 s, far longer than the deadline
            try:
                sock.sendall(f"X-Slow-{n}: 1\r\n".encode())
                closed = sock.recv(1) == b""
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
            if closed:
                break
    assert closed
    assert time.monotonic() - started < 5
    assert proxy.service.hygiene.stats.closed["header_timeout"] == 1


def test_a_source_may_hold_only_a_few_unauthenticated_connections(proxy):
    _limits(proxy, max_pending_per_source=3, header_deadline=30.0, auth_deadline=30.0)
    held = [_open(proxy, "127.0.0.3") for _ in range(3)]
    try:
        for sock in held:  # each is accepted and waits for its head
            sock.sendall(b"CONNECT api.githubcopilot.com:443 HTTP/1.1\r\n")
        with _open(proxy, "127.0.0.3") as fourth:
            assert _read_until_closed(fourth, 5) == b""
        with _open(proxy, "127.0.0.4") as other:  # another source is not affected
            other.sendall(CONNECT + _credentials(proxy) + b"\r\n")
            other.settimeout(5)
            assert other.recv(4096).startswith(b"HTTP/1.1 200")
        with _open(proxy, "127.0.0.3") as after:  # the developer on that address too, once one left
            held.pop().close()
            wait_until(lambda: proxy.service.hygiene.pending_from("127.0.0.3") < 3)
            after.close()
        with _open(proxy, "127.0.0.3") as developer:
            developer.sendall(CONNECT + _credentials(proxy) + b"\r\n")
            developer.settimeout(5)
            assert developer.recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        for sock in held:
            sock.close()
    assert proxy.service.hygiene.stats.closed["too_many_connections"] >= 1


def test_an_idle_authenticated_tunnel_is_closed_after_the_idle_timeout(proxy):
    _limits(proxy, idle_timeout=1.0)
    with _open(proxy) as sock:
        sock.sendall(CONNECT + _credentials(proxy) + b"\r\n")
        sock.settimeout(5)
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert _read_until_closed(sock, 10) == b""
    assert 0.9 <= time.monotonic() - started < 5
    assert proxy.service.hygiene.stats.closed["idle"] == 1


def test_an_authenticated_tunnel_is_not_held_to_the_deadlines(proxy):
    _limits(proxy, header_deadline=0.5, auth_deadline=1.0)
    with proxy.client("alice") as client:
        for _ in range(4):  # spread over more than the deadlines, on one keep-alive tunnel
            assert client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False)).status_code == 200
            time.sleep(0.5)
    assert not proxy.service.hygiene.stats.closed


def test_refused_connections_and_logins_are_in_the_auth_log(proxy):
    _limits(proxy, header_deadline=0.5)
    with _open(proxy, "127.0.0.5") as sock:
        _read_until_closed(sock, 10)
    with _open(proxy, "127.0.0.6") as sock:
        sock.sendall(CONNECT + b"Proxy-Authorization: Basic " + base64.b64encode(b"mallory:guess") + b"\r\n\r\n")
        _read_until_closed(sock, 5)
    log = proxy.service.auth_log.path
    wait_until(lambda: log.exists() and log.read_text().count("\n") >= 2)
    lines = log.read_text().splitlines()
    assert any(" refused source=127.0.0.5 reason=header_timeout " in line for line in lines)
    assert any(' refused source=127.0.0.6 reason=unknown_user user="mallory" ' in line for line in lines)
    assert "guess" not in log.read_text()
    assert log.stat().st_mode & 0o777 == 0o600



IDLE, SLOWLORIS, PER_SOURCE = 1000, 200, 10


def _fd_budget(needed: int) -> float:
    """Raise the soft fd limit for this process (proxy and attack share it); return the share of the counts to use."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed + 512
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        soft = min(want, hard)
    return min(1.0, (soft - 512) / needed)


def test_a_developer_is_served_throughout_an_attack(proxy):
    """1,000 idle and 200 slowloris connections from 120 addresses; alice keeps working on new connections."""
    share = _fd_budget(2 * (IDLE + SLOWLORIS))  # both ends of every connection live in this process
    idle_count, slow_count = int(IDLE * share), int(SLOWLORIS * share)
    print(f"attack: {idle_count} idle + {slow_count} slowloris connections (share {share:.2f} of the target)")
    sources = (f"127.0.{1 + i // 250}.{2 + i % 250}" for i in range(10_000))
    attack: list[socket.socket] = []
    source = next(sources)
    for n in range(idle_count + slow_count):
        if n % PER_SOURCE == 0:
            source = next(sources)
        attack.append(_open(proxy, source))
    slow = attack[idle_count:]
    stop = threading.Event()

    def trickle() -> None:
        for sock in slow:
            sock.sendall(CONNECT)
        n = 0
        while not stop.wait(0.5):
            n += 1
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.sendall(f"X-Slow-{n}: 1\r\n".encode())

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    latencies: list[float] = []
    try:
        deadline = time.monotonic() + HygieneLimits().header_deadline + 5
        while time.monotonic() < deadline:  # a fresh client (new tunnel) each time: accepted during the attack
            with proxy.client("alice") as client:
                started = time.monotonic()
                reply = client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=True))
                latencies.append(time.monotonic() - started)
                assert reply.status_code == 200
        open_left = _still_open(attack, timeout=10)
    finally:
        stop.set()
        trickler.join(5)
        for sock in attack:
            sock.close()
    print(f"developer: {len(latencies)} requests, slowest {max(latencies) * 1000:.0f} ms; "
          f"closed: {dict(proxy.service.hygiene.stats.closed)}")
    assert open_left == 0
    assert len(latencies) >= 5
    assert max(latencies) < 5.0
    closed = proxy.service.hygiene.stats.closed
    assert closed["header_timeout"] == idle_count + slow_count


def _still_open(socks: list[socket.socket], timeout: float) -> int:
    """Wait until the proxy closed every socket (EOF or reset); return how many it did not close in time."""
    selector = selectors.DefaultSelector()
    for sock in socks:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    left = len(socks)
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.5):
            sock = key.fileobj
            try:
                data = sock.recv(65536)
            except (ConnectionResetError, BlockingIOError):
                data = b""
            if not data:
                selector.unregister(sock)
                left -= 1
    selector.close()
    return left


def test_a_team_behind_one_address_opening_many_tunnels_at_once_is_served(proxy):
    """Authenticated connections stop counting towards the limit as soon as they authenticate."""
    _limits(proxy, max_pending_per_source=8)
    statuses: list[bytes] = []

    def tunnel() -> None:
        with _open(proxy) as sock:
            sock.sendall(CONNECT + _credentials(proxy) + b"\r\n")
            sock.settimeout(10)
            statuses.append(sock.recv(4096)[:12])
            time.sleep(1)  # keep it open while the others connect

    threads: list[threading.Thread] = []
    for _ in range(3):  # waves of 8 at once, 24 open in the end
        wave = [threading.Thread(target=tunnel) for _ in range(8)]
        for thread in wave:
            thread.start()
        threads += wave
        time.sleep(0.2)
    for thread in threads:
        thread.join(15)
    assert set(statuses) == {b"HTTP/1.1 200"}
