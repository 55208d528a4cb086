"""The HTML report: one self-contained web page a manager can open, mail or print.

Owns the page (`render`): inline CSS with print rules, the charts as inline SVG (`svg_charts`), no
script, font, image or stylesheet from anywhere else, every data string escaped. Also owns what the
documents say, shared with the PDF report so both read the same: the cover line, the summary
cards, the breakdown charts' titles, the developers table and how a daily cell reads, all from the
figures' definitions (`core.figures`). Both lead with what a manager reads first (summary, the
per-developer table, the trends) and end with the day-by-day appendix (no breakdowns in its rows:
the charts show them). Unknown figures read "—" with a footnote saying why.
"""

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop_app.core.charts import SPARK_WIDTH, sparkline
from desktop_app.core.figures import (
    DEVELOPER_KEYS,
    NO_TELEMETRY,
    SUMMARY_KEYS,
    TREND_TITLE,
    UNKNOWN,
    Figure,
    display_text,
    exact_text,
    figure,
)
from desktop_app.core.reports.columns import DAILY_COLUMNS, DailyColumn, ValueKind
from desktop_app.core.reports.data import ReportData
from desktop_app.core.reports.progress import Progress
from desktop_app.core.reports.prompts import MAX_PROMPTS, PromptEntry
from desktop_app.core.reports.svg_charts import breakdown_chart_svg, daily_chart_svg
from desktop_app.core.store.dashboard import Breakdown, DeveloperTotals, Summary
from desktop_app.core.store.queries import DailyUsage
from desktop_app.core.team.settings import recording_text

REPORT_TITLE: Final = "Copilot usage report"
NUMERIC_KINDS: Final[frozenset[ValueKind]] = frozenset({"count", "ratio", "credits", "millis"})
DEVELOPER_FIGURES: Final = tuple(figure(key) for key in DEVELOPER_KEYS)
DEVELOPER_HEADINGS: Final = (*(f.title for f in DEVELOPER_FIGURES), TREND_TITLE)
APPENDIX_COLUMNS: Final = tuple(c for c in DAILY_COLUMNS if c.kind != "counts")
"""The day-by-day appendix: every daily figure but the breakdowns (the charts show those)."""
PROMPTS_EVERY: Final = 50
"""Progress is reported (and a cancel honoured) once per this many prompts."""

_CSS: Final = """
body { font-family: Helvetica, Arial, "DejaVu Sans", sans-serif; color: #202020; background: #ffffff;
       margin: 24px; font-size: 14px; line-height: 1.35; }
h1 { font-size: 24px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 24px 0 8px; border-bottom: 1px solid #d6d6d6; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 4px; }
.cover { margin: 0 0 4px; }
.note { margin: 0; color: #404040; }
.cards { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 8px; }
.card { border: 1px solid #d6d6d6; border-radius: 4px; padding: 8px 10px; }
.card .value { font-size: 20px; font-weight: bold; }
figure { margin: 12px 0; }
svg.chart { max-width: 100%; height: auto; }
.breakdowns { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border: 1px solid #d6d6d6; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; position: sticky; top: 0; }
td { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.daily { font-size: 10.5px; }
table.daily th, table.daily td { padding: 2px 4px; }
table.daily th { font-weight: 600; vertical-align: bottom; max-width: 6.5em; }
table.developers td:last-child { font-family: "DejaVu Sans Mono", monospace; letter-spacing: -1px; }
.daily-wrap { max-height: 85vh; overflow: auto; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f7f7f7; border: 1px solid #e0e0e0;
      padding: 6px; font-size: 12px; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; font-size: 10pt; }
  .page-break { break-before: page; }
  thead { display: table-header-group; }
  tr, figure, .card, article { break-inside: avoid; }
  .scroll, .daily-wrap { overflow: visible; max-height: none; }
  th { position: static; }
  table { font-size: 8pt; }
  table.daily { font-size: 6pt; }
}
"""


# --- what both documents say ---------------------------------------------------------------------

def moment_text(moment: datetime) -> str:
    """'2026-12-04 18:59 CET' (the offset when the zone has no abbreviation)."""
    zone = moment.strftime("%Z") or moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} {zone}".strip()


def cover_line(data: ReportData) -> str:
    """Period, time zone, recording level and when the report was made, on one line."""
    return (f"Period: {data.period_text} · Time zone: {data.time_zone or 'unknown'} · "
            f"Recording level: {recording_text(data.recording_level)} · Generated: {moment_text(data.generated_at)}")


def names_note(data: ReportData) -> str:
    """Whether the developer names are real or pseudonyms."""
    if data.options.pseudonymize:
        return ("Developer names are pseudonymized: each alias stands for one developer and stays the same "
                "in every report from this installation.")
    return "Developer names are shown as recorded."


@dataclass(frozen=True)
class Card:
    """A summary card: its caption, its figure as read, the exact figure and what it counts."""

    caption: str
    text: str
    exact: str
    help: str


def summary_cards(summary: Summary) -> tuple[Card, ...]:
    """The summary cards, in the dashboard's order (`figures.SUMMARY_KEYS`)."""
    cards = []
    for key in SUMMARY_KEYS:
        fig, value = figure(key), summary.value(key)
        text = display_text(value, fig) or UNKNOWN
        cards.append(Card(fig.title, text, exact_text(value, fig.kind), fig.help))
    return tuple(cards)


def footnotes(summary: Summary) -> tuple[str, ...]:
    """What a reader must know to read the figures right (unknown acceptance), as sentences."""
    note = summary.acceptance_note
    notes = [f"{UNKNOWN} {NO_TELEMETRY}"] if note else []
    if note and note != NO_TELEMETRY:
        notes.append(note)
    return tuple(notes)


def breakdowns(data: ReportData) -> tuple[tuple[str, Breakdown, str], ...]:
    """(title, breakdown, unit) of each breakdown chart, as the dashboard names them (the figures' titles)."""
    picks = (("interactions_by_mode", data.modes), ("models", data.models), ("languages", data.languages),
             ("editors", data.editors))
    return tuple((figure(key).title, items, figure(key).unit) for key, items in picks)


def developer_cell(fig: Figure, totals: DeveloperTotals) -> str:
    """One developer's `fig` over the period as people read it (tokens rounded, unknown as "—")."""
    return display_text(totals.value(fig.key), fig)


def developer_row(totals: DeveloperTotals, trend_width: int = SPARK_WIDTH) -> tuple[str, ...]:
    """One developer's period figures, in `DEVELOPER_HEADINGS` order (the last is the trend, at most `trend_width`)."""
    return (*(developer_cell(fig, totals) for fig in DEVELOPER_FIGURES), sparkline(totals.trend, trend_width))


def daily_cell(column: DailyColumn, row: DailyUsage, *, compact: bool = False) -> str:
    """The text of `column` in the daily table for `row` (unknown as "—"; tokens rounded when `compact`)."""
    return display_text(getattr(row, column.key), column.figure, compact=compact)


def prompt_heading(entry: PromptEntry, time_zone: str) -> str:
    """'dev00 · 2026-11-03 10:15 · agent · gpt-5', the time in the report's time zone when it is known."""
    return f"{entry.developer} · {local_time_text(entry.started_at, time_zone)} · {entry.mode} · {entry.model}"


def local_time_text(moment: datetime, time_zone: str) -> str:
    """`moment` in `time_zone` (an IANA name), or in UTC, saying so, when the zone is not one."""
    try:
        return f"{moment.astimezone(ZoneInfo(time_zone)):%Y-%m-%d %H:%M}"
    except (ZoneInfoNotFoundError, ValueError):
        return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def truncation_note() -> str:
    """Why some prompts are missing."""
    return f"Only the newest {MAX_PROMPTS:,} prompts of the period are included."


# --- HTML ----------------------------------------------------------------------------------------

def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _head(data: ReportData) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(f'{REPORT_TITLE}, {data.period_text}')}</title>\n<style>{_CSS}</style>\n</head>\n<body>")


def _cover(data: ReportData) -> str:
    return (f'<header>\n<h1>{_e(REPORT_TITLE)}</h1>\n<p class="cover">{_e(cover_line(data))}</p>\n'
            f'<p class="note">{_e(names_note(data))}</p>\n</header>')


def _summary(summary: Summary) -> str:
    cards = "\n".join(f'<div class="card" title="{_e(card.exact + " · " + card.help)}">'
                      f'<div class="value">{_e(card.text)}</div>'
                      f'<div class="caption">{_e(card.caption)}</div></div>' for card in summary_cards(summary))
    notes = "".join(f'\n<p class="note">{_e(note)}</p>' for note in footnotes(summary))
    return f'<section id="summary">\n<h2>Summary</h2>\n<div class="cards">\n{cards}\n</div>{notes}\n</section>'


def _charts(data: ReportData) -> str:
    figures = "\n".join(f"<figure>{breakdown_chart_svg(title, items, unit=unit)}</figure>"
                        for title, items, unit in breakdowns(data))
    return (f'<section id="charts">\n<h2>Trends</h2>\n<figure>{daily_chart_svg(data.daily)}</figure>\n'
            f'<div class="breakdowns">\n{figures}\n</div>\n</section>')


def _row(cells: Sequence[str], numeric: Sequence[bool], titles: Sequence[str] = ()) -> str:
    parts = []
    for n, (cell, num) in enumerate(zip(cells, numeric, strict=True)):
        title = f' title="{_e(titles[n])}"' if n < len(titles) and titles[n] and titles[n] != cell else ""
        parts.append(f'<td class="num"{title}>{_e(cell)}</td>' if num else f"<td{title}>{_e(cell)}</td>")
    return "<tr>" + "".join(parts) + "</tr>"


def _table(headings: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool], css: str, *,
           tips: Sequence[str] = (), titles: Iterable[Sequence[str]] | None = None) -> str:
    head = "".join(f'<th scope="col" title="{_e(tips[n])}">{_e(h)}</th>' if n < len(tips) else
                   f'<th scope="col">{_e(h)}</th>' for n, h in enumerate(headings))
    exact = iter(titles) if titles is not None else None
    body = "\n".join(_row(cells, numeric, next(exact) if exact is not None else ()) for cells in rows)
    return (f'<div class="scroll {css}-wrap"><table class="{css}">\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody>\n</table></div>")


def _developers(data: ReportData) -> str:
    numeric = [fig.numeric for fig in DEVELOPER_FIGURES] + [False]
    tips = [fig.help for fig in DEVELOPER_FIGURES] + ["Requests per day over the period"]
    exact = ([exact_text(t.value(fig.key), fig.kind) for fig in DEVELOPER_FIGURES] for t in data.developers)
    table = _table(DEVELOPER_HEADINGS, (developer_row(t) for t in data.developers), numeric, "developers", tips=tips,
                   titles=exact)
    return f'<section id="developers">\n<h2>Per developer</h2>\n{table}\n</section>'


def _daily(data: ReportData) -> str:
    headings = [column.title for column in APPENDIX_COLUMNS]
    numeric = [column.kind in NUMERIC_KINDS for column in APPENDIX_COLUMNS]
    rows = ([daily_cell(column, row, compact=True) for column in APPENDIX_COLUMNS] for row in data.rows)
    exact = ([daily_cell(column, row) for column in APPENDIX_COLUMNS] for row in data.rows)
    table = _table(headings, rows, numeric, "daily", tips=[column.figure.help for column in APPENDIX_COLUMNS],
                   titles=exact)
    return (f'<section id="daily" class="page-break">\n<h2>Appendix: per developer per day</h2>\n'
            f'<p class="note">Breakdowns by mode, model, language and editor are in the CSV and the workbook.</p>\n'
            f"{table}\n</section>")


def _prompt(entry: PromptEntry, time_zone: str) -> str:
    return (f"<article>\n<h3>{_e(prompt_heading(entry, time_zone))}</h3>\n"
            f"<p>Prompt</p>\n<pre>{_e(entry.prompt)}</pre>\n<p>Answer</p>\n<pre>{_e(entry.response)}</pre>\n</article>")


def _prompts(data: ReportData, progress: Progress) -> str:
    parts = ['<section id="prompts" class="page-break">\n<h2>Prompts and answers</h2>',
             '<p class="note">As recorded, with secrets redacted.</p>']
    if data.prompts_truncated:
        parts.append(f'<p class="note">{_e(truncation_note())}</p>')
    for index, entry in enumerate(data.prompts):
        if index % PROMPTS_EVERY == 0:
            progress.step(0.8 + 0.2 * index / len(data.prompts), "Prompts")
        parts.append(_prompt(entry, data.time_zone))
    parts.append("</section>")
    return "\n".join(parts)


def render(data: ReportData, progress: Progress) -> bytes:
    """The report as one self-contained HTML5 page, UTF-8.

    Raises:
        ReportCancelled: `progress` said to stop.
    """
    progress.step(0.0, "Summary")
    parts = [_head(data), _cover(data), _summary(data.summary)]
    progress.step(0.2, "Developers")
    parts.append(_developers(data))
    progress.step(0.3, "Charts")
    parts.append(_charts(data))
    progress.step(0.6, "Daily figures")
    parts.append(_daily(data))
    if data.prompts:
        parts.append(_prompts(data, progress))
    progress.step(1.0, "Page written")
    parts.append("</body>\n</html>\n")
    return "\n".join(parts).encode("utf-8", errors="replace")  # a lone surrogate in recorded text becomes "?"
