"""The report formats: their names on the command line, labels, file suffixes, and suggested file names.

Kept apart from `export` so the command line can list the formats without importing the store.
"""

from dataclasses import dataclass
from datetime import date
from typing import Final, Literal, get_args

ReportFormat = Literal["csv", "xlsx", "html", "pdf", "json", "github-ndjson"]
REPORT_FORMATS: Final[tuple[ReportFormat, ...]] = get_args(ReportFormat)


@dataclass(frozen=True)
class FormatInfo:
    """How a format is offered: its label, file suffix and whether it can carry prompts."""

    label: str
    suffix: str
    carries_prompts: bool


FORMAT_INFO: Final[dict[ReportFormat, FormatInfo]] = {
    "xlsx": FormatInfo("Excel workbook (.xlsx)", ".xlsx", carries_prompts=True),
    "pdf": FormatInfo("PDF document (.pdf)", ".pdf", carries_prompts=True),
    "html": FormatInfo("Web page (.html)", ".html", carries_prompts=True),
    "csv": FormatInfo("CSV, one row per developer per day (.csv)", ".csv", carries_prompts=False),
    "json": FormatInfo("JSON, the daily layout of copilot-proxy-insight (.json)", ".json", carries_prompts=False),
    "github-ndjson": FormatInfo("NDJSON, GitHub's users-1-day report fields (.ndjson)", ".ndjson",
                                carries_prompts=False),
}


def suggested_name(fmt: ReportFormat, first: date, last: date) -> str:
    """A file name for the period: `copilot-usage_2026-11-01_2026-11-30.xlsx`."""
    period = first.isoformat() if first == last else f"{first}_{last}"
    return f"copilot-usage_{period}{FORMAT_INFO[fmt].suffix}"
