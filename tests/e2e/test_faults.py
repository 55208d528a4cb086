"""Faults around a running proxy: a damaged or locked database, a full disk, the keyring going away.

In each, developers' Copilot requests keep working, nothing the lead has is overwritten, and the lead is told in
words what failed. The full disk is a real one: a small tmpfs mounted (as root) over the data folder.
"""

import contextlib
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import keyring
import keyring.backend
import keyring.errors
import pytest

from desktop_app.core.paths import resolve_paths
from desktop_app.core.store.database import UsageStore
from desktop_app.core.team.directory import add_developer
from desktop_app.core.team.secrets import CachedSecret, KeyringSecretStore
from desktop_app.core.team.settings import load_settings, save_settings
from desktop_app.proxy.service import ProxyService, ServiceOptions
from tests.e2e.harness import COPILOT_API, REDIRECT_SCRIPT, EventLog, chat_body, make_team, start_proxy, wait_until


def _ask(running, name: str = "alice", password: str | None = None) -> int:
    """The status of one chat request; 407 when the proxy refused the tunnel."""
    with running.client(name, password=password) as client:
        try:
            return client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False)).status_code
        except httpx.ProxyError as exc:
            refusal = str(exc)
            assert "407" in refusal
            return 407



def _stored(database: Path) -> int:
    store = UsageStore.open(database)
    try:
        with contextlib.closing(store.read_connection()) as conn:
            return int(conn.execute("SELECT count(*) FROM usage_events").fetchone()[0])
    finally:
        store.close()


def test_a_damaged_database_at_start_copilot_works_the_file_is_left_and_the_lead_is_told(isolated_home, pki,
                                                                                         upstream):
    team = make_team(resolve_paths(isolated_home))
    damaged = b"SQLite format 3\x00" + os.urandom(8192)
    team.paths.database.parent.mkdir(parents=True, exist_ok=True)
    team.paths.database.write_bytes(damaged)
    running = start_proxy(team, pki, upstream.port)
    try:
        assert [_ask(running) for _ in range(3)] == [200, 200, 200]
        wait_until(lambda: running.errors)
    finally:
        running.service.stop()
    assert team.paths.database.read_bytes() == damaged
    assert len(running.errors) == 1, running.errors  # said once, not once per request
    assert "not recorded" in running.errors[0]
    assert "damaged or is not a Copilot Insight database" in running.errors[0]
    assert str(team.paths.database) in running.errors[0]
    assert running.service.recording.unrecorded == 3  # counted as lost when the proxy stopped


def test_a_locked_database_at_start_copilot_works_and_recording_catches_up(isolated_home, pki, upstream):
    team = make_team(resolve_paths(isolated_home))
    UsageStore.open(team.paths.database).close()
    holder = sqlite3.connect(team.paths.database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the database
    running = start_proxy(team, pki, upstream.port)
    try:
        assert [_ask(running) for _ in range(3)] == [200, 200, 200]
        wait_until(lambda: running.errors)
        holder.execute("ROLLBACK")
        holder.close()
        assert _ask(running) == 200  # the next batch stores the kept ones too
        wait_until(lambda: running.service.recording.stored == 4)
    finally:
        running.service.stop()
    assert "not recorded" in running.errors[0]
    assert _stored(team.paths.database) == 4


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs (Linux, as root): a disk that really fills up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"mounting a tmpfs needs root: {done.stderr}"
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb") as handle, contextlib.suppress(OSError):
        for _ in range(10_000):  # bounded: 4 MB is far less
            handle.write(b"\0" * 65536)
            handle.flush()
    return filler


def test_a_full_disk_while_developers_work(small_disk, pki, upstream):
    """Requests keep working while the disk is full; the lead is told; once there is room, recording resumes."""
    team = make_team(resolve_paths(small_disk / "data"))
    running = start_proxy(team, pki, upstream.port)
    try:
        assert _ask(running) == 200
        wait_until(lambda: running.service.recording.stored == 1)
        filler = _fill(small_disk)
        answers = [_ask(running, name) for name in ("alice", "bob") * 10]
        assert set(answers) == {200}
        wait_until(lambda: running.errors)
        filler.unlink()
        assert _ask(running) == 200
        wait_until(lambda: running.service.recording.stored == 22)
    finally:
        running.service.stop()
    assert "not recorded" in running.errors[0], running.errors
    assert running.service.recording.unrecorded == 0
    assert _stored(team.paths.database) == 22
    with contextlib.closing(sqlite3.connect(team.paths.database)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


class _GoneKeyring(keyring.backend.KeyringBackend):
    """A keyring whose service went away (the Secret Service daemon was stopped)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service, username):
        raise keyring.errors.KeyringError("org.freedesktop.secrets was not provided by any .service files")

    def set_password(self, service, username, password):
        raise keyring.errors.KeyringError("org.freedesktop.secrets was not provided by any .service files")

    def delete_password(self, service, username):
        raise keyring.errors.KeyringError("gone")


class _CrashingKeyring(_GoneKeyring):
    """A keyring whose D-Bus connection dropped: not even a `KeyringError`."""

    def get_password(self, service, username):
        raise ConnectionResetError("the D-Bus connection was closed")


def test_the_keyring_going_away_while_running(isolated_home, pki, upstream):
    """As `serve` and the tray do, the service reads the secret once; a new developer still gets in."""
    team = make_team(resolve_paths(isolated_home))
    secret = CachedSecret(KeyringSecretStore())
    events = EventLog()
    errors: list[str] = []
    service = ProxyService(team.paths, team.settings, secret, ServiceOptions(
        "127.0.0.1", 0, scripts=(REDIRECT_SCRIPT,),
        set_options=(f"fake_upstream=127.0.0.1:{upstream.port}", f"ssl_verify_upstream_trusted_ca={pki.ca_cert}")),
        listeners=[events.consume], on_error=errors.append)
    _, port = service.start()
    from tests.e2e.harness import RunningProxy

    running = RunningProxy(service, port, team, pki, events, errors)
    previous = keyring.get_keyring()
    try:
        assert _ask(running) == 200
        keyring.set_keyring(_GoneKeyring())
        save_settings(team.paths.settings_file, add_developer(load_settings(team.paths.settings_file), "dave"))
        from desktop_app.core.team.credentials import derive_password

        dave = derive_password(secret(), "dave", 0)
        running.team.passwords["dave"] = dave
        wait_until(lambda: _ask(running, "dave") == 200)
        assert _ask(running) == 200
    finally:
        keyring.set_keyring(previous)
        service.stop()
    assert not errors


def test_a_secret_loader_that_fails_keeps_the_previous_developers(isolated_home, pki, upstream):
    """Without the cache (the harness re-reads the keyring on each change), a dead keyring keeps the old list."""
    team = make_team(resolve_paths(isolated_home))
    running = start_proxy(team, pki, upstream.port)
    previous = keyring.get_keyring()
    try:
        assert _ask(running) == 200
        keyring.set_keyring(_CrashingKeyring())
        save_settings(team.paths.settings_file, add_developer(load_settings(team.paths.settings_file), "dave"))
        time.sleep(1.2)  # the directory looks at the file at most once a second
        assert [_ask(running) for _ in range(3)] == [200, 200, 200]
    finally:
        keyring.set_keyring(previous)
        running.service.stop()
