"""Isolation for every test: a temporary home, an in-memory keyring, no inherited secret file."""

import keyring
import pytest

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
