"""The Excel workbook report, read back with openpyxl and compared with an independent read of the store."""

import dataclasses
import re
import zipfile
from contextlib import closing
from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from xlsxwriter.worksheet import Worksheet

from desktop_app.core.figures import SUMMARY_KEYS, figure
from desktop_app.core.paths import resolve_paths
from desktop_app.core.reports import xlsx_report
from desktop_app.core.reports.columns import DAILY_COLUMNS, counts_json
from desktop_app.core.reports.progress import Progress, ReportCancelled
from desktop_app.core.reports.prompts import PromptEntry
from desktop_app.core.reports.xlsx_report import MAX_CELL_CHARS, TRUNCATED_MARK, render, safe_text
from desktop_app.core.store.dashboard import breakdown, developer_totals, summarize
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import daily_usage
from tests.core.reports.conftest import DEVELOPERS, WEEK

SHEETS = ["Developers", "Summary", "Daily", "Models", "Languages", "Editors"]
NUMERIC_KINDS = {"count", "ratio", "credits", "millis"}
SUMMARY_FIGURES = {figure(key).title: key for key in SUMMARY_KEYS}


def same_number(found: object, expected: float | None) -> bool:
    """Counts exactly; other figures to the 16 significant digits the workbook holds (Excel shows 15)."""
    if expected is None or isinstance(expected, int):
        return found == expected and type(found) is type(expected)
    # (0.0 is written as "0" and reads back as the int 0)
    return isinstance(found, int | float) and found == pytest.approx(expected, rel=1e-15, abs=0)


def open_book(content: bytes):
    return load_workbook(BytesIO(content))


def zip_members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def table(ws, header_row: int = 1) -> list[dict[str, object]]:
    """The sheet's table below `header_row` as dicts keyed by heading."""
    headings = [cell.value for cell in ws[header_row]]
    return [dict(zip(headings, values, strict=True))
            for values in ws.iter_rows(min_row=header_row + 1, values_only=True)]


def labelled(ws) -> dict[str, object]:
    """Column A label -> column B value on the Summary sheet (the first occurrence of each label)."""
    found: dict[str, object] = {}
    for label, value, *_ in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if isinstance(label, str):
            found.setdefault(label, value)
    return found


def label_cell(ws, label: str):
    return next(row[1] for row in ws.iter_rows(min_col=1, max_col=2) if row[0].value == label)


@pytest.fixture(scope="module")
def store_rows(report_data_dir):
    """The week's rows, read again from the store (independently of the report's own read)."""
    with closing(UsageStore.reader(resolve_paths(report_data_dir).database)) as conn:
        rows = daily_usage(conn, WEEK.first, WEEK.last)
    assert len(rows) == 28  # 4 developers x 7 days: the fixture really has data
    return rows


@pytest.fixture(scope="module")
def week_xlsx(week_report) -> bytes:
    return render(week_report, Progress())


# --- structure ---------------------------------------------------------------------------------------


def test_sheets_in_order_without_prompts(week_xlsx):
    assert week_xlsx[:2] == b"PK"
    assert open_book(week_xlsx).sheetnames == SHEETS


def test_the_workbook_opens_on_the_per_developer_sheet(week_xlsx):
    book = open_book(week_xlsx)
    assert book.active.title == "Developers"
    assert [cell.value for cell in book["Developers"][1]][:2] == ["Developer", "Requests"]


def test_summary_sheet_states_the_period_and_settings(week_xlsx, week_report):
    ws = open_book(week_xlsx)["Summary"]
    assert ws["A1"].value == "Copilot usage report"
    about = labelled(ws)
    assert about["Period"] == "2026-11-02 to 2026-11-08"
    assert about["Time zone"] == week_report.time_zone
    assert about["Recording level"] == "usage only"
    assert about["Generated at"] == week_report.generated_at.isoformat(sep=" ", timespec="seconds")
    assert about["Names pseudonymized"] == "no"
    assert "Prompts" not in about


def test_content_recording_level_and_time_zone_are_shown(week_report):
    content = dataclasses.replace(week_report, recording_level="content", time_zone="Europe/Berlin")
    about = labelled(open_book(render(content, Progress()))["Summary"])
    assert about["Recording level"] == "usage, prompts and answers"
    assert about["Time zone"] == "Europe/Berlin"


def test_summary_figures_equal_the_store(week_xlsx, store_rows):
    ws = open_book(week_xlsx)["Summary"]
    expected = summarize(store_rows)
    values = labelled(ws)
    for label, attribute in SUMMARY_FIGURES.items():
        cell = label_cell(ws, label)
        assert cell.data_type == "n", label  # a number, not text
        assert same_number(values[label], getattr(expected, attribute)), label
    assert values["Requests"] == 6000
    assert values["Active developers"] == 4
    assert label_cell(ws, "Acceptance rate").number_format == "0.0%"
    assert label_cell(ws, "AI credits").number_format == "#,##0.00"


# --- Daily ---------------------------------------------------------------------------------------------


def test_daily_sheet_equals_the_store(week_xlsx, store_rows):
    ws = open_book(week_xlsx)["Daily"]
    assert [cell.value for cell in ws[1]] == [column.title for column in DAILY_COLUMNS]
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == len(store_rows)
    for cells, usage in zip(rows, store_rows, strict=True):
        for cell, column in zip(cells, DAILY_COLUMNS, strict=True):
            expected = getattr(usage, column.key)
            if column.key == "day":
                assert cell.is_date
                assert cell.value == datetime.combine(usage.day, datetime.min.time())
            elif column.kind in NUMERIC_KINDS:
                assert same_number(cell.value, expected), (column.key, usage.day, usage.developer, cell.value)
                assert cell.data_type == "n"
            elif column.kind == "counts":
                assert cell.value == counts_json(expected)
            else:
                assert cell.value == column.readable(usage)  # coded text in words ("the editor's telemetry")
                assert cell.data_type == "s"


def test_daily_sheet_number_formats_and_layout(week_xlsx):
    ws = open_book(week_xlsx)["Daily"]
    formats = {column.key: ws.cell(row=2, column=n).number_format for n, column in enumerate(DAILY_COLUMNS, 1)}
    assert formats["day"] == "yyyy-mm-dd"
    assert formats["acceptance_rate"] == "0.0%"
    assert formats["ai_credits"] == "#,##0.00"
    assert formats["requests"] == "#,##0"
    assert ws.freeze_panes == "A2"
    last = ws.cell(row=1, column=len(DAILY_COLUMNS)).column_letter
    assert ws.auto_filter.ref == f"A1:{last}29"
    assert ws.column_dimensions["A"].width >= 12
    models = ws.cell(row=1, column=[c.key for c in DAILY_COLUMNS].index("models") + 1).column_letter
    assert ws.column_dimensions[models].width >= 30  # a JSON breakdown column


def test_unknown_figures_are_empty_cells(week_report):
    quiet = dataclasses.replace(week_report.rows[0], acceptance_rate=None, latency_p50_ms=None)
    ws = open_book(render(dataclasses.replace(week_report, rows=(quiet,)), Progress()))["Daily"]
    heading = [cell.value for cell in ws[1]]
    assert ws.cell(row=2, column=heading.index("Acceptance rate") + 1).value is None
    assert ws.cell(row=2, column=heading.index("Latency p50 (ms)") + 1).value is None
    assert ws.cell(row=2, column=heading.index("Requests") + 1).value == quiet.requests
    assert ws.max_row == 2


def test_a_figure_that_is_not_a_number_is_an_empty_cell_and_big_counts_stay_exact(week_report):
    odd = dataclasses.replace(week_report.rows[0], ai_credits=float("nan"), latency_p95_ms=float("inf"),
                              prompt_tokens=1_234_567_890_123_456)
    ws = open_book(render(dataclasses.replace(week_report, rows=(odd,)), Progress()))["Daily"]
    heading = [cell.value for cell in ws[1]]
    assert ws.cell(row=2, column=heading.index("AI credits") + 1).value is None
    assert ws.cell(row=2, column=heading.index("Latency p95 (ms)") + 1).value is None
    assert ws.cell(row=2, column=heading.index("Requests") + 1).value == odd.requests
    assert same_number(ws.cell(row=2, column=heading.index("Prompt tokens") + 1).value, 1_234_567_890_123_456)


# --- Developers and breakdowns ------------------------------------------------------------------------


def test_developers_sheet_equals_the_store(week_xlsx, store_rows):
    found = table(open_book(week_xlsx)["Developers"])
    expected = developer_totals(store_rows)
    assert [row["Developer"] for row in found] == [t.developer for t in expected]
    assert sorted(row["Developer"] for row in found) == list(DEVELOPERS)
    for row, totals in zip(found, expected, strict=True):
        assert row["Active days"] == totals.active_days == 7
        for label, attribute in SUMMARY_FIGURES.items():
            if label != "Active developers":
                assert same_number(row[label], getattr(totals.summary, attribute)), (totals.developer, label)
    whole = summarize(store_rows)
    assert sum(row["Requests"] for row in found) == whole.requests
    assert sum(row["Completions accepted"] for row in found) == whole.completions_accepted
    assert sum(row["AI credits"] for row in found) == pytest.approx(whole.ai_credits)


def test_headings_and_the_chart_table_fit_their_columns(week_xlsx):
    book = open_book(week_xlsx)
    for sheet in ("Developers", "Daily"):
        column = "A" if sheet == "Developers" else "B"
        assert book[sheet][f"{column}1"].value == "Developer"
        assert book[sheet].column_dimensions[column].width > len("Developer") + 1, sheet  # bold, not cut
    summary = book["Summary"]
    # the chart table's developers sit in B, C, D, ...: C holds a four-digit count, not '###'
    assert summary.column_dimensions["C"].width >= 8


@pytest.mark.parametrize(("sheet", "field", "total"), [
    ("Models", "models", "model_calls"),
    ("Languages", "languages", "completions_requested"),
    ("Editors", "editors", "requests"),
])
def test_breakdown_sheets_equal_the_store(week_xlsx, store_rows, sheet, field, total):
    ws = open_book(week_xlsx)[sheet]
    found = [(name, count) for name, count in ws.iter_rows(min_row=2, max_col=2, values_only=True)]
    assert found == list(breakdown(getattr(r, field) for r in store_rows))
    assert len(found) >= 3
    assert sum(count for _, count in found) == sum(getattr(r, total) for r in store_rows)
    assert all(ws.cell(row=n, column=2).data_type == "n" for n in range(2, len(found) + 2))


def test_charts_are_native_and_refer_to_their_data(week_xlsx):
    members = zip_members(week_xlsx)
    charts = sorted(name for name in members if re.fullmatch(r"xl/charts/chart\d+\.xml", name))
    assert len(charts) == 4
    book = open_book(week_xlsx)
    assert [len(book[name]._charts) for name in SHEETS] == [0, 1, 0, 1, 1, 1]
    # DrawingML elements, with or without the `c:` namespace prefix (writers differ)
    xml = {name: re.sub(r"<(/?)c:", r"<\1", members[name].decode()) for name in charts}
    daily = next(text for text in xml.values() if '<grouping val="stacked"' in text)
    assert '<barDir val="col"' in daily
    assert daily.count("<ser>") == 4  # one series per developer
    bars = [text for text in xml.values() if '<barDir val="bar"' in text]
    assert len(bars) == 3
    assert all('<orientation val="maxMin"' in text for text in bars)  # the largest at the top, as in the tables
    for name, text in xml.items():
        references = re.findall(r"<f>'?([^'!<]+)'?!", text)
        assert references
        assert set(references) <= set(SHEETS), (name, references)


def test_summary_chart_table_holds_requests_per_day_and_developer(week_xlsx, week_report, store_rows):
    ws = open_book(week_xlsx)["Summary"]
    header = next(row[0].row for row in ws.iter_rows(min_col=1, max_col=1) if row[0].value == "Day")
    developers = [cell.value for cell in ws[header][1:5]]
    assert developers == list(week_report.daily.developers)
    for offset, day in enumerate(WEEK.days(), start=1):
        assert ws.cell(row=header + offset, column=1).value == datetime.combine(day, datetime.min.time())
        for column, developer in enumerate(developers, start=2):
            expected = sum(r.requests for r in store_rows if r.day == day and r.developer == developer)
            cell = ws.cell(row=header + offset, column=column)
            assert cell.value == expected
            assert cell.data_type == "n"


def test_empty_breakdown_keeps_its_sheet_without_a_chart(week_report):
    content = render(dataclasses.replace(week_report, languages=()), Progress())
    book = open_book(content)
    assert book.sheetnames == SHEETS
    assert book["Languages"]["A1"].value == "Nothing was recorded by language in the period."
    assert book["Languages"]._charts == []
    assert sum(1 for name in zip_members(content) if name.startswith("xl/charts/chart")) == 3


# --- pseudonyms ----------------------------------------------------------------------------------------


def test_pseudonymized_workbook_names_nobody(pseudonymized_report):
    content = render(pseudonymized_report, Progress())
    book = open_book(content)
    assert book.sheetnames == SHEETS
    texts = [str(cell.value) for ws in book for row in ws.iter_rows() for cell in row if cell.value is not None]
    assert len(texts) > 200
    for name in DEVELOPERS:
        assert not any(name in text for text in texts), name
        for member, raw in zip_members(content).items():
            assert name.encode() not in raw, (name, member)
    assert labelled(book["Summary"])["Names pseudonymized"] == "yes"
    developers = [row["Developer"] for row in table(book["Developers"])]
    assert len(developers) == 4
    assert all(name.startswith("developer-") for name in developers)


# --- prompts and unsafe text --------------------------------------------------------------------------


def test_prompts_sheet_only_with_prompts(report_with_prompts):
    book = open_book(render(report_with_prompts, Progress()))
    assert book.sheetnames == [*SHEETS, "Prompts"]
    found = table(book["Prompts"])
    assert found == [
        {"Developer": "dev00", "Time (UTC)": "2026-11-03T09:15:00+00:00", "Mode": "agent", "Model": "gpt-5",
         "Prompt": "Refactor <Parser> & add tests", "Response": "Here is the plan:\n1. Split the parser"},
        {"Developer": "dev01", "Time (UTC)": "2026-11-04T14:02:00+00:00", "Mode": "ask",
         "Model": "claude-sonnet-4.5", "Prompt": "Why does 日本語 input fail? — “quotes”",
         "Response": "Because the decoder assumes Latin-1 → use UTF-8."},
    ]
    assert book["Prompts"]["E2"].alignment.wrap_text
    assert book["Prompts"]["F3"].alignment.wrap_text
    assert labelled(book["Summary"])["Prompts"] == "2 on the Prompts sheet"


def test_prompts_truncated_is_said(report_with_prompts):
    content = render(dataclasses.replace(report_with_prompts, prompts_truncated=True), Progress())
    assert "more were recorded" in labelled(open_book(content)["Summary"])["Prompts"]


UNSAFE = ["=cmd|' /C calc'!A0", "+1+1", "-2-3", "@SUM(A1:A2)", "#N/A", "=1+2"]


def test_control_characters_and_formulas_are_stored_as_plain_text(week_report):
    prompts = (
        PromptEntry("dev00", datetime(2026, 11, 3, 9, 0, tzinfo=UTC), "ask", "=HYPERLINK(\"http://x\")",
                    "ring\x07the bell\x00 and\x1b[0m go\ttab\nline", "=cmd|' /C calc'!A0"),
        *(PromptEntry("dev01", datetime(2026, 11, 3, 10, n, tzinfo=UTC), "ask", "gpt-5", text, text)
          for n, text in enumerate(UNSAFE)),
    )
    content = render(dataclasses.replace(week_report, prompts=prompts), Progress())
    ws = open_book(content)["Prompts"]
    assert ws["E2"].value == "ringthe bell and[0m go\ttab\nline"
    assert ws["F2"].value == "=cmd|' /C calc'!A0"
    assert ws["D2"].value == "=HYPERLINK(\"http://x\")"
    for row, text in enumerate(UNSAFE, start=3):
        for column in "EF":
            cell = ws[f"{column}{row}"]
            assert cell.value == text
            assert cell.data_type == "s"
    assert ws["F2"].quotePrefix
    assert ws["E4"].quotePrefix  # "+1+1"
    sheet_xml = zip_members(content)["xl/worksheets/sheet7.xml"].decode()
    assert "<f>" not in sheet_xml
    assert "<f " not in sheet_xml


def test_names_starting_like_formulas_stay_text_on_every_sheet(week_report):
    rename = {"dev00": "=1+2", "dev01": "@me"}
    rows = tuple(dataclasses.replace(r, developer=rename.get(r.developer, r.developer),
                                     models={"=evil()": 5, **r.models}) for r in week_report.rows)
    data = dataclasses.replace(week_report, rows=rows, developers=developer_totals(rows),
                               models=breakdown(r.models for r in rows))
    content = render(data, Progress())
    book = open_book(content)
    daily = table(book["Daily"])
    assert {row["Developer"] for row in daily} == {"=1+2", "@me", "dev02", "dev03"}
    developers = {row["Developer"] for row in table(book["Developers"])}
    assert developers == {"=1+2", "@me", "dev02", "dev03"}
    assert ("=evil()", 5 * len(rows)) in [(r[0], r[1]) for r in book["Models"].iter_rows(values_only=True)]
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    for member, raw in zip_members(content).items():
        if member.startswith("xl/worksheets/"):
            assert b"<f>" not in raw, member


class CellByCell(Worksheet):
    """Stock XlsxWriter, taking `FastWorksheet.write_cells`' rows one cell at a time through its public API."""

    def write_cells(self, row, cells):
        for column, (value, cell_format) in enumerate(cells):
            if value is None:
                self.write_blank(row, column, None, cell_format)
            elif isinstance(value, str):
                self.write_string(row, column, value, cell_format)
            elif isinstance(value, date):
                self.write_datetime(row, column, value, cell_format)
            else:
                self.write_number(row, column, value, cell_format)


def test_fast_cells_are_written_as_xlsxwriter_writes_them(week_report, monkeypatch):
    prompts = (PromptEntry("dev00", datetime(2026, 11, 3, 9, 0, tzinfo=UTC), "ask", "gpt-5", "=1+2 & <b>", "ok"),)
    # Text that must be quoted, unknown figures (blank cells) and a NaN among the days.
    rows = tuple(dataclasses.replace(r, developer="=1+2" if r.developer == "dev00" else r.developer,
                                     models={"=evil()": 1, **r.models}) for r in week_report.rows)
    rows = (dataclasses.replace(rows[0], completions_accepted=None, acceptance_rate=float("nan"),
                                latency_p50_ms=None), *rows[1:])
    data = dataclasses.replace(week_report, prompts=prompts, rows=rows)
    fast = zip_members(render(data, Progress()))
    monkeypatch.setattr(xlsx_report, "FastWorksheet", CellByCell)
    stock = zip_members(render(data, Progress()))
    sheets = [name for name in stock if name.startswith("xl/worksheets/sheet")]
    assert len(sheets) == 7
    assert b'<c r="A2" s="' in fast["xl/worksheets/sheet3.xml"]  # the Daily sheet has rows
    for name in (*sheets, "xl/sharedStrings.xml", "xl/styles.xml"):
        assert fast[name] == stock[name], name


def test_long_text_is_cut_to_the_cell_limit(week_report):
    long = "x" * 40_000
    prompt = PromptEntry("dev00", datetime(2026, 11, 3, tzinfo=UTC), "ask", "gpt-5", long, "short")
    ws = open_book(render(dataclasses.replace(week_report, prompts=(prompt,)), Progress()))["Prompts"]
    assert len(ws["E2"].value) == MAX_CELL_CHARS
    assert ws["E2"].value.endswith(TRUNCATED_MARK)
    assert ws["E2"].value.startswith("x" * 30_000)
    assert ws["F2"].value == "short"


@pytest.mark.parametrize("text", ["😀" * 20_000, "a" + "😀" * 16_383, "é" * 32_767, "x" * 32_767])
def test_safe_text_counts_excel_characters(text):
    cut = safe_text(text)
    units = len(cut.encode("utf-16-le")) // 2
    assert units <= MAX_CELL_CHARS
    if len(text.encode("utf-16-le")) // 2 <= MAX_CELL_CHARS:
        assert cut == text
    else:
        assert cut.endswith(TRUNCATED_MARK)
        assert units >= MAX_CELL_CHARS - 1  # as much as fits (an emoji may leave one unit unused)


def test_safe_text_drops_only_what_a_worksheet_refuses():
    assert safe_text("a\x00b\x08c\x0bd\x0ce\x1ff\ud800g\uffffh") == "abcdefgh"
    assert safe_text("tab\tnewline\nreturn\r") == "tab\tnewline\nreturn\r"


# --- progress and cancel -------------------------------------------------------------------------------


def test_progress_names_each_sheet_in_order(report_with_prompts):
    steps: list[tuple[float, str]] = []
    render(report_with_prompts, Progress(on_step=lambda f, what: steps.append((f, what))))
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0
    assert fractions[-1] < 1.0
    named = [what for _, what in steps]
    for sheet in [*SHEETS, "Prompts"]:
        assert f"Writing the {sheet} sheet" in named
    assert named.index("Writing the Daily sheet") < named.index("Writing the Models sheet") < \
        named.index("Writing the Prompts sheet")


def test_cancel_raises(week_report):
    with pytest.raises(ReportCancelled):
        render(week_report, Progress(is_cancelled=lambda: True))


def test_cancel_between_sheets_stops_there(week_report):
    asked: list[str] = []
    steps: list[str] = []

    def cancelled() -> bool:
        asked.append("?")
        return len(asked) >= 3

    with pytest.raises(ReportCancelled):
        render(week_report, Progress(on_step=lambda _f, what: steps.append(what), is_cancelled=cancelled))
    assert steps == ["Writing the Developers sheet", "Writing the Summary sheet"]


def test_cancel_inside_a_long_daily_sheet(week_report):
    many = tuple(dataclasses.replace(week_report.rows[n % 28], day=date(2026, 11, 2)) for n in range(1200))
    steps: list[str] = []

    def cancelled() -> bool:
        return steps.count("Writing the Daily sheet") >= 2

    with pytest.raises(ReportCancelled):
        render(dataclasses.replace(week_report, rows=many),
               Progress(on_step=lambda _f, what: steps.append(what), is_cancelled=cancelled))
    assert "Writing the Models sheet" not in steps
