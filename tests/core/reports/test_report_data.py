"""Reading a report: options, aliases, per-developer totals, prompts from content files, atomic writing."""

import dataclasses
import os
import shutil
import stat
from contextlib import closing

import pytest

from desktop_app.core.errors import AppError
from desktop_app.core.models import KIND_MODEL_CALL, ContentRecord
from desktop_app.core.paths import resolve_paths
from desktop_app.core.reports.aliases import ALIAS_KEY_FILE, alias_key, aliases
from desktop_app.core.reports.data import ReportOptions
from desktop_app.core.reports.export import write_report
from desktop_app.core.reports.formats import suggested_name
from desktop_app.core.reports.progress import Progress, ReportCancelled
from desktop_app.core.store.content_log import ContentLog
from desktop_app.core.store.dashboard import summarize
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.drilldown import read_requests
from tests.core.reports.conftest import DEVELOPERS, WEEK, load


def test_aliases_are_stable_distinct_and_keyed():
    first = aliases(b"a" * 32, ["alice", "bob", "carol"])
    assert first == aliases(b"a" * 32, ["carol", "alice", "bob", "alice"])
    assert len(set(first.values())) == 3
    assert all(alias.startswith("developer-") and len(alias) == len("developer-") + 6 for alias in first.values())
    assert aliases(b"b" * 32, ["alice"])["alice"] != first["alice"]


def test_the_alias_key_is_created_once_and_private(tmp_path):
    key = alias_key(tmp_path)
    assert len(key) == 32
    assert alias_key(tmp_path) == key
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / ALIAS_KEY_FILE).stat().st_mode) == 0o600
    (tmp_path / ALIAS_KEY_FILE).write_bytes(b"short")
    with pytest.raises(AppError, match=r"is damaged \(5 bytes instead of 32\)\. Restore it from a backup"):
        alias_key(tmp_path)  # never silently replaced: every alias would change
    assert (tmp_path / ALIAS_KEY_FILE).read_bytes() == b"short"


def test_an_unusable_data_folder_is_a_clear_error(tmp_path):
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the data folder should be")
    with pytest.raises(AppError, match="could not be read or created"):
        alias_key(not_a_folder)


def test_pseudonymizing_and_prompts_together_are_refused():
    with pytest.raises(AppError, match="cannot include prompts"):
        ReportOptions(days=WEEK, pseudonymize=True, include_prompts=True)


def test_developer_totals_add_up_each_developers_days(week_report):
    totals = {t.developer: t for t in week_report.developers}
    assert set(totals) == set(DEVELOPERS)
    for name, total in totals.items():
        days = [r for r in week_report.rows if r.developer == name]
        assert total.summary == summarize(days)
        assert total.active_days == 7
    requests = [t.summary.requests for t in week_report.developers]
    assert requests == sorted(requests, reverse=True)
    assert sum(requests) == week_report.summary.requests == 6000


def test_pseudonymized_data_keeps_every_figure(week_report, pseudonymized_report):
    assert pseudonymized_report.summary == week_report.summary
    assert [t.summary for t in pseudonymized_report.developers] == [t.summary for t in week_report.developers]
    assert not {r.developer for r in pseudonymized_report.rows} & set(DEVELOPERS)
    assert pseudonymized_report.daily.values == week_report.daily.values


def test_only_some_developers(report_data_dir):
    report = load(report_data_dir, developers=("dev02",))
    assert {r.developer for r in report.rows} == {"dev02"}
    assert [d["usage"].keys() for d in report.seed_days] == [{"dev02": 0}.keys()] * 7


def user_calls(data_dir, developer, count):
    """The `count` newest user-initiated model calls of `developer` in WEEK, newest first."""
    with closing(UsageStore.reader(resolve_paths(data_dir).database)) as conn:
        page = read_requests(conn, developer, WEEK)
    calls = [r for i in page.interactions for r in i.requests if r.kind == KIND_MODEL_CALL and r.initiator == "user"]
    return sorted(calls, key=lambda r: r.started_at, reverse=True)[:count]


def conversation(prompt, answer):
    return {"request": {"content": {"messages": [{"role": "user", "content": prompt}]}},
            "response": {"content": {"choices": [{"message": {"content": answer}}]}}}


@pytest.fixture
def data_dir(report_data_dir, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(report_data_dir, copy)
    return copy


def test_recorded_prompts_are_read_from_the_content_files(data_dir):
    content = ContentLog(resolve_paths(data_dir).content_dir)
    (lead,) = user_calls(data_dir, "dev00", 1)
    content.write(ContentRecord("dev00", lead.started_at, "chat", conversation("Explain the parser", "It splits.")))
    report = load(data_dir, include_prompts=True)
    assert [(p.developer, p.started_at, p.prompt, p.response) for p in report.prompts] == [
        ("dev00", lead.started_at, "Explain the parser", "It splits.")]
    assert (report.prompts[0].mode, report.prompts[0].model) == (lead.mode, lead.model)
    assert (report.prompts_truncated, report.prompts_unreadable) == (False, 0)
    assert report.recording_level == "content"  # recorded then, whatever the setting says now
    assert load(data_dir, developers=("dev01",)).recording_level == "metadata"  # only dev00's were recorded


def test_the_newest_prompts_are_kept_and_an_unreadable_file_is_skipped(data_dir, monkeypatch):
    content = ContentLog(resolve_paths(data_dir).content_dir)
    newest, middle, oldest = user_calls(data_dir, "dev01", 3)
    for call, text in ((newest, "newest"), (middle, "middle"), (oldest, "oldest")):
        content.write(ContentRecord("dev01", call.started_at, "chat", conversation(text, "ok")))
    content.path_for(ContentRecord("dev01", middle.started_at, "chat", {})).write_text("{not json")
    monkeypatch.setattr("desktop_app.core.reports.prompts.MAX_PROMPTS", 1)
    report = load(data_dir, include_prompts=True, developers=("dev01",))
    assert [p.prompt for p in report.prompts] == ["newest"]
    assert report.prompts_truncated
    monkeypatch.setattr("desktop_app.core.reports.prompts.MAX_PROMPTS", 5)
    report = load(data_dir, include_prompts=True, developers=("dev01",))
    assert [p.prompt for p in report.prompts] == ["oldest", "newest"]  # oldest first; the damaged one skipped
    assert (report.prompts_truncated, report.prompts_unreadable) == (False, 1)


def test_write_report_saves_atomically_and_a_cancel_leaves_nothing(week_report, tmp_path):
    target = tmp_path / suggested_name("csv", WEEK.first, WEEK.last)
    assert target.name == "copilot-usage_2026-11-02_2026-11-08.csv"
    steps = []
    size = write_report("csv", week_report, target, Progress(on_step=lambda f, what: steps.append((f, what))))
    assert size == target.stat().st_size
    assert steps[0] == (0.0, "Preparing") and steps[-1] == (1.0, "Done")
    assert [f for f, _ in steps] == sorted(f for f, _ in steps)
    target.write_text("earlier")
    with pytest.raises(ReportCancelled):
        write_report("csv", week_report, target, Progress(is_cancelled=lambda: True))
    assert target.read_text() == "earlier"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_prompts_only_go_where_there_is_room_for_them(report_with_prompts, tmp_path):
    with pytest.raises(AppError, match="The json format has no place for prompts"):
        write_report("json", report_with_prompts, tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()


def test_a_full_disk_is_a_clear_error(week_report, tmp_path, monkeypatch):
    def full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("desktop_app.core.reports.export.export_private_bytes", full)
    with pytest.raises(AppError, match=r"could not be saved to .*: No space left on device\."):
        write_report("csv", dataclasses.replace(week_report), tmp_path / "r.csv")
