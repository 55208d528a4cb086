"""Per-IDE figures: they add up to the day's figures, attribute requests and telemetry to IDEs, keep the CLI apart."""

import dataclasses
import sqlite3
from collections import Counter, defaultdict
from contextlib import closing
from datetime import UTC, date, datetime

import pytest

from desktop_app.core import models as m
from desktop_app.core.errors import StoreError
from desktop_app.core.models import RecordBatch, TelemetryEvent, UsageEvent
from desktop_app.core.paths import resolve_paths
from desktop_app.core.reports.data import ReportOptions, build_report
from desktop_app.core.reports.ide_totals import (
    CLI_IDE,
    UNKNOWN_IDE,
    IdeDay,
    read_day_breakdowns,
    read_ide_days,
)
from desktop_app.core.store.dashboard import DayRange
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import daily_usage
from tests.core.reports.conftest import ALIAS_KEY, DEVELOPERS, WEEK

# --- a hand-written store ------------------------------------------------------------------------------

DAY = date(2026, 11, 2)
DAY_RANGE = DayRange(DAY, DAY)
VSCODE = {"editor": "vscode", "plugin": "copilot-chat"}
INTELLIJ = {"editor": "intellij", "editor_version": "2025.3", "plugin": "copilot-intellij", "plugin_version": "1.5.60"}
CLI = {"editor": "copilot-cli", "editor_version": "1.0.102", "integration_id": "copilot-developer-cli"}


def at(hour, minute=0):
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=UTC)


def usage(developer, when, kind, **fields):
    base = {"developer": developer, "started_at": when, "method": "POST", "host": "api.githubcopilot.com",
            "path": "/chat/completions", "host_family": "api", "kind": kind, "status": 200, "duration_ms": 400.0,
            "ttfb_ms": None, "request_bytes": 100, "response_bytes": 100, "http_version": "HTTP/2.0",
            "streamed": True}
    base.update(fields)
    return UsageEvent(**base)


def completion(developer, when, ide, language, lines, **fields):
    fields.setdefault("has_text", True)
    return usage(developer, when, m.KIND_COMPLETION, host="proxy.githubcopilot.com", host_family="proxy",
                 path="/v1/engines/gpt-41-copilot/completions", api="completions", model="gpt-41-copilot",
                 language=language, lines_suggested=lines, **ide, **fields)


def call(developer, when, ide, mode, initiator, interaction, model, **fields):
    return usage(developer, when, m.KIND_MODEL_CALL, api="chat_completions", mode=mode, initiator=initiator,
                 interaction_id=interaction, model=model, **ide, **fields)


def telemetry(developer, when, event, key, editor, **fields):
    return TelemetryEvent(developer, when, event, key, editor=editor, **fields)


def alice_batch():
    """Alice: VS Code and IntelliJ, the CLI, and telemetry that needs attributing."""
    events = (
        completion("alice", at(9, 0), {**VSCODE, "editor_version": "1.109.0", "plugin_version": "0.37.2"},
                   "python", 2),
        completion("alice", at(9, 1), {**VSCODE, "editor_version": "1.110.0", "plugin_version": "0.38.0"},
                   "python", 3),
        completion("alice", at(9, 2), VSCODE, "python", 7, speculative=True),  # not counted
        completion("alice", at(9, 3), VSCODE, "typescript", None, has_text=False),  # no suggestion
        completion("alice", at(10, 0), INTELLIJ, "java", 4),
        usage("alice", at(10, 5), m.KIND_NES, host_family="proxy", model="copilot-nes-xtab", language="python"),
        call("alice", at(11, 0), VSCODE, "ask", "user", "i1", "gpt-5.4", nano_aiu=1_000_000_000,
             prompt_tokens=100, completion_tokens=10),
        call("alice", at(11, 1), VSCODE, "ask", "user", "i1", "gpt-5.4"),  # the same interaction
        call("alice", at(11, 2), VSCODE, "ask", "agent", "i1", "gpt-4.1"),  # title generation
        call("alice", at(11, 10), VSCODE, "agent", "user", "i2", "claude-sonnet-4.6"),
        call("alice", at(11, 11), VSCODE, "agent", "agent", "i2", "claude-sonnet-4.6"),
        call("alice", at(11, 12), VSCODE, "agent", "agent", "i2", "claude-sonnet-4.6"),
        call("alice", at(12, 0), INTELLIJ, "ask", "user", "i3", "gpt-5.4"),
        call("alice", at(12, 1), VSCODE, "ask", "user", "i3", "gpt-5.4"),  # one interaction, two IDEs
        call("alice", at(12, 5), VSCODE, "other", "user", "u1", "gpt-4.1"),  # utility: not an interaction
        call("alice", at(12, 6), VSCODE, "extension:foo", "user", "e1", "gpt-4.1"),
        call("alice", at(12, 7), VSCODE, "unknown", "user", "", ""),  # no id: one interaction each
        call("alice", at(12, 8), VSCODE, "unknown", "user", "", ""),
        call("alice", at(12, 9), VSCODE, "inline", "user", "n1", "gpt-4.1"),
        call("alice", at(12, 10), VSCODE, "subagent", "user", "s1", "gpt-5.4"),
        call("alice", at(13, 0), CLI, "cli", "user", "c1", "gpt-5.4", nano_aiu=500_000_000,
             prompt_tokens=1000, completion_tokens=200),
        call("alice", at(13, 1), CLI, "cli", "agent", "c1", "gpt-5.4", prompt_tokens=2000, completion_tokens=100),
        call("alice", at(13, 2), CLI, "cli", "agent", "c1", "gpt-5.4", prompt_tokens=2000, completion_tokens=100),
        usage("alice", at(13, 10), m.KIND_INFRA, method="GET", path="/models", **CLI),
    )
    shown, accepted = m.COMPLETION_SHOWN, m.COMPLETION_ACCEPTED
    events_telemetry = (
        telemetry("alice", at(9, 5), shown, "k1", "vscode/1.109.0", language="python", lines=2),
        telemetry("alice", at(9, 6), shown, "k1", "vscode/1.110.0", language="python", lines=2),  # again, updated
        telemetry("alice", at(9, 7), accepted, "k1", "vscode/1.109.0", language="python", lines=1,
                  comp_type="partial"),
        telemetry("alice", at(9, 8), accepted, "k1", "vscode/1.109.0", language="python", lines=2,
                  comp_type="partial"),
        telemetry("alice", at(10, 1), shown, "k2", "JetBrains-IU/2025.3", language="java"),  # by version
        telemetry("alice", at(10, 2), accepted, "", "", language="python", lines=5),  # two IDEs: unknown
        telemetry("alice", at(11, 3), m.CHAT_ACCEPTED_INSERT, "", "vscode/1.109.0", language="python",
                  model="gpt-5.4"),
        telemetry("alice", at(11, 4), m.CHAT_ACCEPTED_COPY, "", "vscode/1.109.0"),
        telemetry("alice", at(14, 0), shown, "k3", "Neovim/0.11.4", language="lua"),  # no such IDE that day
    )
    return RecordBatch(usage=events, telemetry=events_telemetry)


def bob_batch():
    """Bob: one IDE, no "shown" telemetry (shown falls back to returned completions), no CLI."""
    events = (
        completion("bob", at(9, 0), {**VSCODE, "editor_version": "1.109.0", "plugin_version": "0.37.2"}, "go", 3),
        completion("bob", at(9, 1), VSCODE, "go", 2, status=500, error="HTTP 500"),  # not counted
        usage("bob", at(9, 2), m.KIND_NES, host_family="proxy", model="copilot-nes-xtab", language="go"),
        call("bob", at(9, 3), VSCODE, "ask", "user", "b1", "gpt-4.1"),
    )
    return RecordBatch(usage=events, telemetry=(telemetry("bob", at(9, 4), m.CHAT_APPLIED_CODEBLOCK, "", ""),))


def write_tiny_store(data_dir, *, summarised=True):
    """Write alice's and bob's day into the store of `data_dir`; return the database path."""
    database = resolve_paths(data_dir).database
    with UsageStore.open(database, "UTC") as store:
        store.write_many([alice_batch(), bob_batch()])
        if summarised:
            store.refresh_rollups()
    return database


@pytest.fixture(params=["rollup", "raw events"])
def tiny_store(request, tmp_path):
    """The hand-written store, with its day summarised or still being written."""
    return write_tiny_store(tmp_path, summarised=request.param == "rollup")


def by_ide(ide_days):
    return {(d.developer, d.ide): d for d in ide_days}


# --- the hand-written store, exactly -------------------------------------------------------------------


def test_every_request_and_event_lands_in_one_ide(tiny_store):
    with closing(UsageStore.reader(tiny_store)) as conn:
        ides = by_ide(read_ide_days(conn, DAY_RANGE))
    assert set(ides) == {("alice", "vscode"), ("alice", "intellij"), ("alice", UNKNOWN_IDE), ("alice", "neovim"),
                         ("alice", CLI_IDE), ("bob", "vscode")}
    vscode, intellij = ides["alice", "vscode"], ides["alice", "intellij"]
    figures = ("requests", "model_calls", "user_model_calls", "agent_requests", "user_initiated_interaction_count",
               "code_generation_activity_count", "completions_accepted", "chat_acceptances",
               "loc_suggested_to_add_sum", "loc_added_sum")
    assert {f: getattr(vscode, f) for f in figures} == {
        "requests": 17, "model_calls": 13, "user_model_calls": 10, "agent_requests": 3,
        "user_initiated_interaction_count": 7,  # i1, i2, e1, two without id, n1, s1 (i3 is IntelliJ's)
        "code_generation_activity_count": 1, "completions_accepted": 1, "chat_acceptances": 2,
        "loc_suggested_to_add_sum": 5, "loc_added_sum": 2,
    }
    assert {f: getattr(intellij, f) for f in figures} == {
        "requests": 2, "model_calls": 1, "user_model_calls": 1, "agent_requests": 0,
        "user_initiated_interaction_count": 1, "code_generation_activity_count": 1,  # k2, matched by version
        "completions_accepted": 0, "chat_acceptances": 0, "loc_suggested_to_add_sum": 4, "loc_added_sum": 0,
    }
    unknown, neovim = ides["alice", UNKNOWN_IDE], ides["alice", "neovim"]
    assert (unknown.requests, unknown.completions_accepted, unknown.loc_added_sum) == (1, 1, 5)  # NES; accept
    assert (neovim.requests, neovim.code_generation_activity_count) == (0, 1)
    bob = ides["bob", "vscode"]
    assert bob.requests == 4  # the NES without editor headers is his only IDE's
    assert bob.code_generation_activity_count == 1  # no "shown" telemetry: the returned completion
    assert bob.chat_acceptances == 1


def test_versions_are_the_latest_seen_that_day(tiny_store):
    with closing(UsageStore.reader(tiny_store)) as conn:
        ides = by_ide(read_ide_days(conn, DAY_RANGE))
    vscode = ides["alice", "vscode"]
    assert (vscode.ide_version, vscode.plugin, vscode.plugin_version) == ("1.110.0", "copilot-chat", "0.38.0")
    assert vscode.ide_version_at == vscode.plugin_version_at == at(9, 1)
    intellij = ides["alice", "intellij"]
    assert (intellij.ide_version, intellij.plugin_version, intellij.ide_version_at) == ("2025.3", "1.5.60", at(12, 0))
    assert (ides["alice", "neovim"].ide_version, ides["alice", "neovim"].ide_version_at) == ("", None)


def test_cli_traffic_is_its_own_ide(tiny_store):
    with closing(UsageStore.reader(tiny_store)) as conn:
        cli = by_ide(read_ide_days(conn, DAY_RANGE))["alice", CLI_IDE]
    assert cli.is_cli
    assert (cli.requests, cli.model_calls, cli.user_model_calls, cli.agent_requests) == (4, 3, 1, 2)
    assert (cli.prompt_tokens, cli.completion_tokens, cli.nano_aiu) == (5000, 400, 500_000_000)
    assert (cli.ide_version, cli.ide_version_at) == ("1.0.102", at(13, 10))
    assert cli.user_initiated_interaction_count == 1


def test_a_day_splits_by_language_and_by_model_and_mode(tiny_store):
    with closing(UsageStore.reader(tiny_store)) as conn:
        alice = next(b for b in read_day_breakdowns(conn, DAY_RANGE) if b.developer == "alice")
    assert alice.models == (
        ("claude-sonnet-4.6", "agent", 1, 0), ("gpt-4.1", "extension:foo", 1, 0), ("gpt-4.1", "inline", 1, 0),
        ("gpt-5.4", "", 0, 1),  # chat acceptances: no mode
        ("gpt-5.4", "ask", 2, 0), ("gpt-5.4", "cli", 1, 0), ("gpt-5.4", "subagent", 1, 0), ("unknown", "", 0, 1),
        ("unknown", "unknown", 2, 0))
    assert alice.languages == (
        ("java", 1, 0, 4, 0, 0), ("lua", 1, 0, 0, 0, 0), ("python", 1, 2, 5, 7, 1), ("typescript", 0, 0, 0, 0, 0),
        ("unknown", 0, 0, 0, 0, 1))


def test_the_ides_add_up_to_the_days_figures_of_the_hand_written_store(tiny_store):
    with closing(UsageStore.reader(tiny_store)) as conn:
        assert_adds_up(daily_usage(conn, DAY, DAY), read_ide_days(conn, DAY_RANGE),
                       read_day_breakdowns(conn, DAY_RANGE))


# --- the synthetic week --------------------------------------------------------------------------------


def assert_adds_up(rows, ide_days, breakdowns):
    """Every figure of every developer-day equals the sum over that day's IDEs (CLI included), languages, models."""
    per_day = defaultdict(list)
    for ide in ide_days:
        per_day[ide.day, ide.developer].append(ide)
    assert set(per_day) == {(r.day, r.developer) for r in rows}
    per_breakdown = {(b.day, b.developer): b for b in breakdowns}
    assert set(per_breakdown) == set(per_day)
    pairs = {
        "user_initiated_interaction_count": "user_interactions", "code_generation_activity_count": "completions_shown",
        "completions_accepted": "completions_accepted", "chat_acceptances": "chat_acceptances",
        "loc_suggested_to_add_sum": "lines_suggested", "loc_added_sum": "lines_accepted", "requests": "requests",
        "model_calls": "model_calls", "agent_requests": "agent_requests", "prompt_tokens": "prompt_tokens",
        "completion_tokens": "completion_tokens",
    }
    for row in rows:
        ides = per_day[row.day, row.developer]
        for ide_figure, day_figure in pairs.items():
            assert sum(getattr(i, ide_figure) for i in ides) == getattr(row, day_figure), (row.day, ide_figure)
        assert sum(i.nano_aiu for i in ides) / 1e9 == pytest.approx(row.ai_credits)
        split = per_breakdown[row.day, row.developer]
        modes = Counter()
        for _model, mode, interactions, _chat in split.models:
            modes[mode] += interactions
        assert +modes == row.interactions_by_mode
        assert sum(chat for *_, chat in split.models) == (row.chat_acceptances or 0)
        assert sum(chat for *_, chat in split.languages) == (row.chat_acceptances or 0)
        assert sum(shown for _language, shown, *_ in split.languages) == row.completions_shown
        assert sum(lines_added for *_, lines_added, _chat in split.languages) == (row.lines_accepted or 0)


def test_the_ides_add_up_to_the_days_figures_of_the_week(report_data_dir):
    with closing(UsageStore.reader(resolve_paths(report_data_dir).database)) as conn:
        rows = daily_usage(conn, WEEK.first, WEEK.last)
        ide_days, breakdowns = read_ide_days(conn, WEEK), read_day_breakdowns(conn, WEEK)
    assert len(rows) == 28
    assert sum(i.user_initiated_interaction_count for i in ide_days) > 100  # the week is not empty
    assert sum(i.code_generation_activity_count for i in ide_days) > 100
    assert_adds_up(rows, ide_days, breakdowns)


def test_the_weeks_cli_traffic_is_apart_from_the_ides(report_data_dir):
    with closing(UsageStore.reader(resolve_paths(report_data_dir).database)) as conn:
        ide_days, breakdowns = read_ide_days(conn, WEEK), read_day_breakdowns(conn, WEEK)
        cli_calls = conn.execute("SELECT COUNT(*) FROM usage_events WHERE integration_id = 'copilot-developer-cli' "
                                 "AND kind = 'model_call'").fetchone()[0]
    cli = [i for i in ide_days if i.is_cli]
    assert cli_calls > 0
    assert sum(i.model_calls for i in cli) == cli_calls
    cli_interactions = sum(count for b in breakdowns for _model, mode, count, _chat in b.models if mode == "cli")
    assert sum(i.user_initiated_interaction_count for i in cli) == cli_interactions > 0
    assert {i.ide for i in ide_days} == {"vscode", "JetBrains-IU", CLI_IDE}  # the generator's editor names
    assert ide_days == tuple(sorted(ide_days, key=lambda i: (i.day, i.developer, i.ide)))


def test_only_the_chosen_developers_and_days_are_read(report_data_dir):
    with closing(UsageStore.reader(resolve_paths(report_data_dir).database)) as conn:
        chosen = read_ide_days(conn, DayRange(date(2026, 11, 3), date(2026, 11, 4)), ("dev01", "dev03"))
        assert read_ide_days(conn, WEEK, ()) == ()
        assert read_ide_days(conn, DayRange(date(2026, 12, 1), date(2026, 12, 2))) == ()
    assert {i.developer for i in chosen} == {"dev01", "dev03"}
    assert {i.day for i in chosen} == {date(2026, 11, 3), date(2026, 11, 4)}


def test_a_failed_read_is_a_store_error():
    with closing(sqlite3.connect(":memory:")) as conn, pytest.raises(StoreError, match="could not be read"):
        read_ide_days(conn, WEEK)


# --- in the report data --------------------------------------------------------------------------------


def test_the_report_carries_the_ide_days(week_report, report_data_dir):
    with closing(UsageStore.reader(resolve_paths(report_data_dir).database)) as conn:
        assert week_report.ide_days == read_ide_days(conn, WEEK)


def test_pseudonymizing_renames_the_ide_days(week_report, pseudonymized_report):
    assert {i.developer for i in pseudonymized_report.ide_days}.isdisjoint(DEVELOPERS)
    aliases = {r.developer for r in pseudonymized_report.rows}
    assert {i.developer for i in pseudonymized_report.ide_days} == aliases
    renamed = {dataclasses.replace(i, developer="") for i in pseudonymized_report.ide_days}
    assert renamed == {dataclasses.replace(i, developer="") for i in week_report.ide_days}


def test_a_name_seen_only_in_the_ide_days_is_aliased_too(week_report):
    stranger = IdeDay(day=date(2026, 11, 2), developer="zoe", ide="vscode", requests=1)
    options = ReportOptions(days=WEEK, pseudonymize=True)
    report = build_report(options, week_report.rows, week_report.seed_days, time_zone="UTC",
                          recording_level="metadata", alias_key=ALIAS_KEY, ide_days=(*week_report.ide_days, stranger))
    names = {i.developer for i in report.ide_days}
    assert "zoe" not in names
    assert names.isdisjoint(DEVELOPERS)
    assert len(names) == 5
    plain = build_report(ReportOptions(days=WEEK), week_report.rows, week_report.seed_days, time_zone="UTC",
                         recording_level="metadata", ide_days=(stranger,))
    assert plain.ide_days == (stranger,)
