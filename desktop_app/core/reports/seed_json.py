"""The JSON report: the seed script's daily metrics shape (`copilot-usage_<day>.json`), one object per day.

A list of the objects the seed wrote one file per day, so its users' scripts read it unchanged
(`core.seed_format` defines the shape).
"""

import json

from desktop_app.core.reports.data import ReportData
from desktop_app.core.reports.progress import Progress


def render(data: ReportData, progress: Progress) -> bytes:
    """The period's seed-shaped days as pretty-printed UTF-8 JSON."""
    progress.step(0.0, "Writing days")
    return (json.dumps(list(data.seed_days), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
