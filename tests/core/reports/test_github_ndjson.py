"""The GitHub-shaped NDJSON report: GitHub's `users-1-day` fields, the store's numbers, nothing else."""

import copy
import dataclasses
import json
import re
from collections import Counter
from datetime import date

import pytest

from desktop_app.core.reports.export import write_report
from desktop_app.core.reports.github_ndjson import SCHEMA, record_json, render, validate_record
from desktop_app.core.reports.progress import Progress, ReportCancelled
from tests.core.reports.conftest import DEVELOPERS, load
from tests.core.reports.test_ide_totals import DAY_RANGE, write_tiny_store

# GitHub's per-user daily record (copilot-protocol.md §6.2), written out here on purpose rather than taken
# from the module's SCHEMA: field → allowed JSON types. Those we leave out are listed in OMITTED.
INT, NUM, STR, BOOL, NULL, ARR, OBJ = int, float, str, bool, type(None), list, dict
TOP_LEVEL = {
    "user_id": (INT, NULL), "user_login": (STR,), "day": (STR,), "organization_id": (STR, INT, NULL),
    "enterprise_id": (STR, INT, NULL), "ai_credits_used": (NUM,), "user_initiated_interaction_count": (INT,),
    "chat_panel_ask_mode": (INT,), "chat_panel_edit_mode": (INT,), "chat_panel_agent_mode": (INT,),
    "chat_panel_plan_mode": (INT,), "chat_panel_custom_mode": (INT,), "chat_panel_unknown_mode": (INT,),
    "code_generation_activity_count": (INT,), "code_acceptance_activity_count": (INT,),
    "loc_suggested_to_add_sum": (INT,), "loc_suggested_to_delete_sum": (INT,), "loc_added_sum": (INT,),
    "loc_deleted_sum": (INT,), "totals_by_ide": (ARR,), "totals_by_feature": (ARR,),
    "totals_by_language_feature": (ARR,), "totals_by_model_feature": (ARR,), "totals_by_cli": (OBJ, NULL),
    "used_agent": (BOOL,), "used_chat": (BOOL,), "used_cli": (BOOL,),
}
OMITTED = {"used_copilot_app", "used_copilot_cloud_agent", "used_copilot_code_review_active",
           "used_copilot_code_review_passive", "used_copilot_coding_agent", "totals_by_copilot_app",
           "totals_by_3rd_party_agent", "totals_by_language_model", "ai_adoption_phase"}
LOC = {"code_generation_activity_count", "code_acceptance_activity_count", "loc_suggested_to_add_sum",
       "loc_suggested_to_delete_sum", "loc_added_sum", "loc_deleted_sum"}
IDE_ITEM = {"ide", "user_initiated_interaction_count", *LOC, "last_known_plugin_version", "last_known_ide_version"}
FEATURE_ITEM = {"feature", "user_initiated_interaction_count", *LOC}
LANGUAGE_FEATURE_ITEM = {"language", "feature", *LOC}
MODEL_FEATURE_ITEM = {"model", "feature", "user_initiated_interaction_count", *LOC}
CLI_TOTALS = {"session_count", "request_count", "prompt_count", "token_usage", "last_known_cli_version"}
TOKEN_USAGE = {"avg_tokens_per_request", "output_tokens_sum", "prompt_tokens_sum"}
GITHUB_FEATURES = {"code_completion", "chat_inline", "chat_panel_ask_mode", "chat_panel_edit_mode",
                   "chat_panel_agent_mode", "chat_panel_plan_mode", "chat_panel_custom_mode",
                   "chat_panel_unknown_mode", "agent_edit", "copilot_cli", "copilot_app", "others"}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def records(content: bytes) -> list[dict]:
    assert content.endswith(b"\n")
    lines = content.decode("utf-8").split("\n")[:-1]
    parsed = [json.loads(line) for line in lines]
    for line, record in zip(lines, parsed, strict=True):
        assert line == json.dumps(record, separators=(",", ":"))  # compact, one line, ASCII
    return parsed


def has_type(value, types):
    if isinstance(value, bool):
        return BOOL in types
    if isinstance(value, int):
        return INT in types or NUM in types
    return isinstance(value, types)


def check_items(items, keys, path):
    assert isinstance(items, list), path
    for n, item in enumerate(items):
        assert set(item) == keys, f"{path}[{n}]"
        for name in keys & LOC | {"user_initiated_interaction_count"} & keys:
            assert has_type(item[name], (INT,)) and item[name] >= 0, f"{path}[{n}].{name}"


def check_independently(record):
    """The record against GitHub's field list as this test knows it (not the module's own SCHEMA)."""
    assert set(record) - {"x_proxy"} == set(TOP_LEVEL)
    assert isinstance(record["x_proxy"], dict)
    assert not set(record) & OMITTED
    for name, types in TOP_LEVEL.items():
        assert has_type(record[name], types), (name, record[name])
    assert date.fromisoformat(record["day"])
    assert record["user_id"] is record["organization_id"] is record["enterprise_id"] is None
    check_items(record["totals_by_ide"], IDE_ITEM, "totals_by_ide")
    for item in record["totals_by_ide"]:
        for version in (item["last_known_plugin_version"], item["last_known_ide_version"]):
            assert version is None or TIMESTAMP.fullmatch(version["sampled_at"])
        plugin = item["last_known_plugin_version"]
        assert plugin is None or set(plugin) == {"plugin", "plugin_version", "sampled_at"}
        ide = item["last_known_ide_version"]
        assert ide is None or set(ide) == {"ide_version", "sampled_at"}
    check_items(record["totals_by_feature"], FEATURE_ITEM, "totals_by_feature")
    check_items(record["totals_by_language_feature"], LANGUAGE_FEATURE_ITEM, "totals_by_language_feature")
    check_items(record["totals_by_model_feature"], MODEL_FEATURE_ITEM, "totals_by_model_feature")
    for key in ("totals_by_feature", "totals_by_language_feature", "totals_by_model_feature"):
        assert {item["feature"] for item in record[key]} <= GITHUB_FEATURES
    cli = record["totals_by_cli"]
    if cli is not None:
        assert set(cli) == CLI_TOTALS
        assert set(cli["token_usage"]) == TOKEN_USAGE
        assert cli["session_count"] is None
        assert has_type(cli["request_count"], (INT,)) and has_type(cli["prompt_count"], (INT,))
        assert isinstance(cli["token_usage"]["avg_tokens_per_request"], float)


@pytest.fixture(scope="module")
def week_records(week_report):
    return records(render(week_report, Progress()))


# --- shape ------------------------------------------------------------------------------------------------


def test_every_line_is_a_valid_users_1_day_record(week_records, week_report):
    assert len(week_records) == len(week_report.rows) == 28
    for record in week_records:
        assert validate_record(record) == []
        check_independently(record)


def test_the_module_schema_documents_githubs_fields():
    assert set(SCHEMA["record"]) == {*TOP_LEVEL, "x_proxy"}
    assert set(SCHEMA["ide_totals"]) == IDE_ITEM
    assert set(SCHEMA["feature_totals"]) == FEATURE_ITEM
    assert set(SCHEMA["language_feature_totals"]) == LANGUAGE_FEATURE_ITEM
    assert set(SCHEMA["model_feature_totals"]) == MODEL_FEATURE_ITEM
    assert set(SCHEMA["cli_totals"]) == CLI_TOTALS
    assert set(SCHEMA["token_usage"]) == TOKEN_USAGE
    for decided in ("user_id", "organization_id", "enterprise_id", "day", "totals_by_cli", "chat_panel_plan_mode",
                    "chat_panel_custom_mode", "loc_deleted_sum"):
        assert SCHEMA["record"][decided].note, decided


def test_lines_are_sorted_by_day_then_developer(week_records):
    keys = [(r["day"], r["user_login"]) for r in week_records]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert {r["user_login"] for r in week_records} == set(DEVELOPERS)


@pytest.mark.parametrize(("change", "problem"), [
    (lambda r: r.pop("user_login"), "user_login: missing"),
    (lambda r: r.update(user_initiated_interaction_count=True), "user_initiated_interaction_count: expected integer"),
    (lambda r: r.update(ai_credits_used="1.5"), "ai_credits_used: expected number"),
    (lambda r: r.update(day="02/11/2026"), "day: '02/11/2026' is not a date"),
    (lambda r: r.update(surprise=1), "surprise: not in the schema"),
    (lambda r: r["totals_by_ide"][0].update(ide=None), "totals_by_ide[0].ide: expected string"),
    (lambda r: r["totals_by_ide"][0].pop("loc_added_sum"), "totals_by_ide[0].loc_added_sum: missing"),
    (lambda r: r["totals_by_ide"][0]["last_known_ide_version"].update(sampled_at="yesterday"),
     "totals_by_ide[0].last_known_ide_version.sampled_at: 'yesterday' is not a date-time"),
    (lambda r: r["totals_by_feature"].insert(0, 7), "totals_by_feature[0]: expected object"),
    (lambda r: r["totals_by_cli"]["token_usage"].update(prompt_tokens_sum=1.5),
     "totals_by_cli.token_usage.prompt_tokens_sum: expected integer"),
    (lambda r: r["x_proxy"]["interactions_by_mode"].update(ask="3"), "x_proxy.interactions_by_mode.ask: expected"),
    (lambda r: r["x_proxy"].update(secret=1), "x_proxy.secret: not in the schema"),
    (lambda r: r.update(used_cli=None), "used_cli: expected boolean"),
])
def test_validation_names_each_problem(week_records, change, problem):
    record = copy.deepcopy(next(r for r in week_records if r["totals_by_cli"] is not None))
    assert validate_record(record) == []
    change(record)
    problems = validate_record(record)
    assert len(problems) == 1
    assert problems[0].startswith(problem), problems
    assert validate_record([record]) == ["$: expected object, got list"]


# --- numbers ----------------------------------------------------------------------------------------------


def test_numbers_are_the_stores(week_records, week_report):
    for record, row in zip(week_records, week_report.rows, strict=True):
        assert (record["day"], record["user_login"]) == (row.day.isoformat(), row.developer)
        assert record["user_initiated_interaction_count"] == row.user_interactions
        assert record["ai_credits_used"] == row.ai_credits
        assert record["code_generation_activity_count"] == row.completions_shown
        assert record["code_acceptance_activity_count"] == row.completions_accepted + row.chat_acceptances
        assert record["loc_suggested_to_add_sum"] == row.lines_suggested
        assert record["loc_added_sum"] == row.lines_accepted
        modes = row.interactions_by_mode
        assert record["chat_panel_ask_mode"] == modes.get("ask", 0)
        assert record["chat_panel_edit_mode"] == modes.get("edit", 0)
        assert record["chat_panel_agent_mode"] == modes.get("agent", 0) + modes.get("subagent", 0)
        assert record["chat_panel_plan_mode"] == record["chat_panel_custom_mode"] == 0
        assert record["used_agent"] == (modes.get("agent", 0) > 0)
        assert record["used_cli"] == (modes.get("cli", 0) > 0)
        assert record["x_proxy"]["agent_requests"] == row.agent_requests
        assert record["x_proxy"]["nes_shown"] == row.nes_shown
        assert record["x_proxy"]["time_zone"] == week_report.time_zone == "UTC"


def test_the_breakdowns_add_up_to_the_days_figures(week_records):
    figures = ("user_initiated_interaction_count", "code_generation_activity_count", "code_acceptance_activity_count",
               "loc_suggested_to_add_sum", "loc_added_sum")
    for record in week_records:
        cli = record["totals_by_cli"]
        cli_interactions = sum(f["user_initiated_interaction_count"] for f in record["totals_by_feature"]
                               if f["feature"] == "copilot_cli")
        assert (cli is not None) == (cli_interactions > 0) == record["used_cli"]
        for figure in figures:
            total = record[figure]
            assert sum(item[figure] for item in record["totals_by_feature"]) == total, figure
            ides = sum(item[figure] for item in record["totals_by_ide"])
            assert ides + (cli_interactions if figure == "user_initiated_interaction_count" else 0) == total, figure
        for figure in figures[1:]:
            assert sum(item[figure] for item in record["totals_by_language_feature"]) == record[figure], figure
        chat = [f for f in record["totals_by_feature"] if f["feature"] != "code_completion"]
        for figure in ("user_initiated_interaction_count", "code_acceptance_activity_count"):
            assert sum(item[figure] for item in record["totals_by_model_feature"]) == sum(f[figure] for f in chat)


def test_the_week_uses_every_kind_of_figure(week_records):
    """Guard against a vacuous pass: the synthetic week exercises each breakdown."""
    features = Counter(item["feature"] for r in week_records for item in r["totals_by_feature"])
    assert {"code_completion", "chat_inline", "chat_panel_ask_mode", "chat_panel_agent_mode", "chat_panel_edit_mode",
            "copilot_cli", "chat_panel_unknown_mode"} <= set(features)
    assert sum(r["totals_by_cli"] is not None for r in week_records) >= 10
    assert {item["ide"] for r in week_records for item in r["totals_by_ide"]} == {"vscode", "JetBrains-IU"}


# --- pseudonymized, cancelled, written --------------------------------------------------------------------


def test_a_pseudonymized_report_names_nobody(pseudonymized_report, week_records):
    content = render(pseudonymized_report, Progress())
    for name in DEVELOPERS:
        assert name.encode() not in content
    aliased = records(content)
    assert {r["user_login"] for r in aliased} == {r.developer for r in pseudonymized_report.rows}
    logins = {r["user_login"] for r in aliased}
    assert all(login.startswith("developer-") for login in logins)
    strip = [dict(r, user_login="") for r in aliased]
    assert sorted(strip, key=json.dumps) == sorted((dict(r, user_login="") for r in week_records), key=json.dumps)


def test_cancelling_stops_the_report(week_report):
    with pytest.raises(ReportCancelled):
        render(week_report, Progress(is_cancelled=lambda: True))
    asked = []

    def cancel_on_the_second_question():
        asked.append(1)
        return len(asked) >= 2

    with pytest.raises(ReportCancelled):
        render(week_report, Progress(is_cancelled=cancel_on_the_second_question))


def test_progress_is_reported_every_few_hundred_lines(week_report):
    rows = week_report.rows * 20  # 560 lines
    steps = []
    render(dataclasses.replace(week_report, rows=rows), Progress(lambda f, _what: steps.append(f)))
    assert steps == [0.0, 200 / 560, 400 / 560, 1.0]


def test_export_writes_the_rendered_bytes(week_report, tmp_path):
    path = tmp_path / "usage.ndjson"
    size = write_report("github-ndjson", week_report, path)
    assert path.read_bytes() == render(week_report, Progress())
    assert size == path.stat().st_size


# --- the hand-written store, exactly ----------------------------------------------------------------------


@pytest.fixture
def tiny_records(tmp_path):
    write_tiny_store(tmp_path)
    data = load(tmp_path, days=DAY_RANGE)
    lines = records(render(data, Progress()))
    for record in lines:
        assert validate_record(record) == []
        check_independently(record)
    return {r["user_login"]: r for r in lines}


def test_modes_map_to_githubs_fields(tiny_records):
    alice = tiny_records["alice"]
    assert alice["user_initiated_interaction_count"] == 9
    assert {name: alice[name] for name in TOP_LEVEL if name.startswith("chat_panel_")} == {
        "chat_panel_ask_mode": 2,  # i1, i3
        "chat_panel_edit_mode": 0,
        "chat_panel_agent_mode": 2,  # i2 and the subagent call
        "chat_panel_plan_mode": 0,
        "chat_panel_custom_mode": 0,
        "chat_panel_unknown_mode": 2,  # two calls without intent or id
    }
    features = {f["feature"]: (f["user_initiated_interaction_count"], f["code_generation_activity_count"],
                               f["code_acceptance_activity_count"], f["loc_suggested_to_add_sum"], f["loc_added_sum"])
                for f in alice["totals_by_feature"]}
    assert features == {
        "code_completion": (0, 3, 2, 9, 7),
        "chat_panel_ask_mode": (2, 0, 0, 0, 0),
        "chat_panel_agent_mode": (2, 0, 0, 0, 0),
        "chat_panel_unknown_mode": (2, 0, 2, 0, 0),  # the chat acceptances (their mode is not known)
        "chat_inline": (1, 0, 0, 0, 0),
        "copilot_cli": (1, 0, 0, 0, 0),
        "others": (1, 0, 0, 0, 0),  # extension:foo
    }
    assert (alice["used_agent"], alice["used_chat"], alice["used_cli"]) == (True, True, True)
    assert alice["ai_credits_used"] == 1.5
    assert (alice["code_generation_activity_count"], alice["code_acceptance_activity_count"]) == (3, 4)
    assert (alice["loc_suggested_to_add_sum"], alice["loc_added_sum"]) == (9, 7)
    assert alice["x_proxy"]["interactions_by_mode"] == {"agent": 1, "ask": 2, "cli": 1, "extension:foo": 1,
                                                        "inline": 1, "subagent": 1, "unknown": 2}


def test_cli_totals_are_the_cli_model_calls(tiny_records):
    alice = tiny_records["alice"]
    assert alice["totals_by_cli"] == {
        "session_count": None, "request_count": 3, "prompt_count": 1,
        "token_usage": {"avg_tokens_per_request": 1800.0, "output_tokens_sum": 400, "prompt_tokens_sum": 5000},
        "last_known_cli_version": {"cli_version": "1.0.102", "sampled_at": "2026-11-02T13:10:00.000Z"},
    }
    assert "copilot-cli" not in {item["ide"] for item in alice["totals_by_ide"]}
    bob = tiny_records["bob"]
    assert bob["totals_by_cli"] is None
    assert (bob["used_cli"], bob["used_agent"], bob["used_chat"]) == (False, False, True)


def test_ide_totals_of_the_hand_written_store(tiny_records):
    ides = {item["ide"]: item for item in tiny_records["alice"]["totals_by_ide"]}
    assert list(ides) == ["intellij", "neovim", "unknown", "vscode"]
    assert ides["vscode"] == {
        "ide": "vscode", "user_initiated_interaction_count": 7, "code_generation_activity_count": 1,
        "code_acceptance_activity_count": 3, "loc_suggested_to_add_sum": 5, "loc_suggested_to_delete_sum": 0,
        "loc_added_sum": 2, "loc_deleted_sum": 0,
        "last_known_plugin_version": {"plugin": "copilot-chat", "plugin_version": "0.38.0",
                                      "sampled_at": "2026-11-02T09:01:00.000Z"},
        "last_known_ide_version": {"ide_version": "1.110.0", "sampled_at": "2026-11-02T09:01:00.000Z"},
    }
    assert ides["neovim"]["last_known_ide_version"] is None
    assert ides["neovim"]["last_known_plugin_version"] is None
    bob = tiny_records["bob"]
    assert [item["ide"] for item in bob["totals_by_ide"]] == ["vscode"]
    assert bob["code_generation_activity_count"] == 1  # no "shown" telemetry: the returned completion
    assert bob["x_proxy"]["shown_source"] == "proxy"


def test_language_and_model_breakdowns_of_the_hand_written_store(tiny_records):
    alice = tiny_records["alice"]
    languages = {(i["language"], i["feature"]): (i["code_generation_activity_count"],
                                                 i["code_acceptance_activity_count"], i["loc_suggested_to_add_sum"],
                                                 i["loc_added_sum"])
                 for i in alice["totals_by_language_feature"]}
    assert languages == {
        ("python", "code_completion"): (1, 2, 5, 7),
        ("java", "code_completion"): (1, 0, 4, 0),
        ("lua", "code_completion"): (1, 0, 0, 0),
        ("python", "chat_panel_unknown_mode"): (0, 1, 0, 0),
        ("unknown", "chat_panel_unknown_mode"): (0, 1, 0, 0),
    }
    models = {(i["model"], i["feature"]): (i["user_initiated_interaction_count"], i["code_acceptance_activity_count"])
              for i in alice["totals_by_model_feature"]}
    assert models == {
        ("gpt-5.4", "chat_panel_ask_mode"): (2, 0),
        ("claude-sonnet-4.6", "chat_panel_agent_mode"): (1, 0),
        ("gpt-5.4", "chat_panel_agent_mode"): (1, 0),
        ("gpt-4.1", "others"): (1, 0),
        ("unknown", "chat_panel_unknown_mode"): (2, 1),
        ("gpt-4.1", "chat_inline"): (1, 0),
        ("gpt-5.4", "copilot_cli"): (1, 0),
        ("gpt-5.4", "chat_panel_unknown_mode"): (0, 1),
    }


def test_a_record_without_ide_days_keeps_the_days_figures(week_report):
    row = week_report.rows[0]
    record = json.loads(record_json(row, [], "UTC"))
    assert validate_record(record) == []
    assert record["user_initiated_interaction_count"] == row.user_interactions
    assert (record["totals_by_ide"], record["totals_by_feature"], record["totals_by_cli"]) == ([], [], None)


def test_unicode_line_separators_in_client_names_stay_inside_their_record(tmp_path):
    write_tiny_store(tmp_path)
    data = load(tmp_path, days=DAY_RANGE)
    odd = "\u2028x\u0085y\u2029"
    breakdowns = tuple(dataclasses.replace(
        d, models=tuple((model + odd, *rest) for model, *rest in d.models),
        languages=tuple(("lang" + odd + "é", *rest) for _, *rest in d.languages))
        for d in data.day_breakdowns)
    content = render(dataclasses.replace(data, day_breakdowns=breakdowns), Progress())
    assert content.isascii()
    text = content.decode("utf-8")
    lines = text.splitlines()
    assert len(lines) == len(data.rows) == text.count("\n")
    parsed = [json.loads(line) for line in lines]
    assert parsed == records(content)
    models = {m["model"] for r in parsed for m in r["totals_by_model_feature"]}
    languages = {lf["language"] for r in parsed for lf in r["totals_by_language_feature"]}
    assert any(m.endswith(odd) for m in models)
    assert "lang" + odd + "é" in languages
