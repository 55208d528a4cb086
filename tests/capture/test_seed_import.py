"""Importing the seed script's log tree: same classification, idempotent, no password kept."""

import contextlib
import os
import subprocess
import sys

from desktop_app.core.store.database import UsageStore
from tests.fixtures.seed import write_seed_tree


def _rows(store, sql, *args):
    with contextlib.closing(store.read_connection()) as conn:
        return conn.execute(sql, args).fetchall()


def test_seed_tree_is_imported_once_with_its_metrics_for_uncovered_days(tmp_path):
    root = write_seed_tree(tmp_path / "logs")
    env = {**os.environ, "COPILOT_INSIGHT_HOME": str(tmp_path / "data"), "TZ": "UTC"}
    first = subprocess.run([sys.executable, "-m", "desktop_app", "import-logs", str(root)], env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    assert first.returncode == 0, first.stderr
    assert "2 request(s) and 1 daily summary" in first.stdout
    assert "Importing seed logs: 3/3 files" in first.stderr
    second = subprocess.run([sys.executable, "-m", "desktop_app", "import-logs", str(root)], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert second.returncode == 0, second.stderr

    store = UsageStore.open(tmp_path / "data" / "usage.sqlite3", "UTC")
    try:
        completion = _rows(store, "SELECT developer, kind, model, language, editor, has_text, lines_suggested, day "
                                  "FROM usage_events WHERE source_id LIKE 'seed:usage/satomic/%'")
        chat = _rows(store, "SELECT developer, kind, mode, initiator, initiator_source, editor, prompt_tokens, "
                            "completion_tokens FROM usage_events WHERE source_id LIKE 'seed:usage/xuefeng/%'")
        summaries = _rows(store, "SELECT developer, kind, COUNT(*) FROM usage_events "
                                 "WHERE source_id LIKE 'seed-metrics:%' GROUP BY developer, kind ORDER BY kind")
        everything = " ".join(str(row) for row in _rows(store, "SELECT * FROM usage_events"))
    finally:
        store.close()
    # lines follow the client's numLines rule: newlines + 1 (the suggestion starts with two blank lines)
    assert completion == [("satomic", "completion", "copilot-codex", "python", "vscode", 1, 4, "2024-12-28")]
    assert chat == [("xuefeng", "model_call", "ask", "user", "heuristic", "pycharm", 1409, 40)]
    # satomic has request files on 2024-12-28, so only xuefeng's summary is imported (7 chats, 3 completions)
    assert summaries == [("xuefeng", "completion", 3), ("xuefeng", "model_call", 7)]
    assert "123" not in everything.replace("1735", "")  # the seed's password is never read
    assert "tid=" not in everything


def test_broken_files_are_skipped_with_a_reason(tmp_path):
    root = write_seed_tree(tmp_path / "logs")
    (root / "usage" / "satomic" / "chat").mkdir(parents=True)
    (root / "usage" / "satomic" / "chat" / "broken.json").write_text("{not json")
    env = {**os.environ, "COPILOT_INSIGHT_HOME": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "desktop_app", "import-logs", str(root)], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0
    assert "skipped" in result.stdout
    assert "broken.json" in result.stdout


def test_a_missing_folder_is_a_clear_error(tmp_path):
    env = {**os.environ, "COPILOT_INSIGHT_HOME": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "desktop_app", "import-logs", str(tmp_path / "nope")], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "is not a folder" in result.stderr


def test_imported_seed_logs_export_back_to_the_seed_daily_shape(tmp_path):
    import json

    root = write_seed_tree(tmp_path / "logs")
    env = {**os.environ, "COPILOT_INSIGHT_HOME": str(tmp_path / "data"), "TZ": "UTC"}
    cli = [sys.executable, "-m", "desktop_app"]
    assert subprocess.run([*cli, "import-logs", str(root)], env=env, capture_output=True, timeout=60,
                          check=False).returncode == 0
    out = tmp_path / "daily.json"
    result = subprocess.run([*cli, "report", "--from", "2024-12-28", "--to", "2024-12-29", "--format", "json",
                             "-o", str(out)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    days = json.loads(out.read_text())
    assert [d["day"] for d in days] == ["2024-12-28", "2024-12-29"]
    first = days[0]
    assert set(first) == {"day", "total_chat_turns", "total_completions_count", "usage"}
    assert first["usage"]["satomic"] == {"chat_turns": 0, "completions_count": 1, "chat": {},
                                         "completions": {"vscode-1.96.2": {"python": 1}}}
    assert first["usage"]["xuefeng"]["chat_turns"] == 7
    assert first["usage"]["xuefeng"]["completions"] == {"jetbrains": {"python": 3}}
    assert (first["total_chat_turns"], first["total_completions_count"]) == (7, 4)
    assert days[1]["usage"]["xuefeng"]["chat"] == {"pycharm-243.22562.220": 1}
