import json
import os
import stat
from pathlib import Path

import pytest

from desktop_app.core.errors import ConfigError
from desktop_app.core.team.settings import (
    SCHEMA_VERSION,
    DesktopSettings,
    Developer,
    ProxySettings,
    RecordingSettings,
    Settings,
    load_settings,
    save_settings,
    update_settings,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def settings_file(tmp_path):
    return tmp_path / "config" / "settings.json"


def write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def sample_settings():
    return Settings(
        proxy=ProxySettings(listen_host="0.0.0.0", listen_port=9090, copilot_only=True,
                            extra_hosts=("copilot.corp.example", "*.corp.example")),
        recording=RecordingSettings(level="content", content_retention_days=7, event_retention_days=90),
        time_zone="Europe/Berlin",
        developers=(Developer(name="alice", created="2026-01-31T09:00:00+00:00", generation=2),
                    Developer(name="Bob.Smith", created="2026-02-01T10:00:00+00:00", enabled=False)),
    )


def test_missing_file_gives_defaults(settings_file):
    settings = load_settings(settings_file)
    assert settings == Settings()
    assert settings.proxy.listen_host == "127.0.0.1"
    assert settings.proxy.listen_port == 8080
    assert settings.recording.level == "metadata"
    assert settings.developers == ()
    assert not settings_file.exists()


def test_round_trip(settings_file):
    original = sample_settings()
    save_settings(settings_file, original)
    assert load_settings(settings_file) == original
    assert json.loads(settings_file.read_text(encoding="utf-8"))["schema_version"] == SCHEMA_VERSION


def test_developer_lookup_is_case_insensitive():
    settings = sample_settings()
    developer = settings.developer("BOB.smith")
    assert developer is not None
    assert developer.name == "Bob.Smith"
    assert settings.developer("carol") is None


@posix_only
def test_saved_file_and_folder_are_private(settings_file):
    save_settings(settings_file, sample_settings())
    assert stat.S_IMODE(settings_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings_file.parent.stat().st_mode) == 0o700


def test_every_problem_is_reported_at_once(settings_file):
    write_json(settings_file, {
        "schema_version": 1,
        "proxy": {"listen_port": 70000, "listen_host": "not an ip", "lisen_port": 8081},
        "recording": {"level": "everything"},
        "developers": [
            {"name": "alice", "created": "2026-01-31T09:00:00+00:00"},
            {"name": "ALICE", "created": "2026-01-31T09:00:00+00:00"},
            {"name": "bad:name", "created": "2026-01-31T09:00:00+00:00"},
        ],
    })
    with pytest.raises(ConfigError) as caught:
        load_settings(settings_file)
    message = caught.value.user_message
    assert str(settings_file) in message
    problems = [line for line in message.splitlines() if line.startswith("  - ")]
    assert len(problems) == 6, message
    expected = [
        "'proxy.listen_port' must be a whole number from 1 to 65535 (found 70000)",
        "'not an ip' is not an IP address",
        "'proxy.lisen_port' is not a setting this version knows (a typo?)",
        "'recording.level' must be 'metadata' or 'content' (found 'everything')",
        "the developer name 'ALICE' appears twice",
        "'bad:name' is not a valid developer name",
    ]
    for fragment in expected:
        assert fragment in message, fragment


def test_problems_are_sentences(settings_file):
    write_json(settings_file, {"schema_version": 1, "time_zone": 3, "proxy": {"copilot_only": "yes"}})
    with pytest.raises(ConfigError) as caught:
        load_settings(settings_file)
    problems = [line[4:] for line in caught.value.user_message.splitlines() if line.startswith("  - ")]
    assert len(problems) == 2
    assert all(p.endswith(".") for p in problems), problems
    assert "must be true or false (found 'yes')" in caught.value.user_message


def test_invalid_json_names_line_and_column(settings_file):
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text('{\n  "schema_version": 1,\n  "proxy": {,}\n}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(settings_file)
    message = caught.value.user_message
    assert "not valid JSON" in message
    assert "line 3, column 13" in message
    assert str(settings_file) in message


def test_json_that_is_not_an_object_is_refused(settings_file):
    write_json(settings_file, [1, 2])
    with pytest.raises(ConfigError, match="must contain a JSON object"):
        load_settings(settings_file)


def test_newer_schema_is_refused(settings_file):
    write_json(settings_file, {"schema_version": SCHEMA_VERSION + 1})
    with pytest.raises(ConfigError, match="newer") as caught:
        load_settings(settings_file)
    assert f"schema {SCHEMA_VERSION + 1}" in caught.value.user_message


@pytest.mark.parametrize("data", [
    {},
    {"schema_version": "1"},
    {"schema_version": 0},
    {"schema_version": True},
    {"schema_version": None},
], ids=["missing", "string", "zero", "bool", "null"])
def test_missing_or_invalid_schema_version(settings_file, data):
    write_json(settings_file, data)
    with pytest.raises(ConfigError, match="no valid 'schema_version'"):
        load_settings(settings_file)


def _leftovers(folder: Path):
    return sorted(p.name for p in folder.iterdir() if p.name != "settings.json")


def test_failed_save_keeps_previous_file(settings_file, monkeypatch):
    save_settings(settings_file, sample_settings())
    before = settings_file.read_bytes()

    def broken_replace(self, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        save_settings(settings_file, Settings())
    monkeypatch.undo()
    assert settings_file.read_bytes() == before
    assert _leftovers(settings_file.parent) == []
    assert load_settings(settings_file) == sample_settings()


def test_failed_write_keeps_previous_file(settings_file, monkeypatch):
    save_settings(settings_file, sample_settings())
    before = settings_file.read_bytes()

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        save_settings(settings_file, Settings())
    monkeypatch.undo()
    assert settings_file.read_bytes() == before
    assert _leftovers(settings_file.parent) == []


def test_update_settings_applies_and_persists(settings_file):
    first = update_settings(settings_file, lambda s: Settings(
        proxy=ProxySettings(listen_port=9000), developers=s.developers))
    assert first.proxy.listen_port == 9000
    developer = Developer(name="carol", created="2026-03-01T08:00:00+00:00")
    second = update_settings(settings_file, lambda s: Settings(
        proxy=s.proxy, developers=(*s.developers, developer)))
    assert second.proxy.listen_port == 9000
    reloaded = load_settings(settings_file)
    assert reloaded.proxy.listen_port == 9000
    assert reloaded.developers == (developer,)


def test_update_settings_saves_nothing_when_the_change_fails(settings_file):
    save_settings(settings_file, sample_settings())
    before = settings_file.read_bytes()

    def failing(settings):
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        update_settings(settings_file, failing)
    assert settings_file.read_bytes() == before


def test_version_1_file_gains_the_desktop_defaults_and_keeps_the_rest(settings_file):
    write_json(settings_file, {
        "schema_version": 1,
        "proxy": {"listen_port": 8181},
        "developers": [{"name": "alice", "created": "2026-01-31T09:00:00+00:00"}],
    })
    settings = load_settings(settings_file)
    assert settings.desktop == DesktopSettings()
    assert settings.proxy.listen_port == 8181
    assert [d.name for d in settings.developers] == ["alice"]


def test_desktop_section_round_trips_and_is_validated(settings_file):
    chosen = DesktopSettings(start_proxy_on_launch=False, launch_at_login=True, notify_first_request=True)
    save_settings(settings_file, Settings(desktop=chosen))
    assert load_settings(settings_file).desktop == chosen
    write_json(settings_file, {"schema_version": SCHEMA_VERSION, "desktop": {"launch_at_login": "yes",
                                                                            "autostart": True}})
    with pytest.raises(ConfigError) as caught:
        load_settings(settings_file)
    assert "'desktop.launch_at_login' must be true or false" in caught.value.user_message
    assert "'desktop.autostart' is not a setting" in caught.value.user_message


def test_a_version_2_file_gains_the_setup_page_defaults(settings_file):
    write_json(settings_file, {"schema_version": 2, "proxy": {"listen_port": 9090}})
    proxy = load_settings(settings_file).proxy
    assert (proxy.setup_page, proxy.setup_port, proxy.effective_setup_port) == (True, 0, 9091)


@pytest.mark.parametrize(("listen_port", "setup_port", "effective"), [(8080, 0, 8081), (8080, 9000, 9000),
                                                                     (65535, 0, 65534)])
def test_the_setup_page_port_defaults_to_the_proxy_port_plus_one(listen_port, setup_port, effective):
    assert ProxySettings(listen_port=listen_port, setup_port=setup_port).effective_setup_port == effective


def test_a_setup_page_on_the_proxy_port_is_refused_unless_turned_off(settings_file):
    write_json(settings_file, {"schema_version": SCHEMA_VERSION, "proxy": {"listen_port": 8080, "setup_port": 8080}})
    with pytest.raises(ConfigError, match=r"'proxy\.setup_port' must differ from the proxy's port 8080"):
        load_settings(settings_file)
    write_json(settings_file, {"schema_version": SCHEMA_VERSION,
                               "proxy": {"listen_port": 8080, "setup_port": 8080, "setup_page": False}})
    assert load_settings(settings_file).proxy.setup_page is False


def test_setup_page_settings_survive_a_save(settings_file):
    saved = Settings(proxy=ProxySettings(setup_page=False, setup_port=9999))
    save_settings(settings_file, saved)
    assert load_settings(settings_file) == saved


def test_the_opentelemetry_receiver_is_on_at_4318_by_default_and_0_turns_it_off(settings_file):
    write_json(settings_file, {"schema_version": 5, "proxy": {"listen_port": 8080}})  # before the receiver
    assert load_settings(settings_file).proxy.otlp_port == 4318
    saved = Settings(proxy=ProxySettings(otlp_port=0))
    save_settings(settings_file, saved)
    assert load_settings(settings_file) == saved


@pytest.mark.parametrize(("proxy", "message"), [
    ({"listen_port": 4318}, r"'proxy\.otlp_port' must differ from the proxy's port 4318"),
    ({"listen_port": 4317}, r"'proxy\.otlp_port' must differ from the setup page's port 4318"),
    ({"otlp_port": 70000}, r"'proxy\.otlp_port' must be a whole number from 0 to 65535"),
])
def test_an_opentelemetry_port_that_cannot_work_is_refused(settings_file, proxy, message):
    write_json(settings_file, {"schema_version": SCHEMA_VERSION, "proxy": proxy})
    with pytest.raises(ConfigError, match=message):
        load_settings(settings_file)
