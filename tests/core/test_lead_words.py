"""Words a lead knows: no internal names ("nes", "infra", "seed script", raw levels) in what people read."""

import re

import pytest

from desktop_app.cli import build_parser
from desktop_app.core import models
from desktop_app.core.guide.ca_guide import GuideContext
from desktop_app.core.guide.setup_page import SetupPage, render_setup_page
from desktop_app.core.reports.columns import DAILY_COLUMNS
from desktop_app.core.reports.formats import FORMAT_INFO
from desktop_app.core.store.queries import SHOWN_FROM_PROXY, SHOWN_FROM_TELEMETRY, SHOWN_SOURCE_TEXT
from desktop_app.core.team.settings import RECORDING_LEVELS, RECORDING_TEXT, recording_text

JARGON = re.compile(r"\b(nes|NES|infra|seed script)\b")


def test_every_kind_has_a_title_without_jargon():
    kinds = {value for name, value in vars(models).items() if name.startswith("KIND_") and isinstance(value, str)}
    assert kinds == set(models.KIND_TITLES)
    assert models.kind_title(models.KIND_NES) == "next edit suggestion"
    assert models.kind_title(models.KIND_INFRA) == "Copilot service call"
    assert models.kind_title("brand_new") == "brand new"
    assert not [t for t in models.KIND_TITLES.values() if JARGON.search(t) or "_" in t]


def test_report_headings_say_next_edit_suggestions_and_how_shown_was_counted():
    titles = {column.key: column.title for column in DAILY_COLUMNS}
    assert titles["nes_shown"] == "Next edit suggestions shown"
    assert titles["nes_accepted"] == "Next edit suggestions accepted"
    assert not [t for t in titles.values() if JARGON.search(t)]
    shown = next(column for column in DAILY_COLUMNS if column.key == "shown_source")
    assert shown.title == "Shown counted from"
    assert SHOWN_SOURCE_TEXT[SHOWN_FROM_TELEMETRY] == "editor telemetry"
    assert SHOWN_SOURCE_TEXT[SHOWN_FROM_PROXY] == "proxy responses"


def test_recording_levels_read_as_what_is_recorded():
    assert set(RECORDING_TEXT) == set(RECORDING_LEVELS)
    assert recording_text("content") == "usage, prompts and answers"
    assert recording_text("metadata") == "usage only"


@pytest.mark.parametrize(("level", "headline"), [
    ("content", "Prompts and answers are recorded."),
    ("metadata", "Only usage is recorded: never your code, prompts or Copilot&#x27;s answers."),
])
def test_the_setup_page_says_what_is_recorded_not_the_level(level, headline):
    page = SetupPage(GuideContext("192.0.2.2", 8080, "Copilot Insight CA (x)", "AB:CD", "http://192.0.2.2:8081/"),
                     level, 30, "1.0")
    html = render_setup_page(page, None)
    assert f"<strong>{headline}</strong>" in html
    assert "Recording level" not in html


def test_command_help_and_format_labels_use_no_internal_names():
    parser = build_parser()
    texts = [parser.format_help()]
    texts += [choice.format_help() for action in parser._subparsers._group_actions
              for choice in action.choices.values()]
    texts += [info.label for info in FORMAT_INFO.values()]
    assert [m.group(0) for text in texts if (m := JARGON.search(text))] == []
    assert FORMAT_INFO["json"].label == "JSON, the daily layout of copilot-proxy-insight (.json)"
