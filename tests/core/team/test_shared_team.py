"""The team in a shared PostgreSQL: changes on any instance apply to all; the secret never goes there."""

import json
import time
from dataclasses import replace

import pytest

from desktop_app.core.store.postgres import PostgresDatabase
from desktop_app.core.team.credentials import AuthResult, derive_password
from desktop_app.core.team.directory import add_developer, rotate_developer, set_enabled
from desktop_app.core.team.settings import Developer, Settings, load_settings, save_settings
from desktop_app.core.team.shared_team import SharedTeam, SharedTeamDirectory, secret_fingerprint
from tests.e2e.served import free_port
from tests.helpers.stores import rows

SECRET = b"s" * 32
OTHER = b"o" * 32


@pytest.fixture
def database(postgres_url):
    return PostgresDatabase(postgres_url)


def office(tmp_path, name, developers=()):
    path = tmp_path / name / "settings.json"
    path.parent.mkdir(parents=True)
    save_settings(path, replace(Settings(), developers=tuple(developers)))
    return path


def wait_until(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_first_instance_brings_its_team_and_every_instance_sees_changes(tmp_path, database):
    first = office(tmp_path, "a", [Developer("alice", "2026-01-01T00:00:00+00:00")])
    second = office(tmp_path, "b")
    assert [d.name for d in SharedTeam(database, first).settings().developers] == ["alice"]
    SharedTeam(database, second).update(lambda s: add_developer(s, "bob"))
    SharedTeam(database, first).update(lambda s: rotate_developer(set_enabled(s, "alice", enabled=False), "alice"))
    team = SharedTeam(database, second).settings().developers
    assert [(d.name, d.enabled, d.generation) for d in team] == [("alice", False, 1), ("bob", True, 0)]
    assert load_settings(second).developers == team  # the local copy follows
    stored = " ".join(str(r) for r in rows(database, "SELECT * FROM team_developers"))
    assert derive_password(SECRET, "bob", 0) not in stored


def test_a_running_directory_follows_changes_made_elsewhere(tmp_path, database):
    first, second = office(tmp_path, "a"), office(tmp_path, "b")
    directory = SharedTeamDirectory(SharedTeam(database, first), lambda: SECRET, poll_seconds=0.1)
    try:
        password = derive_password(SECRET, "carol", 0)
        assert directory.check("carol", password)[0] is AuthResult.UNKNOWN_USER
        SharedTeam(database, second).update(lambda s: add_developer(s, "carol"))
        wait_until(lambda: directory.check("carol", password)[0] is AuthResult.OK)
        wait_until(lambda: [d.name for d in load_settings(first).developers] == ["carol"])
    finally:
        directory.close()


def test_a_different_secret_is_detected_and_explained(tmp_path, database, caplog):
    first, second = office(tmp_path, "a"), office(tmp_path, "b")
    assert SharedTeam(database, first).check_secret(SECRET)
    assert SharedTeam(database, second).check_secret(SECRET)
    assert not SharedTeam(database, second).check_secret(OTHER)
    stored = json.dumps(rows(database, "SELECT key, value FROM meta"))
    assert secret_fingerprint(SECRET) in stored
    assert SECRET.decode() not in stored
    directory = SharedTeamDirectory(SharedTeam(database, second), lambda: OTHER, poll_seconds=60)
    directory.close()
    assert not directory.secret_matches
    assert "credential secret differs" in caplog.text


def test_a_proxy_starting_without_the_database_uses_the_local_copy(tmp_path):
    away = PostgresDatabase(f"postgresql://postgres@127.0.0.1:{free_port()}/none?connect_timeout=2")
    local = office(tmp_path, "a", [Developer("alice", "2026-01-01T00:00:00+00:00")])
    directory = SharedTeamDirectory(SharedTeam(away, local), lambda: SECRET, poll_seconds=60)
    try:
        assert directory.check("alice", derive_password(SECRET, "alice", 0))[0] is AuthResult.OK
    finally:
        directory.close()
