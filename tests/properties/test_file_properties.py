"""Generated files: seed logs and settings. A bad file is skipped or refused with a sentence, never a crash."""

import json
import shutil
from datetime import UTC
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import strategies as st

from desktop_app.capture.seed_import import SeedImporter, usage_from_seed_file
from desktop_app.core.errors import ConfigError
from desktop_app.core.store.database import UsageStore
from desktop_app.core.team.settings import load_settings, settings_from_dict, settings_to_dict
from tests.properties.profile import both, fast, json_values, shaped

SEED_KEYS = ["timestamp", "request", "response", "url", "method", "headers", "content", "status_code",
             "proxy-time-consumed", "messages", "model", "editor-version", "x-initiator", "data", "choices", "day",
             "usage", "chat", "completions", "total", "https://api.githubcopilot.com/chat/completions"]
SETTINGS_KEYS = ["schema_version", "proxy", "recording", "desktop", "time_zone", "developers", "listen_host",
                 "listen_port", "copilot_only", "extra_hosts", "setup_page", "setup_port", "level", "name",
                 "generation", "enabled", "content_retention_days", "event_retention_days", "notify_first_request",
                 "start_proxy_on_launch", "launch_at_login", "Europe/Berlin", "0.0.0.0", "content", "metadata"]


_shared: dict[str, object] = {}


def _scratch() -> tuple[Path, UsageStore]:
    """One folder and one store for all examples of this process (opening a store per example is slow)."""
    if not _shared:
        folder = TemporaryDirectory()
        _shared["folder"] = folder
        _shared["store"] = UsageStore.open(Path(folder.name) / "usage.sqlite3", "UTC")
    return Path(_shared["folder"].name), _shared["store"]  # type: ignore[attr-defined,return-value]


def prop_seed_tree(request_files: list[bytes], metric_files: list[bytes]) -> None:
    folder, store = _scratch()
    root = folder / "logs"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    for n, raw in enumerate(request_files):
        target = root / "usage" / f"dev{n % 3}" / "chat" / f"{n}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
    for n, raw in enumerate(metric_files):
        target = root / "metrics" / f"copilot-usage_2026-01-{n + 1:02d}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
    result = SeedImporter(store).run(root)
    assert result.files == len(request_files) + len(metric_files)
    assert result.requests + len(result.skipped) <= result.files


def _document(value: object) -> bytes:
    return json.dumps(value).encode()


def prop_seed_file(raw: bytes) -> None:
    """One request file as the importer reads it: an event, or one of the errors it skips the file for."""
    try:
        event = usage_from_seed_file(json.loads(raw), "alice", "seed:x.json", UTC)
    except (ValueError, TypeError, AttributeError):  # the importer's skip list (`SeedImporter._import_file`)
        return
    assert event.developer == "alice"
    assert event.source_id == "seed:x.json"


seed_document = st.builds(_document, shaped(SEED_KEYS))
seed_files = st.lists(seed_document | st.binary(max_size=200), max_size=4)
test_seed_tree = fast(prop_seed_tree, request_files=seed_files, metric_files=seed_files)
test_seed_file, test_seed_file_deep = both(prop_seed_file, raw=seed_document | st.binary(max_size=200))


def prop_settings_dict(data: dict[str, object]) -> None:
    try:
        settings = settings_from_dict(data)
    except ConfigError as exc:
        problem = exc.user_message
        assert problem
        return
    assert settings_from_dict(settings_to_dict(settings)) == settings  # what is saved reads back the same


def prop_settings_file(raw: bytes) -> None:
    path = _scratch()[0] / "settings.json"
    path.write_bytes(raw)
    try:
        load_settings(path)
    except ConfigError as exc:
        problem = exc.user_message
        assert problem
    assert path.read_bytes() == raw  # reading never rewrites the lead's file


settings_objects = st.dictionaries(st.sampled_from(SETTINGS_KEYS) | st.text(max_size=8), shaped(SETTINGS_KEYS),
                                   max_size=6)
test_settings_dict = fast(prop_settings_dict, data=settings_objects)
test_settings_file, test_settings_file_deep = both(
    prop_settings_file, raw=st.builds(_document, settings_objects | json_values()) | st.binary(max_size=300))
