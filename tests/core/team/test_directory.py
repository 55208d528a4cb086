import logging
import os
import threading
import time
from datetime import UTC, datetime

import pytest

from desktop_app.core.errors import TeamError
from desktop_app.core.team.credentials import AuthResult, CredentialChecker, derive_password
from desktop_app.core.team.directory import (
    TeamDirectory,
    add_developer,
    remove_developer,
    require_developer,
    rotate_developer,
    set_enabled,
)
from desktop_app.core.team.settings import Settings, load_settings, save_settings, update_settings

SECRET = b"s" * 32
NOW = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


def team(*names):
    settings = Settings()
    for name in names:
        settings = add_developer(settings, name, now=NOW)
    return settings


def check(settings, name, password):
    return CredentialChecker(SECRET, settings.developers).check(name, password)


def test_add_developer():
    settings = team("alice", "bob")
    assert [d.name for d in settings.developers] == ["alice", "bob"]
    alice = require_developer(settings, "ALICE")
    assert (alice.generation, alice.enabled, alice.created) == (0, True, "2026-01-31T09:00:00+00:00")
    assert check(settings, "alice", derive_password(SECRET, "alice", 0)) == (AuthResult.OK, "alice")


def test_add_uses_the_current_time_by_default():
    developer = add_developer(Settings(), "alice").developers[0]
    assert abs((datetime.fromisoformat(developer.created) - datetime.now(UTC)).total_seconds()) < 60


@pytest.mark.parametrize("name", ["alice", "Alice", "ALICE"])
def test_duplicate_is_refused(name):
    with pytest.raises(TeamError, match="already exists"):
        add_developer(team("alice"), name)


@pytest.mark.parametrize("name", ["", "bad:name", "-dash-first", "a" * 65, "with space"])
def test_invalid_name_is_refused_with_a_sentence(name):
    with pytest.raises(TeamError) as caught:
        add_developer(Settings(), name)
    message = caught.value.user_message
    assert message.startswith(f"{name!r} is not a valid developer name: use 1 to 64 letters")
    assert message.endswith(".")


@pytest.mark.parametrize("operation", [
    lambda s: remove_developer(s, "carol"),
    lambda s: set_enabled(s, "carol", False),
    lambda s: rotate_developer(s, "carol"),
], ids=["remove", "disable", "rotate"])
def test_unknown_name_lists_existing_developers(operation):
    with pytest.raises(TeamError) as caught:
        operation(team("alice", "bob"))
    assert caught.value.user_message == "There is no developer called 'carol' (developers: alice, bob)."


def test_unknown_name_in_an_empty_team():
    with pytest.raises(TeamError, match=r"\(developers: none yet\)"):
        remove_developer(Settings(), "carol")


def test_remove_developer():
    settings = remove_developer(team("alice", "bob"), "ALICE")
    assert [d.name for d in settings.developers] == ["bob"]
    assert check(settings, "alice", derive_password(SECRET, "alice", 0))[0] is AuthResult.UNKNOWN_USER


def test_disable_and_enable():
    password = derive_password(SECRET, "alice", 0)
    disabled = set_enabled(team("alice", "bob"), "alice", False)
    assert not require_developer(disabled, "alice").enabled
    assert require_developer(disabled, "bob").enabled
    assert check(disabled, "alice", password) == (AuthResult.DISABLED, None)
    enabled = set_enabled(disabled, "alice", True)
    assert check(enabled, "alice", password) == (AuthResult.OK, "alice")


def test_rotate_changes_the_password():
    settings = team("alice", "bob")
    rotated = rotate_developer(rotate_developer(settings, "alice"), "alice")
    assert require_developer(rotated, "alice").generation == 2
    assert require_developer(rotated, "bob").generation == 0
    assert check(rotated, "alice", derive_password(SECRET, "alice", 0)) == (AuthResult.WRONG_PASSWORD, None)
    assert check(rotated, "alice", derive_password(SECRET, "alice", 2)) == (AuthResult.OK, "alice")
    assert check(rotated, "bob", derive_password(SECRET, "bob", 0)) == (AuthResult.OK, "bob")


def test_team_changes_survive_a_save(tmp_path):
    path = tmp_path / "settings.json"
    update_settings(path, lambda s: add_developer(s, "alice", now=NOW))
    update_settings(path, lambda s: rotate_developer(s, "alice"))
    assert require_developer(load_settings(path), "alice").generation == 1


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def bump_mtime(path):
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 5_000_000_000))


@pytest.fixture
def directory_setup(tmp_path):
    path = tmp_path / "settings.json"
    save_settings(path, team("alice"))
    clock = FakeClock()
    directory = TeamDirectory(path, lambda: SECRET, clock=clock, background=lambda job: job())
    return path, clock, directory


def test_a_reload_runs_off_the_checking_thread_and_the_old_list_answers_meanwhile(tmp_path):
    path = tmp_path / "settings.json"
    save_settings(path, team("alice"))
    clock, jobs, secret_loads = FakeClock(), [], []

    def load_secret():
        secret_loads.append(threading.current_thread().name)
        return SECRET

    directory = TeamDirectory(path, load_secret, clock=clock, background=jobs.append)
    bob = derive_password(SECRET, "bob", 0)
    save_settings(path, add_developer(load_settings(path), "bob", now=NOW))
    bump_mtime(path)
    clock.now += 2
    assert directory.check("bob", bob)[0] is AuthResult.UNKNOWN_USER  # the old list, no derivation here
    assert len(jobs) == 1 and len(secret_loads) == 1  # only the initial load so far
    clock.now += 2
    directory.check("bob", bob)
    assert len(jobs) == 1  # one reload at a time
    jobs.pop()()
    assert directory.check("bob", bob) == (AuthResult.OK, "bob")


def test_by_default_a_reload_runs_on_a_thread_of_its_own(tmp_path):
    path = tmp_path / "settings.json"
    save_settings(path, team("alice"))
    clock, threads = FakeClock(), []

    def load_secret():
        threads.append(threading.current_thread().name)
        return SECRET

    directory = TeamDirectory(path, load_secret, clock=clock)
    save_settings(path, add_developer(load_settings(path), "bob", now=NOW))
    bump_mtime(path)
    clock.now += 2
    bob = derive_password(SECRET, "bob", 0)
    directory.check("bob", bob)
    deadline = time.monotonic() + 10
    while directory.check("bob", bob)[0] is not AuthResult.OK and time.monotonic() < deadline:
        time.sleep(0.01)
    assert directory.check("bob", bob) == (AuthResult.OK, "bob")
    assert threads == ["MainThread", "team-reload"]


def test_directory_picks_up_a_new_developer(directory_setup):
    path, clock, directory = directory_setup
    bob = derive_password(SECRET, "bob", 0)
    assert directory.check("bob", bob)[0] is AuthResult.UNKNOWN_USER
    save_settings(path, add_developer(load_settings(path), "bob", now=NOW))
    bump_mtime(path)
    clock.now += 0.5
    assert directory.check("bob", bob)[0] is AuthResult.UNKNOWN_USER  # throttled: at most once a second
    clock.now += 0.6
    assert directory.check("bob", bob) == (AuthResult.OK, "bob")
    assert directory.check("alice", derive_password(SECRET, "alice", 0)) == (AuthResult.OK, "alice")


def test_directory_follows_a_rotation(directory_setup):
    path, clock, directory = directory_setup
    old = derive_password(SECRET, "alice", 0)
    assert directory.check("alice", old)[0] is AuthResult.OK
    save_settings(path, rotate_developer(load_settings(path), "alice"))
    bump_mtime(path)
    clock.now += 2
    assert directory.check("alice", old)[0] is AuthResult.WRONG_PASSWORD
    assert directory.check("alice", derive_password(SECRET, "alice", 1)) == (AuthResult.OK, "alice")


def test_directory_keeps_the_previous_list_when_the_file_breaks(directory_setup, caplog):
    path, clock, directory = directory_setup
    alice = derive_password(SECRET, "alice", 0)
    path.write_text('{"schema_version": 1, "developers": [', encoding="utf-8")
    bump_mtime(path)
    clock.now += 2
    with caplog.at_level(logging.ERROR, logger="desktop_app.core.team.directory"):
        assert directory.check("alice", alice) == (AuthResult.OK, "alice")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "Keeping the previous developer list" in errors[0].getMessage()
    assert "not valid JSON" in errors[0].getMessage()
    clock.now += 2
    with caplog.at_level(logging.ERROR, logger="desktop_app.core.team.directory"):
        directory.check("alice", alice)
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1  # unchanged file: no repeat
