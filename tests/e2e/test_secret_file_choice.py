"""Without a keyring, the data folder's `credential-secret` (made by the tray's choice, or by hand) is used."""

import base64
import os
import secrets

import pytest

from desktop_app.core.team.credentials import derive_password
from tests.e2e.served import cli


@pytest.fixture
def env(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != "COPILOT_INSIGHT_SECRET_FILE"}
    return environment | {"COPILOT_INSIGHT_HOME": str(tmp_path / "data"),
                          "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def write_secret(tmp_path, text: str):
    path = tmp_path / "data" / "credential-secret"
    path.parent.mkdir(mode=0o700)
    path.write_text(text, encoding="ascii")
    path.chmod(0o600)
    return path


def test_a_hand_made_secret_in_the_data_folder_is_used_by_every_command(tmp_path, env):
    secret = secrets.token_bytes(32)
    write_secret(tmp_path, base64.b64encode(secret).decode() + "\n")  # as `openssl rand -base64 32` writes it
    added = cli("users", "add", "alice", "--password-only", env=env)
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == derive_password(secret, "alice", 0)
    assert "keyring" not in added.stderr  # no warning: this file is the choice made once


def test_a_secret_file_of_the_wrong_size_says_what_it_holds(tmp_path, env):
    path = write_secret(tmp_path, secrets.token_bytes(24).hex())
    result = cli("users", "add", "alice", env=env)
    assert result.returncode == 1
    assert f"The secret in the secret file {path} cannot be used:" in result.stderr
    assert "it holds 48 hex digits, not 64" in result.stderr
    assert "openssl rand -hex 32" in result.stderr
