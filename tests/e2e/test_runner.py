"""The engine's life cycle: clear start errors, clean restarts, nothing leaked."""

import logging
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from desktop_app.core.errors import ProxyStartError
from tests.e2e.harness import COPILOT_API, start_proxy


def _open_fds() -> int:
    return len(list(Path("/proc/self/fd").iterdir()))


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_port_in_use_is_a_clear_error_within_two_seconds(team, pki, upstream):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(ProxyStartError, match=f"Port {port} on 127.0.0.1 is already in use"):
            start_proxy(team, pki, upstream.port, port=port)
        assert time.monotonic() - started < 2
    assert not [t for t in threading.enumerate() if t.name == "mitmproxy-loop"]
    logging.getLogger("after").error("logging still works after a failed start")  # gotcha G2


@pytest.mark.parametrize(("host", "message"), [
    ("203.0.113.7", "is not an address of this computer"),
    ("not-an-address.invalid", "is not valid"),
])
def test_bad_listen_address_is_a_clear_error(team, pki, upstream, host, message):
    from desktop_app.core.team.secrets import KeyringSecretStore, load_or_create_secret
    from desktop_app.proxy.service import ProxyService, ServiceOptions

    service = ProxyService(team.paths, team.settings, lambda: load_or_create_secret(KeyringSecretStore()),
                           ServiceOptions(host, 0))
    started = time.monotonic()
    with pytest.raises(ProxyStartError, match=message):
        service.start()
    assert time.monotonic() - started < 2


def test_unknown_mitmproxy_option_is_a_clear_error_naming_it(team, pki, upstream):
    with pytest.raises(ProxyStartError, match="option is invalid: unknown option no_such_option"):
        start_proxy(team, pki, upstream.port, extra_set=("no_such_option=1",))


def test_invalid_value_of_an_on_demand_addon_option_is_a_clear_error(team, pki, upstream):
    with pytest.raises(ProxyStartError, match="option is invalid"):
        start_proxy(team, pki, upstream.port, extra_set=("modify_headers=not a spec",))


@pytest.mark.parametrize("anticache", [False, True])
def test_an_option_of_a_default_addon_loads_that_addon(team, pki, upstream, anticache):
    """The lean chain leaves mitmproxy's anticache addon out, unless `--set anticache=true` asks for it."""
    running = start_proxy(team, pki, upstream.port, extra_set=("anticache=true",) if anticache else ())
    try:
        with running.client("alice") as client:
            assert client.get(f"{COPILOT_API}/models", headers={"If-None-Match": '"v1"'}).status_code == 200
        assert (upstream.requests[-1].header("if-none-match") is None) is anticache
    finally:
        running.service.stop()


def test_ten_start_stop_cycles_leak_no_threads_sockets_or_port(team, pki, upstream):
    def cycle():
        running = start_proxy(team, pki, upstream.port)
        with running.client("alice") as client:
            assert client.get(f"{COPILOT_API}/models").status_code == 200
        # a keep-alive connection is still open while we stop
        idle = running.client("bob")
        idle.get(f"{COPILOT_API}/models")
        running.service.stop()
        idle.close()
        assert _refused(running.port), "the listening socket survived stop()"
        assert not running.errors

    cycle()  # warm-up: first CA load, imports, lazily created pools
    threads, fds = threading.active_count(), _open_fds()
    for _ in range(10):
        cycle()
    assert threading.active_count() <= threads
    assert _open_fds() <= fds + 2, "file descriptors leaked across start/stop cycles"


def test_stop_closes_open_client_connections(proxy):
    with proxy.client("alice") as client:
        assert client.get(f"{COPILOT_API}/models").status_code == 200
        started = time.monotonic()
        proxy.service.stop()
        assert time.monotonic() - started < 3
        with pytest.raises((httpx.TransportError,)):
            client.get(f"{COPILOT_API}/models")


def test_mitmproxy_errors_reach_the_callback(proxy):
    logging.getLogger("mitmproxy.proxy.server").error("synthetic failure for the test")
    assert proxy.errors == ["synthetic failure for the test"]
    proxy.errors.clear()
