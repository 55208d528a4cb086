"""The CSV (one row per developer per day) and the seed-shaped JSON, checked against the store."""

import csv
import dataclasses
import io
import json
from contextlib import closing

import pytest

from desktop_app.core.paths import resolve_paths
from desktop_app.core.reports import csv_report, seed_json
from desktop_app.core.reports.columns import DAILY_COLUMNS
from desktop_app.core.reports.progress import Progress, ReportCancelled
from desktop_app.core.seed_format import seed_daily_metrics
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import daily_usage
from tests.core.reports.conftest import DEVELOPERS, WEEK


def parsed_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def store_rows(data_dir):
    with closing(UsageStore.reader(resolve_paths(data_dir).database)) as conn:
        return daily_usage(conn, WEEK.first, WEEK.last)


def test_csv_has_every_figure_of_every_developer_day(week_report, report_data_dir):
    lines = parsed_csv(csv_report.render(week_report, Progress()))
    expected = store_rows(report_data_dir)
    assert list(lines[0]) == [column.key for column in DAILY_COLUMNS]
    assert len(lines) == len(expected) == 28
    for line, row in zip(lines, expected, strict=True):
        assert line["day"] == row.day.isoformat()
        assert line["developer"] == row.developer
        assert int(line["requests"]) == row.requests
        assert (int(line["completions_accepted"]) if line["completions_accepted"] else None) == row.completions_accepted
        assert int(line["user_interactions"]) == row.user_interactions
        assert int(line["prompt_tokens"]) == row.prompt_tokens
        assert float(line["ai_credits"]) == round(row.ai_credits, 4)  # fractions rounded, never 3287.6956123350574
        assert (float(line["acceptance_rate"]) if line["acceptance_rate"] else None) == (
            None if row.acceptance_rate is None else round(row.acceptance_rate, 4))
        assert all(len(cell.partition(".")[2]) <= 4 for cell in line.values() if cell.replace(".", "").isdigit())
        assert json.loads(line["models"]) == row.models
        assert json.loads(line["editors"]) == row.editors


def test_csv_leaves_unknown_acceptance_blank(week_report):
    row = dataclasses.replace(week_report.rows[0], completions_accepted=None, acceptance_rate=None,
                              lines_accepted=None)
    (line,) = parsed_csv(csv_report.render(dataclasses.replace(week_report, rows=(row,)), Progress()))
    assert (line["completions_accepted"], line["acceptance_rate"], line["lines_accepted"]) == ("", "", "")
    assert line["completions_shown"] == str(row.completions_shown)


def test_csv_defuses_cells_a_spreadsheet_would_run(week_report):
    row = dataclasses.replace(week_report.rows[0], developer="=HYPERLINK(\"http://x\")", models={"@evil": 1})
    lines = parsed_csv(csv_report.render(dataclasses.replace(week_report, rows=(row,)), Progress()))
    assert lines[0]["developer"] == "'=HYPERLINK(\"http://x\")"
    assert lines[0]["models"] == '{"@evil":1}'  # JSON text starts with "{": harmless


def test_csv_of_a_pseudonymized_report_names_nobody(pseudonymized_report):
    text = csv_report.render(pseudonymized_report, Progress()).decode("utf-8-sig")
    assert not [name for name in DEVELOPERS if name in text]
    assert {line["developer"] for line in parsed_csv(text.encode("utf-8-sig"))} == {
        t.developer for t in pseudonymized_report.developers}


def test_seed_json_is_the_seed_shape_of_the_store(week_report, report_data_dir):
    days = json.loads(seed_json.render(week_report, Progress()))
    with closing(UsageStore.reader(resolve_paths(report_data_dir).database)) as conn:
        assert days == seed_daily_metrics(conn, WEEK.first, WEEK.last)
    assert [d["day"] for d in days] == [day.isoformat() for day in WEEK.days()]
    assert set(days[0]) == {"day", "total_chat_turns", "total_completions_count", "usage"}


def test_seed_json_of_a_pseudonymized_report_names_nobody(pseudonymized_report, week_report):
    text = seed_json.render(pseudonymized_report, Progress()).decode()
    assert not [name for name in DEVELOPERS if name in text]
    real = json.loads(seed_json.render(week_report, Progress()))
    aliased = json.loads(text)
    assert [d["total_chat_turns"] for d in aliased] == [d["total_chat_turns"] for d in real]
    assert sorted(aliased[0]["usage"].values(), key=json.dumps) == sorted(real[0]["usage"].values(), key=json.dumps)


@pytest.mark.parametrize("module", [csv_report, seed_json])
def test_a_cancel_stops_the_render(week_report, module):
    with pytest.raises(ReportCancelled):
        module.render(week_report, Progress(is_cancelled=lambda: True))
