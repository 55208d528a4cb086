"""The CSV report: one row per developer per day, every figure the store keeps (`DAILY_COLUMNS`).

Machine-readable first: headers are the figures' keys, numbers are plain (no thousands separators,
the acceptance rate a fraction), breakdowns are compact JSON in one cell, UTF-8 with a BOM so Excel
reads names correctly. A cell that a spreadsheet would run as a formula is prefixed with an apostrophe.
"""

import csv
import io
from typing import Final

from desktop_app.core.reports.columns import DAILY_COLUMNS, FORMULA_STARTS, Value
from desktop_app.core.reports.data import ReportData
from desktop_app.core.reports.progress import Progress

_ROWS_PER_STEP: Final = 500


def cell(value: Value) -> str | int | float:
    """A value as the CSV holds it: empty when unknown, text defused against formula injection."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def render(data: ReportData, progress: Progress) -> bytes:
    """The report as CSV bytes (UTF-8 with BOM, CRLF line ends as RFC 4180 says)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.key for column in DAILY_COLUMNS])
    for n, row in enumerate(data.rows):
        if n % _ROWS_PER_STEP == 0:
            progress.step(n / max(len(data.rows), 1), "Writing rows")
        writer.writerow([cell(column.value(row)) for column in DAILY_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
