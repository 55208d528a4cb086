"""Fixtures for end-to-end tests: the fake Copilot upstream and a real proxy on loopback."""

import threading

import pytest

from desktop_app.core.paths import resolve_paths
from tests.e2e.harness import make_team, start_proxy
from tests.fakes.certs import make_test_pki
from tests.fakes.upstream import FakeCopilotUpstream


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def upstream(pki):
    with FakeCopilotUpstream(pki, sse_events=5, sse_interval=0.02) as server:
        yield server


@pytest.fixture
def team(isolated_home):
    return make_team(resolve_paths(isolated_home))


@pytest.fixture
def proxy(team, pki, upstream):
    running = start_proxy(team, pki, upstream.port)
    yield running
    running.service.stop()
    assert not running.errors, f"mitmproxy logged errors: {running.errors}"
    assert not [t for t in threading.enumerate() if t.name == "mitmproxy-loop"]
