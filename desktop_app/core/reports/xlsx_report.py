"""The Excel workbook report: one period's figures as sheets with native charts (XlsxWriter, no Qt).

Owns the workbook's layout: Developers (the per-developer table, `figures.DEVELOPER_KEYS`; the
workbook opens on it), Summary (period, settings, the summary figures and a stacked chart of
requests per day per developer), Daily (`DAILY_COLUMNS`, one row per developer per day), Models,
Languages and Editors (name/count tables with a bar chart), and Prompts when the report carries
them. Unknown figures are empty cells. Numbers stay numbers (formatted, never text). Text from the
data is always stored as a plain string cell: it can never become a formula (formula injection),
characters a worksheet cannot hold are dropped, and a cell keeps at most Excel's 32,767 characters.

XlsxWriter writes each cell once, straight to its XML (openpyxl builds an object per cell and took
three times as long for a year of a team). Rows and columns count from 0, as XlsxWriter's do.
"""

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any, Final, Literal, NamedTuple

from xlsxwriter import Workbook
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import Worksheet

from desktop_app.core.figures import DEVELOPER_KEYS, SUMMARY_KEYS, Value, figure
from desktop_app.core.reports.columns import DAILY_COLUMNS, FORMULA_STARTS, DailyColumn, ValueKind, counts_json
from desktop_app.core.reports.data import ReportData
from desktop_app.core.reports.progress import Progress
from desktop_app.core.reports.prompts import MAX_PROMPTS
from desktop_app.core.store.dashboard import Breakdown
from desktop_app.core.store.queries import DailyUsage
from desktop_app.core.team.settings import recording_text

MAX_CELL_CHARS: Final = 32_767
"""The most characters (UTF-16 code units) an Excel cell holds."""
TRUNCATED_MARK: Final = " […truncated]"
MAX_CHART_BARS: Final = 25
"""A breakdown's chart shows at most its largest this many names (the table shows them all)."""
CHART_TABLE_ROW: Final = 23
"""The Summary sheet's chart table starts at this row (from 0) at the earliest: below the chart, not under it."""
ROWS_PER_STEP: Final = 500
"""How many rows are written between two progress steps (and chances to cancel)."""

# Characters a worksheet cannot hold: XML 1.0's control characters, lone surrogates (not
# encodable) and the two non-characters.
_ILLEGAL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_NUMBER_FORMATS: Final[dict[ValueKind, str]] = {
    "count": "#,##0", "ratio": "0.0%", "credits": "#,##0.00", "millis": "#,##0",
}
_DATE_FORMAT: Final = "yyyy-mm-dd"
_PX_PER_CM: Final = 96 / 2.54
"""Chart sizes are in centimetres here and in pixels (at 96 dpi) in XlsxWriter."""

TextStyle = Literal["plain", "bold", "title", "wrap"]
_TEXT_STYLES: Final[dict[TextStyle, dict[str, object]]] = {
    "plain": {}, "bold": {"bold": True}, "title": {"bold": True, "font_size": 14},
    "wrap": {"text_wrap": True, "valign": "top"},
}

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
    if not text.isprintable():  # (a quick test first: control characters, surrogates and non-characters are not)
        text = _ILLEGAL.sub("", text)
    if len(text) <= MAX_CELL_CHARS // 2 or _utf16_length(text) <= MAX_CELL_CHARS:
        return text
    room = MAX_CELL_CHARS - len(TRUNCATED_MARK)
    # Cut in UTF-16 code units, as Excel counts; a character cut in half (outside the BMP) is dropped.
    kept = text.encode("utf-16-le")[:2 * room].decode("utf-16-le", errors="ignore")
    return kept + TRUNCATED_MARK


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


Cell = tuple[float | date | str | None, Any]
"""A cell for `FastWorksheet.write_cells`: its value (a number, a day, text fit for a cell, None: blank) and format."""
_COLUMN_NAMES: Final = tuple(xl_col_to_name(column) for column in range(16_384))
"""Every column's letters (A to XFD): a year's Daily sheet names 300,000 cells."""


class FastWorksheet(Worksheet):  # type: ignore[misc] # XlsxWriter is untyped
    """A worksheet that writes formatted number and shared-string cells' XML in one step, and whole rows at once.

    XlsxWriter's own `_write_cell` escapes every attribute (an exception per numeric one) and takes
    half of a year's workbook's time. Cell references and format indexes need no escaping, so
    formatted numbers, dates and shared strings are written directly, exactly as XlsxWriter writes
    them (`test_xlsx_report` compares the two, byte for byte); every other cell goes to XlsxWriter.
    `write_cells` goes further for the long sheets: a row's XML is made when the row is written,
    instead of a cell tuple kept per cell until the workbook is saved.
    """

    def __init__(self) -> None:
        """An empty worksheet (XlsxWriter's `add_worksheet` makes it)."""
        super().__init__()
        self._day_numbers: dict[date, float] = {}  # each day's Excel serial number, made once

    def write_cells(self, row: int, cells: Sequence[Cell]) -> None:
        """Write `cells` into `row` from column A on, as XlsxWriter's write_number / _datetime / _string / _blank would.

        Every cell has a format, whose style index is already fixed (`Formats`); text is already fit for a cell
        (`safe_text`). Like XlsxWriter, a row outside the worksheet's bounds is left out.
        """
        last = len(cells) - 1
        if last < 0 or self.constant_memory or self._check_dimensions(row, 0) or self._check_dimensions(row, last):
            return
        number, shared = str(row + 1), self.str_table._get_shared_string_index
        xml = []
        for column, (value, cell_format) in enumerate(cells):
            where, style = _COLUMN_NAMES[column] + number, cell_format._get_xf_index()
            if value is None:
                xml.append(f'<c r="{where}" s="{style}"/>')
            elif isinstance(value, str):
                xml.append(f'<c r="{where}" s="{style}" t="s"><v>{shared(value)}</v></c>')
            else:
                serial = self._day_number(value) if isinstance(value, date) else value
                xml.append(f'<c r="{where}" s="{style}"><v>{serial:.16G}</v></c>')
        # The row's XML at its first column, and a cell writing nothing at its last, so that XlsxWriter
        # counts the row's extent (its `spans`) as it would count the cells themselves.
        written = self.table[row]
        written[last] = _Written("")
        written[0] = _Written("".join(xml))

    def _day_number(self, day: date) -> float:
        found = self._day_numbers.get(day)
        if found is None:
            found = self._day_numbers[day] = self._convert_date_time(day)
        return found

    def _write_cell(self, row: int, col: int, cell: Any) -> None:  # noqa: ANN401 - XlsxWriter's cell tuples
        kind = cell.__class__
        if kind is _Written:
            self.fh.write(cell.xml)
            return
        kind = kind.__name__
        if cell.format is None or kind not in _FAST_CELLS or self.constant_memory:  # (strings inline there)
            super()._write_cell(row, col, cell)
            return
        where, style = xl_rowcol_to_cell_fast(row, col), cell.format._get_xf_index()
        if kind == "String":
            self.fh.write(f'<c r="{where}" s="{style}" t="s"><v>{cell.string}</v></c>')
        else:
            self.fh.write(f'<c r="{where}" s="{style}"><v>{cell.number:.16G}</v></c>')


class _Written(NamedTuple):
    """Cells of one row whose XML `FastWorksheet.write_cells` made already."""

    xml: str


_FAST_CELLS: Final = frozenset({"Number", "Datetime", "String"})
"""XlsxWriter's cell tuples `FastWorksheet` writes itself (a string cell holds its shared-string index)."""


class Sheet:
    """One worksheet and the workbook's cell formats: every cell the report writes goes through here."""

    def __init__(self, book: Any, title: str, formats: "Formats") -> None:  # noqa: ANN401 - XlsxWriter is untyped
        """A new sheet called `title` at the end of `book`."""
        self.title = title
        self.ws: Any = book.add_worksheet(title, worksheet_class=FastWorksheet)
        self.formats = formats

    def text_cell(self, text: str, style: TextStyle = "plain") -> Cell:
        """`text` as a plain string cell: never a formula or an error code, whatever it starts with."""
        value = safe_text(text)
        # A quote prefix keeps it text even when the cell is edited in Excel.
        return value, self.formats.text[style, value.startswith(FORMULA_STARTS)]

    def number_cell(self, value: float | None, kind: ValueKind) -> Cell:
        """A number with the number format of its kind (blank when unknown, or not a number at all)."""
        if value is None or not math.isfinite(value):  # (a worksheet holds no NaN or infinity)
            return None, self.formats.number[kind]
        return value, self.formats.number[kind]

    def text(self, row: int, column: int, text: str, style: TextStyle = "plain") -> None:
        """Store `text` as a plain string cell (`text_cell`)."""
        value, text_format = self.text_cell(text, style)
        self.ws.write_string(row, column, value, text_format)

    def number(self, row: int, column: int, value: float | None, kind: ValueKind) -> None:
        """Store a number (`number_cell`)."""
        number, number_format = self.number_cell(value, kind)
        if number is None:
            self.ws.write_blank(row, column, None, number_format)
        else:
            self.ws.write_number(row, column, number, number_format)

    def day(self, row: int, column: int, day: date) -> None:
        """Store a day as a real date, shown as 2026-11-02."""
        self.ws.write_datetime(row, column, day, self.formats.date)

    def cells(self, row: int, cells: Sequence[Cell]) -> None:
        """Store a whole row of cells (`text_cell`, `number_cell`, or a day with `formats.date`) from column A on."""
        self.ws.write_cells(row, cells)

    def header(self, row: int, titles: Iterable[str]) -> None:
        """A bold heading row."""
        for column, title in enumerate(titles):
            self.text(row, column, title, "bold")

    def widths(self, widths: Sequence[float]) -> None:
        """Column widths, in characters, from column A on."""
        for column, width in enumerate(widths):
            self.ws.set_column(column, column, width)

    def finish_table(self, header_row: int, last_row: int, columns: int) -> None:
        """Freeze the heading and filter the table below it."""
        self.ws.freeze_panes(header_row + 1, 0)
        self.ws.autofilter(header_row, 0, max(last_row, header_row), columns - 1)

    def chart(self, chart: Any, row: int, column: int) -> None:  # noqa: ANN401 - XlsxWriter is untyped
        """Place `chart` with its top left corner in the cell at `row`, `column`."""
        self.ws.insert_chart(row, column, chart)


class Formats:
    """The workbook's cell formats, made once (XlsxWriter keeps one record per distinct format)."""

    def __init__(self, book: Any) -> None:  # noqa: ANN401 - XlsxWriter is untyped
        """Every format the report's cells use."""
        self.text = {(style, quoted): book.add_format({**properties, "quote_prefix": quoted} if quoted else properties)
                     for style, properties in _TEXT_STYLES.items() for quoted in (False, True)}
        self.number = {kind: book.add_format({"num_format": code}) for kind, code in _NUMBER_FORMATS.items()}
        self.date = book.add_format({"num_format": _DATE_FORMAT})
        # Their style indexes are fixed now, in this order (XlsxWriter numbers them as the saved sheets
        # first use them): `FastWorksheet.write_cells` writes a row's XML before the workbook is saved.
        for cell_format in (*self.text.values(), *self.number.values(), self.date):
            cell_format._get_xf_index()


def _number(value: Value) -> float | None:
    return value if isinstance(value, int | float) else None


# --- charts --------------------------------------------------------------------------------------


def _bar_chart(book: Any, title: str, value_title: str, *, column: bool) -> Any:  # noqa: ANN401
    """A column (upright) or bar (sideways) chart, 16 x 9 cm, its value axis titled `value_title`."""
    chart = book.add_chart({"type": "column" if column else "bar"} | ({"subtype": "stacked"} if column else {}))
    chart.set_title({"name": title, "name_font": {"size": 14}})
    # XlsxWriter's value axis is the y axis of a column chart and the x axis of a bar chart.
    (chart.set_y_axis if column else chart.set_x_axis)({"name": value_title})
    _chart_size(chart, 16, 9)
    return chart


def _chart_size(chart: Any, width_cm: float, height_cm: float) -> None:  # noqa: ANN401
    chart.set_size({"width": round(width_cm * _PX_PER_CM), "height": round(height_cm * _PX_PER_CM)})


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


def write_summary(sheet: Sheet, book: Any, data: ReportData) -> None:  # noqa: ANN401
    """Title, period and settings, the summary figures, and the requests-per-day chart."""
    sheet.text(0, 0, "Copilot usage report", "title")
    row = 2
    for label, text in _about_lines(data):
        sheet.text(row, 0, label, "bold")
        sheet.text(row, 1, text)
        row += 1
    for fig in SUMMARY_FIGURES:
        row += 1
        sheet.text(row, 0, fig.title, "bold")
        sheet.number(row, 1, _number(data.summary.value(fig.key)), fig.kind)
    note = data.summary.acceptance_note
    if note:
        row += 1
        sheet.text(row, 0, "Note", "bold")
        sheet.text(row, 1, note, "wrap")
    sheet.widths((22, 30, 10))  # B and C hold developers' columns of the chart's table too
    write_daily_chart(sheet, book, data, max(row + 2, CHART_TABLE_ROW))


def write_daily_chart(sheet: Sheet, book: Any, data: ReportData, top: int) -> None:  # noqa: ANN401
    """The chart's table (a day per row, a developer per column) at `top`, and the stacked chart beside it."""
    series = data.daily
    sheet.text(top, 0, "Requests per day and developer (the chart's data)", "bold")
    if series.empty:
        sheet.text(top + 1, 0, "No requests were recorded in the period.")
        return
    header = top + 1
    sheet.header(header, ["Day", *series.developers])
    for d, day in enumerate(series.days):  # row by row, in order
        sheet.day(header + 1 + d, 0, day)
        for i, values in enumerate(series.values, start=1):
            sheet.number(header + 1 + d, i, values[d], "count")
    last = header + len(series.days)
    chart = _bar_chart(book, "Requests per day", "Requests", column=True)
    for i in range(1, 1 + len(series.developers)):
        chart.add_series({"name": [sheet.title, header, i], "categories": [sheet.title, header + 1, 0, last, 0],
                          "values": [sheet.title, header + 1, i, last, i]})
    chart.set_x_axis({"num_format": _DATE_FORMAT})
    _chart_size(chart, max(16, min(40, len(series.days))), 9)
    sheet.chart(chart, 1, 3)


# --- Daily and Developers ------------------------------------------------------------------------


_DAILY_WIDTHS: Final[dict[ValueKind, float]] = {
    "date": 12, "text": 14, "count": 11, "ratio": 11, "credits": 11, "millis": 11, "counts": 36,
}
DailyCell = Callable[[DailyUsage], Cell]


def _daily_cell(sheet: Sheet, column: DailyColumn) -> DailyCell:
    """How one Daily column's cell is made (chosen once per column: the sheet has a year of rows)."""
    key, kind = column.key, column.kind
    if key == "day":
        return lambda usage: (usage.day, sheet.formats.date)
    if kind == "counts":
        return lambda usage: sheet.text_cell(counts_json(getattr(usage, key)))
    if kind == "text":
        def text(usage: DailyUsage) -> Cell:
            value = column.readable(usage)  # coded text in words
            return sheet.text_cell(value) if isinstance(value, str) else (None, sheet.formats.text["plain", False])
        return text
    return lambda usage: sheet.number_cell(getattr(usage, key), kind)


def write_daily(sheet: Sheet, data: ReportData, progress: Progress) -> None:
    """One row per developer per day, the `DAILY_COLUMNS` in order (the day as a real date)."""
    sheet.header(0, [column.title for column in DAILY_COLUMNS])
    cells = [_daily_cell(sheet, column) for column in DAILY_COLUMNS]
    for r, usage in enumerate(data.rows, start=1):
        if r % ROWS_PER_STEP == 0:
            progress.step(0.1 + 0.5 * r / (len(data.rows) + 1), "Writing the Daily sheet")
        sheet.cells(r, [cell(usage) for cell in cells])
    widths = [max(_DAILY_WIDTHS[column.kind], len(column.title) + 4) for column in DAILY_COLUMNS]
    widths[1] = _name_width((row.developer for row in data.rows), DAILY_COLUMNS[1].title)
    sheet.widths(widths)
    sheet.finish_table(0, len(data.rows), len(DAILY_COLUMNS))


def _name_width(names: Iterable[str], heading: str) -> float:
    """Wide enough for the longest name (up to 50 characters) and for the column's bold heading."""
    longest = max((len(name) for name in names), default=10)
    return float(max(min(50, longest + 3), len(heading) + 4))


def write_developers(sheet: Sheet, data: ReportData) -> None:
    """One row per developer (busiest first): the per-developer figures over the period (unknown: empty)."""
    sheet.header(0, [fig.title for fig in DEVELOPER_FIGURES])
    for r, totals in enumerate(data.developers, start=1):
        for c, fig in enumerate(DEVELOPER_FIGURES):
            value = totals.value(fig.key)
            if isinstance(value, date):
                sheet.day(r, c, value)
            elif isinstance(value, str):
                sheet.text(r, c, value)
            else:
                sheet.number(r, c, _number(value), fig.kind)
    sheet.widths([_name_width((t.developer for t in data.developers), DEVELOPER_FIGURES[0].title),
                  *(max(12, len(fig.title) + 4) for fig in DEVELOPER_FIGURES[1:])])
    sheet.finish_table(0, len(data.developers), len(DEVELOPER_FIGURES))


# --- breakdowns ----------------------------------------------------------------------------------


def write_breakdown(sheet: Sheet, book: Any, about: BreakdownSheet, counts: Breakdown) -> None:  # noqa: ANN401
    """A name/count table, largest first, with a bar chart of the largest names (or a line saying there is none)."""
    if not counts:
        sheet.text(0, 0, f"Nothing was recorded by {about.name_heading.lower()} in the period.")
        sheet.widths((60,))
        return
    sheet.header(0, [about.name_heading, about.count_heading])
    for r, (name, count) in enumerate(counts, start=1):
        sheet.text(r, 0, name)
        sheet.number(r, 1, count, "count")
    sheet.widths([_name_width((name for name, _ in counts), about.name_heading), 14])
    sheet.finish_table(0, len(counts), 2)
    shown = min(len(counts), MAX_CHART_BARS)
    largest = f" (largest {shown})" if shown < len(counts) else ""
    chart = _bar_chart(book, f"{about.count_heading} by {about.name_heading.lower()}{largest}", about.count_heading,
                       column=False)
    chart.add_series({"name": [sheet.title, 0, 1], "categories": [sheet.title, 1, 0, shown, 0],
                      "values": [sheet.title, 1, 1, shown, 1]})
    chart.set_y_axis({"reverse": True})  # the largest at the top, as in the table
    chart.set_legend({"none": True})
    _chart_size(chart, 16, max(6.0, min(24.0, 2.0 + 0.7 * shown)))
    sheet.chart(chart, 1, 3)


# --- Prompts -------------------------------------------------------------------------------------


def write_prompts(sheet: Sheet, data: ReportData, progress: Progress) -> None:
    """Each prompt and its answer, long text wrapped."""
    sheet.header(0, ["Developer", "Time (UTC)", "Mode", "Model", "Prompt", "Response"])
    for r, entry in enumerate(data.prompts, start=1):
        if r % ROWS_PER_STEP == 0:
            progress.step(0.8 + 0.15 * r / (len(data.prompts) + 1), "Writing the Prompts sheet")
        sheet.text(r, 0, entry.developer)
        sheet.text(r, 1, entry.started_at.isoformat(timespec="seconds"))
        sheet.text(r, 2, entry.mode)
        sheet.text(r, 3, entry.model)
        sheet.text(r, 4, entry.prompt, "wrap")
        sheet.text(r, 5, entry.response, "wrap")
    sheet.widths([_name_width((e.developer for e in data.prompts), "Developer"), 26, 10, 22, 70, 90])
    sheet.finish_table(0, len(data.prompts), 6)


# --- the workbook --------------------------------------------------------------------------------


def render(data: ReportData, progress: Progress) -> bytes:
    """The report as an .xlsx workbook.

    Raises:
        ReportCancelled: `progress` said to stop.
    """
    buffer = BytesIO()
    # In memory: no temporary files (the report names developers and may hold their prompts).
    book = Workbook(buffer, {"in_memory": True})
    book.set_properties({"author": "Copilot Insight", "title": f"Copilot usage report {data.period_text}"})
    formats = Formats(book)
    progress.step(0.0, "Writing the Developers sheet")
    developers = Sheet(book, "Developers", formats)
    write_developers(developers, data)
    developers.ws.activate()  # it opens on the per-developer table
    progress.step(0.05, "Writing the Summary sheet")
    write_summary(Sheet(book, "Summary", formats), book, data)
    progress.step(0.1, "Writing the Daily sheet")
    write_daily(Sheet(book, "Daily", formats), data, progress)
    for n, about in enumerate(BREAKDOWN_SHEETS):
        progress.step(0.65 + 0.05 * n, f"Writing the {about.title} sheet")
        write_breakdown(Sheet(book, about.title, formats), book, about, about.pick(data))
    if data.prompts:
        progress.step(0.8, "Writing the Prompts sheet")
        write_prompts(Sheet(book, "Prompts", formats), data, progress)
    progress.step(0.95, "Saving the workbook")
    book.close()
    return buffer.getvalue()
