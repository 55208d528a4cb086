"""The Excel workbook report: one period's figures as sheets with native charts (openpyxl, no Qt).

Owns the workbook's layout: Developers (the per-developer table, `figures.DEVELOPER_KEYS`; the
workbook opens on it), Summary (period, settings, the summary figures and a stacked chart of
requests per day per developer), Daily (`DAILY_COLUMNS`, one row per developer per day), Models,
Languages and Editors (name/count tables with a bar chart), and Prompts when the report carries
them. Unknown figures are empty cells. Numbers stay numbers (formatted, never text). Text from the
data is always stored as a plain string cell: it can never become a formula (formula injection),
characters a worksheet cannot hold are dropped, and a cell keeps at most Excel's 32,767 characters.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from desktop_app.core.figures import DEVELOPER_KEYS, SUMMARY_KEYS, Value, figure
from desktop_app.core.reports.columns import DAILY_COLUMNS, FORMULA_STARTS, ValueKind
from desktop_app.core.reports.data import ReportData
from desktop_app.core.reports.progress import Progress
from desktop_app.core.reports.prompts import MAX_PROMPTS
from desktop_app.core.store.dashboard import Breakdown
from desktop_app.core.team.settings import recording_text

MAX_CELL_CHARS: Final = 32_767
"""The most characters (UTF-16 code units) an Excel cell holds."""
TRUNCATED_MARK: Final = " […truncated]"
MAX_CHART_BARS: Final = 25
"""A breakdown's chart shows at most its largest this many names (the table shows them all)."""
CHART_TABLE_ROW: Final = 24
"""The Summary sheet's chart table starts at this row at the earliest: below the chart, not under it."""
ROWS_PER_STEP: Final = 500
"""How many rows are written between two progress steps (and chances to cancel)."""

# Characters a worksheet cannot hold: XML 1.0's control characters (openpyxl raises
# IllegalCharacterError for them), lone surrogates (not encodable) and the two non-characters.
_ILLEGAL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A spreadsheet treats text starting with one of these as a formula when it is typed or imported.

_NUMBER_FORMATS: Final[dict[ValueKind, str]] = {
    "count": "#,##0", "ratio": "0.0%", "credits": "#,##0.00", "millis": "#,##0",
}
_DATE_FORMAT: Final = "yyyy-mm-dd"
_BOLD: Final = Font(bold=True)
_TITLE: Final = Font(bold=True, size=14)
_WRAP: Final = Alignment(wrap_text=True, vertical="top")


SUMMARY_FIGURES: Final = tuple(figure(key) for key in SUMMARY_KEYS)
"""The Summary sheet's figures, in the order the dashboard's cards show them."""
DEVELOPER_FIGURES: Final = tuple(figure(key) for key in DEVELOPER_KEYS)
"""The Developers sheet's columns: the per-developer table every report leads with."""


@dataclass(frozen=True)
class BreakdownSheet:
    """A name/count sheet: its title, the data it shows and what the names and counts are."""

    title: str
    name_heading: str
    count_heading: str
    pick: Callable[[ReportData], Breakdown]


BREAKDOWN_SHEETS: Final = (
    BreakdownSheet("Models", "Model", figure("model_calls").title, lambda data: data.models),
    BreakdownSheet("Languages", "Language", figure("completions_requested").title, lambda data: data.languages),
    BreakdownSheet("Editors", "Editor", figure("requests").title, lambda data: data.editors),
)


# --- cells ---------------------------------------------------------------------------------------


def safe_text(text: str) -> str:
    """`text` as a worksheet can hold it: illegal characters dropped, cut to Excel's cell limit."""
    text = _ILLEGAL.sub("", text)
    if len(text) <= MAX_CELL_CHARS // 2 or _utf16_length(text) <= MAX_CELL_CHARS:
        return text
    room = MAX_CELL_CHARS - len(TRUNCATED_MARK)
    # Cut in UTF-16 code units, as Excel counts; a character cut in half (outside the BMP) is dropped.
    kept = text.encode("utf-16-le")[:2 * room].decode("utf-16-le", errors="ignore")
    return kept + TRUNCATED_MARK


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def put_text(ws: Worksheet, row: int, column: int, text: str) -> Any:  # noqa: ANN401 - openpyxl is untyped
    """Store `text` as a plain string cell: never a formula or an error code, whatever it starts with."""
    value = safe_text(text)
    cell = ws.cell(row=row, column=column, value=value)
    cell.data_type = "s"
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True  # Excel keeps it text even when the cell is edited
    return cell


def put_number(ws: Worksheet, row: int, column: int, value: float | None, kind: ValueKind) -> Any:  # noqa: ANN401
    """Store a number (an empty cell when unknown) with the number format of its kind."""
    cell = ws.cell(row=row, column=column, value=value)
    if kind in _NUMBER_FORMATS:
        cell.number_format = _NUMBER_FORMATS[kind]
    return cell


def put_date(ws: Worksheet, row: int, column: int, day: date) -> Any:  # noqa: ANN401 - openpyxl is untyped
    """Store a day as a real date, shown as 2026-11-02."""
    cell = ws.cell(row=row, column=column, value=day)
    cell.number_format = _DATE_FORMAT
    return cell


def put_header(ws: Worksheet, row: int, titles: Iterable[str]) -> None:
    """A bold heading row."""
    for column, title in enumerate(titles, start=1):
        put_text(ws, row, column, title).font = _BOLD


def set_widths(ws: Worksheet, widths: Sequence[float]) -> None:
    """Column widths, in characters, from column A on."""
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def finish_table(ws: Worksheet, header_row: int, last_row: int, columns: int) -> None:
    """Freeze the heading and filter the table below it."""
    ws.freeze_panes = f"A{header_row + 1}"
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(columns)}{max(last_row, header_row)}"


# --- Summary -------------------------------------------------------------------------------------


def _about_lines(data: ReportData) -> list[tuple[str, str]]:
    lines = [
        ("Period", data.period_text),
        ("Time zone", data.time_zone or "(not recorded)"),
        ("Recording level", recording_text(data.recording_level)),
        ("Generated at", data.generated_at.isoformat(sep=" ", timespec="seconds")),
        ("Names pseudonymized", "yes" if data.options.pseudonymize else "no"),
    ]
    if data.prompts:
        more = f" (the newest {MAX_PROMPTS}; more were recorded)" if data.prompts_truncated else ""
        lines.append(("Prompts", f"{len(data.prompts)} on the Prompts sheet{more}"))
    return lines


def write_summary(ws: Worksheet, data: ReportData) -> None:
    """Title, period and settings, the summary figures, and the requests-per-day chart."""
    put_text(ws, 1, 1, "Copilot usage report").font = _TITLE
    row = 3
    for label, text in _about_lines(data):
        put_text(ws, row, 1, label).font = _BOLD
        put_text(ws, row, 2, text)
        row += 1
    for fig in SUMMARY_FIGURES:
        row += 1
        put_text(ws, row, 1, fig.title).font = _BOLD
        put_number(ws, row, 2, _number(data.summary.value(fig.key)), fig.kind)
    note = data.summary.acceptance_note
    if note:
        row += 1
        put_text(ws, row, 1, "Note").font = _BOLD
        put_text(ws, row, 2, note).alignment = _WRAP
    set_widths(ws, (22, 30, 4))
    write_daily_chart(ws, data, max(row + 2, CHART_TABLE_ROW))


def write_daily_chart(ws: Worksheet, data: ReportData, top: int) -> None:
    """The chart's table (a day per row, a developer per column) at `top`, and the stacked chart beside it."""
    series = data.daily
    put_text(ws, top, 1, "Requests per day and developer (the chart's data)").font = _BOLD
    if series.empty:
        put_text(ws, top + 1, 1, "No requests were recorded in the period.")
        return
    header = top + 1
    put_header(ws, header, ["Day", *series.developers])
    for d, day in enumerate(series.days, start=header + 1):
        put_date(ws, d, 1, day)
    for i, values in enumerate(series.values, start=2):
        for d, value in enumerate(values, start=header + 1):
            put_number(ws, d, i, value, "count")
    last = header + len(series.days)
    chart = _bar_chart("Requests per day", "Requests", column=True)
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.add_data(Reference(ws, min_col=2, max_col=1 + len(series.developers), min_row=header, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=last))
    chart.x_axis.number_format = _DATE_FORMAT
    chart.width = max(16, min(40, len(series.days)))
    ws.add_chart(chart, "D2")


def _bar_chart(title: str, value_title: str, *, column: bool) -> BarChart:
    chart = BarChart()
    chart.type = "col" if column else "bar"
    chart.title = title
    chart.y_axis.title = value_title
    # openpyxl 3.1 leaves `delete` unset, and Excel then hides both axes.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height = 9.0
    chart.width = 16
    return chart


# --- Daily and Developers ------------------------------------------------------------------------


_DAILY_WIDTHS: Final[dict[ValueKind, float]] = {
    "date": 12, "text": 14, "count": 11, "ratio": 11, "credits": 11, "millis": 11, "counts": 36,
}


def write_daily(ws: Worksheet, data: ReportData, progress: Progress) -> None:
    """One row per developer per day, the `DAILY_COLUMNS` in order (the day as a real date)."""
    put_header(ws, 1, [column.title for column in DAILY_COLUMNS])
    for r, usage in enumerate(data.rows, start=2):
        if r % ROWS_PER_STEP == 0:
            progress.step(0.1 + 0.5 * r / (len(data.rows) + 1), "Writing the Daily sheet")
        for c, column in enumerate(DAILY_COLUMNS, start=1):
            value = column.readable(usage) if column.kind in ("text", "counts") else getattr(usage, column.key)
            if column.key == "day":
                put_date(ws, r, c, usage.day)
            elif isinstance(value, str):
                put_text(ws, r, c, value)
            else:
                put_number(ws, r, c, value, column.kind)
    widths = [max(_DAILY_WIDTHS[column.kind], len(column.title) + 4) for column in DAILY_COLUMNS]
    set_widths(ws, widths)
    ws.column_dimensions["B"].width = _name_width(row.developer for row in data.rows)
    finish_table(ws, 1, 1 + len(data.rows), len(DAILY_COLUMNS))


def _name_width(names: Iterable[str]) -> float:
    return float(min(50, max((len(name) for name in names), default=10) + 3))


def _number(value: Value) -> float | None:
    return value if isinstance(value, int | float) else None


def write_developers(ws: Worksheet, data: ReportData) -> None:
    """One row per developer (busiest first): the per-developer figures over the period (unknown: empty)."""
    put_header(ws, 1, [fig.title for fig in DEVELOPER_FIGURES])
    for r, totals in enumerate(data.developers, start=2):
        for c, fig in enumerate(DEVELOPER_FIGURES, start=1):
            value = totals.value(fig.key)
            if isinstance(value, date):
                put_date(ws, r, c, value)
            elif isinstance(value, str):
                put_text(ws, r, c, value)
            else:
                put_number(ws, r, c, _number(value), fig.kind)
    set_widths(ws, [_name_width(t.developer for t in data.developers),
                    *(max(12, len(fig.title) + 4) for fig in DEVELOPER_FIGURES[1:])])
    finish_table(ws, 1, 1 + len(data.developers), len(DEVELOPER_FIGURES))


# --- breakdowns ----------------------------------------------------------------------------------


def write_breakdown(ws: Worksheet, sheet: BreakdownSheet, counts: Breakdown) -> None:
    """A name/count table, largest first, with a bar chart of the largest names (or a line saying there is none)."""
    if not counts:
        put_text(ws, 1, 1, f"Nothing was recorded by {sheet.name_heading.lower()} in the period.")
        set_widths(ws, (60,))
        return
    put_header(ws, 1, [sheet.name_heading, sheet.count_heading])
    for r, (name, count) in enumerate(counts, start=2):
        put_text(ws, r, 1, name)
        put_number(ws, r, 2, count, "count")
    set_widths(ws, [_name_width(name for name, _ in counts), 14])
    finish_table(ws, 1, 1 + len(counts), 2)
    shown = min(len(counts), MAX_CHART_BARS)
    largest = f" (largest {shown})" if shown < len(counts) else ""
    chart = _bar_chart(f"{sheet.count_heading} by {sheet.name_heading.lower()}{largest}", sheet.count_heading,
                       column=False)
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=1 + shown), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=1 + shown))
    chart.x_axis.scaling.orientation = "maxMin"  # the largest at the top, as in the table
    chart.legend = None
    chart.height = max(6.0, min(24.0, 2.0 + 0.7 * shown))
    ws.add_chart(chart, "D2")


# --- Prompts -------------------------------------------------------------------------------------


def write_prompts(ws: Worksheet, data: ReportData, progress: Progress) -> None:
    """Each prompt and its answer, long text wrapped."""
    put_header(ws, 1, ["Developer", "Time (UTC)", "Mode", "Model", "Prompt", "Response"])
    for r, entry in enumerate(data.prompts, start=2):
        if r % ROWS_PER_STEP == 0:
            progress.step(0.8 + 0.15 * r / (len(data.prompts) + 1), "Writing the Prompts sheet")
        put_text(ws, r, 1, entry.developer)
        put_text(ws, r, 2, entry.started_at.isoformat(timespec="seconds"))
        put_text(ws, r, 3, entry.mode)
        put_text(ws, r, 4, entry.model)
        put_text(ws, r, 5, entry.prompt).alignment = _WRAP
        put_text(ws, r, 6, entry.response).alignment = _WRAP
    set_widths(ws, [_name_width(e.developer for e in data.prompts), 26, 10, 22, 70, 90])
    finish_table(ws, 1, 1 + len(data.prompts), 6)


# --- the workbook --------------------------------------------------------------------------------


def render(data: ReportData, progress: Progress) -> bytes:
    """The report as an .xlsx workbook.

    Raises:
        ReportCancelled: `progress` said to stop.
    """
    workbook = Workbook()
    workbook.properties.creator = "Copilot Insight"
    workbook.properties.title = f"Copilot usage report {data.period_text}"
    workbook.remove(workbook.worksheets[0])  # the default "Sheet"
    progress.step(0.0, "Writing the Developers sheet")
    developers = workbook.create_sheet("Developers")
    write_developers(developers, data)
    progress.step(0.05, "Writing the Summary sheet")
    write_summary(workbook.create_sheet("Summary"), data)  # named before its chart: the references name it
    progress.step(0.1, "Writing the Daily sheet")
    write_daily(workbook.create_sheet("Daily"), data, progress)
    workbook.active = workbook.index(developers)  # it opens on the per-developer table
    for n, sheet in enumerate(BREAKDOWN_SHEETS):
        progress.step(0.65 + 0.05 * n, f"Writing the {sheet.title} sheet")
        write_breakdown(workbook.create_sheet(sheet.title), sheet, sheet.pick(data))
    if data.prompts:
        progress.step(0.8, "Writing the Prompts sheet")
        write_prompts(workbook.create_sheet("Prompts"), data, progress)
    progress.step(0.95, "Saving the workbook")
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
