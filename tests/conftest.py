"""Isolation for every test: a temporary home, an in-memory keyring, no inherited secret file, no screen."""

import os

# Before anything imports Qt: widgets render offscreen, with no display and no tray host.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import pytest

from tests.fakes.certs import make_test_pki
from tests.fakes.upstream import FakeCopilotUpstream
from tests.helpers.memory_keyring import MemoryKeyring


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("COPILOT_INSIGHT_HOME", str(home))
    monkeypatch.delenv("COPILOT_INSIGHT_SECRET_FILE", raising=False)
    return home


@pytest.fixture(autouse=True)
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A test CA and a certificate for the fake Copilot hosts."""
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def upstream(pki):
    """The fake Copilot upstream (HTTPS, h1 and h2, SSE) on loopback, for the whole session."""
    with FakeCopilotUpstream(pki, sse_events=5, sse_interval=0.02) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server (Debian's package) on loopback for the session; stopped by its PID afterwards."""
    from tests.helpers.postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.cleanup()


@pytest.fixture
def postgres_url(postgres_server):
    """An empty PostgreSQL database of this test's own."""
    url = postgres_server.new_database()
    yield url
    postgres_server.drop_database(url)
