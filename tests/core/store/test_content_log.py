"""Content files: the seed's usage/<developer>/<kind>/ layout, private JSON, purged by age."""

import json
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.core.models import ContentRecord
from desktop_app.core.store.content_log import ContentLog

T0 = datetime(2026, 3, 10, 9, 5, 7, 123456, tzinfo=UTC)


def record(developer="alice", at=T0, kind_folder="chat", **document):
    body = {"proxy-authorization": developer, "timestamp": at.isoformat(),
            "request": {"url": "https://api.githubcopilot.com/chat/completions", "content": {"model": "gpt-4o"}},
            "response": {"status_code": 200, "content": ["", {"text": "你好"}]}}
    body.update(document)
    return ContentRecord(developer, at, kind_folder, body)


def test_a_record_is_written_in_the_seed_layout(tmp_path):
    log = ContentLog(tmp_path / "usage")
    path = log.write(record())
    assert path == tmp_path / "usage" / "alice" / "chat" / "2026-03-10T09-05-07.123456_alice.json"
    assert log.path_for(record()) == path
    assert path.is_file()


def test_completions_go_to_their_own_kind_folder(tmp_path):
    log = ContentLog(tmp_path / "usage")
    path = log.write(record(developer="bob", kind_folder="completions"))
    assert path.relative_to(tmp_path / "usage").parts[:2] == ("bob", "completions")
    assert path.name.endswith("_bob.json")


def test_the_file_is_valid_json_holding_the_document(tmp_path):
    path = ContentLog(tmp_path / "usage").write(record(extra=datetime(2026, 1, 2, tzinfo=UTC)))
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["proxy-authorization"] == "alice"
    assert document["response"]["content"][1]["text"] == "你好"  # non-ASCII kept as is
    assert document["extra"] == "2026-01-02 00:00:00+00:00"  # anything else is written as text
    assert "你好" in path.read_text(encoding="utf-8")


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_the_file_is_private(tmp_path):
    path = ContentLog(tmp_path / "usage").write(record())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_writing_the_same_record_again_replaces_the_file_without_leftovers(tmp_path):
    log = ContentLog(tmp_path / "usage")
    log.write(record(note="first"))
    path = log.write(record(note="second"))
    assert json.loads(path.read_text(encoding="utf-8"))["note"] == "second"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def _aged(path, days, now):
    moment = (now - timedelta(days=days)).timestamp()
    os.utime(path, (moment, moment))
    return path


def test_purge_removes_only_files_older_than_the_cutoff(tmp_path):
    log = ContentLog(tmp_path / "usage")
    now = datetime.now(UTC)
    old = [_aged(log.write(record(at=T0 + timedelta(seconds=n))), 40 + n, now) for n in range(3)]
    old.append(_aged(log.write(record(developer="bob", kind_folder="completions")), 31, now))
    recent = [_aged(log.write(record(at=T0 + timedelta(minutes=n))), 29, now) for n in range(1, 3)]
    recent.append(log.write(record(developer="carol")))  # just written
    assert log.purge(now - timedelta(days=30)) == 4
    assert not any(p.exists() for p in old)
    assert all(p.exists() for p in recent)
    assert log.purge(now - timedelta(days=30)) == 0  # nothing left to purge


def test_purge_keeps_a_file_exactly_at_the_cutoff(tmp_path):
    log = ContentLog(tmp_path / "usage")
    cutoff = datetime(2026, 3, 1, tzinfo=UTC)
    path = log.write(record())
    os.utime(path, (cutoff.timestamp(), cutoff.timestamp()))
    assert log.purge(cutoff) == 0
    assert path.exists()
    assert log.purge(cutoff + timedelta(seconds=1)) == 1
    assert not path.exists()


def test_purge_leaves_files_outside_the_layout_alone(tmp_path):
    log = ContentLog(tmp_path / "usage")
    now = datetime.now(UTC)
    stray = [tmp_path / "usage" / "notes.json", tmp_path / "usage" / "alice" / "chat" / "keep.txt",
             tmp_path / "usage" / "alice" / "chat" / "deeper" / "x.json"]
    for path in stray:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
        _aged(path, 100, now)
    assert log.purge(now) == 0
    assert all(p.exists() for p in stray)


def test_purge_of_a_missing_root_returns_zero(tmp_path):
    log = ContentLog(tmp_path / "never-written")
    assert log.purge(datetime.now(UTC)) == 0
    assert not (tmp_path / "never-written").exists()
