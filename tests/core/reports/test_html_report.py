"""The HTML report: one self-contained, escaped page whose figures are the report data's."""

import dataclasses
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from desktop_app.core.figures import NO_TELEMETRY, UNKNOWN, display_text, figure
from desktop_app.core.reports.data import build_report
from desktop_app.core.reports.html_report import APPENDIX_COLUMNS, render
from desktop_app.core.reports.progress import Progress, ReportCancelled
from desktop_app.core.reports.prompts import PromptEntry

DEVELOPERS = ("dev00", "dev01", "dev02", "dev03")


class Page(HTMLParser):
    """What the tests look at: every start tag, the text, each table's cells, card figures."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "table":
            self._table = attributes.get("class") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in {"td", "th"} and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in {"td", "th"} and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.tags if name == tag)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


@pytest.fixture(scope="module")
def week_html(week_report) -> str:
    return render(week_report, Progress()).decode("utf-8")


@pytest.fixture(scope="module")
def week_page(week_html) -> Page:
    return Page(week_html)


def expected_cell(column, row) -> str:
    return display_text(getattr(row, column.key), column.figure)  # tokens rounded, the exact value in its title


def test_the_page_is_self_contained(week_html, week_page):
    assert week_html.startswith("<!DOCTYPE html>")
    for tag in ("script", "link", "img", "iframe", "object", "embed"):
        assert week_page.count(tag) == 0, tag
    for _, attributes in week_page.tags:
        assert "src" not in attributes and "href" not in attributes
    style = "".join(t for t in week_page.text if "@media" in t)
    assert "@media print" in style and "url(" not in style and "@import" not in style
    assert week_page.count("svg") == 5
    assert week_page.count("rect") > 28


def test_cover_states_period_time_zone_recording_level_and_names(week_report, week_page):
    text = week_page.all_text
    assert f"Period: {week_report.period_text}" in text
    assert "2026-11-02 to 2026-11-08" in text
    assert f"Time zone: {week_report.time_zone}" in text
    assert "Recording level: usage only" in text
    assert f"Generated: {week_report.generated_at:%Y-%m-%d %H:%M}" in text
    assert "Developer names are shown as recorded." in text


def test_content_recording_level_reads_as_people_know_it(week_report):
    text = Page(render(dataclasses.replace(week_report, recording_level="content"), Progress()).decode()).all_text
    assert "Recording level: usage, prompts and answers" in text


def test_summary_cards_show_the_summary(week_report, week_page):
    summary = week_report.summary
    cards = [t for t in week_page.text if t.strip()]
    for text, caption in ((f"{summary.requests:,}", "Requests"), ("4", "Active developers"),
                          (display_text(summary.tokens, figure("tokens")), "Tokens"),
                          (f"{summary.ai_credits:,.2f}", "AI credits"),
                          (f"{summary.acceptance_rate:.1%}", "Acceptance rate"), (f"{summary.errors:,}", "Errors")):
        index = cards.index(caption)
        assert cards[index - 1] == text, caption
    assert "6,000" in cards and "36.2%" in cards


def test_unknown_acceptance_reads_as_a_dash_with_a_footnote(week_report):
    rows = tuple(dataclasses.replace(r, completions_accepted=None, acceptance_rate=None, lines_accepted=None,
                                     chat_acceptances=None, nes_shown=None, nes_accepted=None)
                 for r in week_report.rows)
    data = build_report(week_report.options, rows, [], time_zone="UTC", recording_level="metadata")
    page = Page(render(data, Progress()).decode())
    cards = [t for t in page.text if t.strip()]
    assert cards[cards.index("Acceptance rate") - 1] == UNKNOWN
    assert cards[cards.index("Completions accepted") - 1] == UNKNOWN
    assert NO_TELEMETRY in page.all_text
    accepted = [c.key for c in APPENDIX_COLUMNS].index("completions_accepted")
    assert {row[accepted] for row in page.tables["daily"][1:]} == {UNKNOWN}


def test_daily_appendix_holds_every_row_and_figure_but_the_breakdowns(week_report, week_page):
    table = week_page.tables["daily"]
    assert table[0] == [column.title for column in APPENDIX_COLUMNS]
    assert not any(column.kind == "counts" for column in APPENDIX_COLUMNS)
    body = table[1:]
    assert len(body) == len(week_report.rows) == 28
    for cells, row in zip(body, week_report.rows, strict=True):
        assert cells == [expected_cell(column, row) for column in APPENDIX_COLUMNS]
    first = week_report.rows[0]
    assert body[0][:3] == [first.day.isoformat(), first.developer, f"{first.requests:,}"]


def test_the_page_leads_with_summary_developers_and_trends_then_the_appendix(week_html):
    order = [week_html.index(f'id="{section}"') for section in ("summary", "developers", "charts", "daily")]
    assert order == sorted(order)
    assert "position: sticky" in week_html and "white-space: nowrap" in week_html


def test_developers_table_lists_everyone_busiest_first(week_report, week_page):
    table = week_page.tables["developers"]
    assert [row[0] for row in table[1:]] == [t.developer for t in week_report.developers]
    assert sorted(row[0] for row in table[1:]) == list(DEVELOPERS)
    busiest = week_report.developers[0].summary
    assert table[1][1] == f"{busiest.requests:,}"
    assert sum(int(row[1].replace(",", "")) for row in table[1:]) == week_report.summary.requests


def test_charts_are_the_dashboards_breakdowns(week_page):
    labels = week_page.all_text
    for title in ("Requests per day, by developer", "Interactions by mode", "Model calls by model",
                  "Completions requested by language", "Requests by editor"):
        assert title in labels
    assert "claude-sonnet-4.6" in labels and "JetBrains-IU" in labels


def test_pseudonymized_page_names_nobody(pseudonymized_report):
    markup = render(pseudonymized_report, Progress()).decode()
    for name in DEVELOPERS:
        assert name not in markup
    page = Page(markup)
    assert "pseudonymized" in page.all_text
    assert all(row[1].startswith("developer-") for row in page.tables["daily"][1:])


def test_prompts_only_when_the_data_has_them(week_page, report_with_prompts):
    assert "Prompts and answers" not in week_page.all_text
    assert all(attributes.get("id") != "prompts" for _, attributes in week_page.tags)

    page = Page(render(report_with_prompts, Progress()).decode())
    text = page.all_text
    assert "Prompts and answers" in text
    assert "Why does 日本語 input fail? — “quotes”" in text
    assert "Refactor <Parser> & add tests" in text
    assert "dev00 · 2026-11-03 09:15 · agent · gpt-5" in text  # the store's zone is UTC here
    assert page.count("parser") == 0  # "<Parser>" stayed text


def test_every_data_string_is_escaped(report_with_prompts):
    hostile = PromptEntry("dev00", datetime(2026, 11, 3, 9, 0, tzinfo=UTC), "ask", '<img src="x">',
                          "<script>alert('prompt')</script>", "</pre><script>alert(2)</script>")
    data = dataclasses.replace(report_with_prompts, prompts=(hostile,),
                               models=(("<script>model</script>", 3),))
    markup = render(data, Progress()).decode()
    page = Page(markup)
    assert page.count("script") == 0 and page.count("img") == 0
    assert "<script>alert('prompt')</script>" in page.all_text
    assert "</pre><script>alert(2)</script>" in page.all_text
    assert "<script>model</script>" in page.all_text
    assert "&lt;script&gt;" in markup


def test_progress_climbs_and_a_cancel_stops_it(week_report, report_with_prompts):
    seen: list[float] = []
    render(report_with_prompts, Progress(on_step=lambda f, _what: seen.append(f)))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 5

    with pytest.raises(ReportCancelled):
        render(week_report, Progress(is_cancelled=lambda: True))
    calls: list[float] = []
    with pytest.raises(ReportCancelled):
        render(week_report, Progress(on_step=lambda f, _w: calls.append(f), is_cancelled=lambda: len(calls) >= 2))
    assert len(calls) == 2


def test_undecodable_text_does_not_stop_the_page(report_with_prompts):
    broken = PromptEntry("dev00", datetime(2026, 11, 3, 9, 0, tzinfo=UTC), "ask", "gpt-5", "half \ud800 pair", "ok")
    markup = render(dataclasses.replace(report_with_prompts, prompts=(broken,)), Progress()).decode("utf-8")
    assert "half ? pair" in Page(markup).all_text
