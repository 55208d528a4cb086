"""Fixtures for end-to-end tests: a team and a real proxy on loopback (the upstream is in tests/conftest.py)."""

import threading

import pytest

from desktop_app.core.paths import resolve_paths
from tests.e2e.harness import make_team, start_proxy


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
