"""The HTML report: one self-contained web page a manager can open, mail or print.

Owns the page (`render`): inline CSS with print rules, the charts as inline SVG (`svg_charts`), no
script, font, image or stylesheet from anywhere else, every data string escaped. Also owns what the
documents say, shared with the PDF report so both read the same: the cover line, the summary
cards, the breakdown charts' titles, the developers table and how a daily cell reads.
"""

import html
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop_app.core.reports.columns import DAILY_COLUMNS, DailyColumn, Value, ValueKind, format_value
from desktop_app.core.reports.data import DeveloperTotals, ReportData
from desktop_app.core.reports.progress import Progress
from desktop_app.core.reports.prompts import MAX_PROMPTS, PromptEntry
from desktop_app.core.reports.svg_charts import breakdown_chart_svg, daily_chart_svg
from desktop_app.core.store.dashboard import Breakdown, Summary
from desktop_app.core.store.queries import DailyUsage
from desktop_app.core.team.settings import recording_text

REPORT_TITLE: Final = "Copilot usage report"
NUMERIC_KINDS: Final[frozenset[ValueKind]] = frozenset({"count", "ratio", "credits", "millis"})
DEVELOPER_HEADINGS: Final = ("Developer", "Active days", "Requests", "Completions shown", "Accepted",
                             "Acceptance rate", "Interactions", "Agent requests", "Tokens", "AI credits", "Errors")
NO_FIGURE: Final = "\N{EN DASH}"
"""A card's figure when there is none (the acceptance rate with nothing shown), as on the dashboard."""
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
th { background: #f0f0f0; }
td.num { text-align: right; white-space: nowrap; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f7f7f7; border: 1px solid #e0e0e0;
      padding: 6px; font-size: 12px; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; font-size: 10pt; }
  .page-break { break-before: page; }
  thead { display: table-header-group; }
  tr, figure, .card, article { break-inside: avoid; }
  .scroll { overflow: visible; }
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


def summary_cards(summary: Summary) -> tuple[tuple[str, str], ...]:
    """(caption, figure) of each summary card, in the dashboard's order."""
    return (
        ("Active developers", format_value(summary.active_developers, "count")),
        ("Completions shown", format_value(summary.completions_shown, "count")),
        ("Completions accepted", format_value(summary.completions_accepted, "count")),
        ("Acceptance rate", format_value(summary.acceptance_rate, "ratio") or NO_FIGURE),
        ("Interactions", format_value(summary.user_interactions, "count")),
        ("Agent requests", format_value(summary.agent_requests, "count")),
        ("Tokens", format_value(summary.tokens, "count")),
        ("AI credits", format_value(summary.ai_credits, "credits")),
        ("Errors", format_value(summary.errors, "count")),
        ("Requests", format_value(summary.requests, "count")),
    )


def breakdowns(data: ReportData) -> tuple[tuple[str, Breakdown, str], ...]:
    """(title, breakdown, unit) of each breakdown chart, as the dashboard names them."""
    return (("Interactions by mode", data.modes, "interactions"), ("Model calls by model", data.models, "calls"),
            ("Completions by language", data.languages, "completions"),
            ("Requests by editor", data.editors, "requests"))


def developer_row(totals: DeveloperTotals) -> tuple[str, ...]:
    """One developer's period figures, in `DEVELOPER_HEADINGS` order."""
    s = totals.summary
    figures: tuple[tuple[Value, ValueKind], ...] = (
        (totals.active_days, "count"), (s.requests, "count"), (s.completions_shown, "count"),
        (s.completions_accepted, "count"), (s.acceptance_rate, "ratio"), (s.user_interactions, "count"),
        (s.agent_requests, "count"), (s.tokens, "count"), (s.ai_credits, "credits"), (s.errors, "count"))
    return (totals.developer, *(format_value(value, kind) for value, kind in figures))


def counts_text(compact_json: str) -> str:
    """A breakdown cell as people read it: 'gpt-5 3, claude 2' (largest first)."""
    counts: dict[str, int] = json.loads(compact_json) if compact_json else {}
    return ", ".join(f"{name or '(unknown)'} {count:,}"
                     for name, count in sorted(counts.items(), key=lambda p: (-p[1], p[0])))


def daily_cell(column: DailyColumn, row: DailyUsage) -> str:
    """The text of `column` in the daily table for `row`."""
    value = column.readable(row)
    if column.kind == "counts":
        return counts_text(str(value or ""))
    return format_value(value, column.kind)


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
    cards = "\n".join(f'<div class="card"><div class="value">{_e(value)}</div>'
                      f'<div class="caption">{_e(caption)}</div></div>' for caption, value in summary_cards(summary))
    return f'<section id="summary">\n<h2>Summary</h2>\n<div class="cards">\n{cards}\n</div>\n</section>'


def _charts(data: ReportData) -> str:
    figures = "\n".join(f"<figure>{breakdown_chart_svg(title, items, unit=unit)}</figure>"
                        for title, items, unit in breakdowns(data))
    return (f'<section id="charts">\n<h2>Charts</h2>\n<figure>{daily_chart_svg(data.daily)}</figure>\n'
            f'<div class="breakdowns page-break">\n{figures}\n</div>\n</section>')


def _row(cells: Sequence[str], numeric: Sequence[bool]) -> str:
    return "<tr>" + "".join(f'<td class="num">{_e(cell)}</td>' if num else f"<td>{_e(cell)}</td>"
                            for cell, num in zip(cells, numeric, strict=True)) + "</tr>"


def _table(headings: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool], css: str) -> str:
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headings)
    body = "\n".join(_row(cells, numeric) for cells in rows)
    return (f'<div class="scroll"><table class="{css}">\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody>\n</table></div>")


def _developers(data: ReportData) -> str:
    numeric = [False] + [True] * (len(DEVELOPER_HEADINGS) - 1)
    table = _table(DEVELOPER_HEADINGS, (developer_row(t) for t in data.developers), numeric, "developers")
    return f'<section id="developers" class="page-break">\n<h2>Developers</h2>\n{table}\n</section>'


def _daily(data: ReportData) -> str:
    headings = [column.title for column in DAILY_COLUMNS]
    numeric = [column.kind in NUMERIC_KINDS for column in DAILY_COLUMNS]
    rows = ([daily_cell(column, row) for column in DAILY_COLUMNS] for row in data.rows)
    table = _table(headings, rows, numeric, "daily")
    return f'<section id="daily" class="page-break">\n<h2>Per developer per day</h2>\n{table}\n</section>'


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
    progress.step(0.2, "Charts")
    parts.append(_charts(data))
    progress.step(0.5, "Developers")
    parts.append(_developers(data))
    progress.step(0.6, "Daily figures")
    parts.append(_daily(data))
    if data.prompts:
        parts.append(_prompts(data, progress))
    progress.step(1.0, "Page written")
    parts.append("</body>\n</html>\n")
    return "\n".join(parts).encode("utf-8", errors="replace")  # a lone surrogate in recorded text becomes "?"
