"""The per-developer per-day figures every tabular report shows, in one order, with one meaning.

`DAILY_COLUMNS` is shared by the CSV, the workbook's Daily sheet and the HTML/PDF tables, so the
same range gives the same numbers in every format. `key` is the machine name (CSV header, JSON
field: the `DailyUsage` attribute), `title` the heading people read.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from desktop_app.core.store.queries import SHOWN_SOURCE_TEXT, DailyUsage

ValueKind = Literal["text", "count", "ratio", "credits", "millis", "counts"]
Value = str | int | float | None


@dataclass(frozen=True)
class DailyColumn:
    """One figure of a developer's day."""

    key: str
    title: str
    kind: ValueKind

    def value(self, row: DailyUsage) -> Value:
        """The figure in `row` (a breakdown becomes compact JSON: `{"gpt-5": 3}`)."""
        if self.key == "day":
            return row.day.isoformat()
        raw: object = getattr(row, self.key)
        if isinstance(raw, Mapping):
            return counts_json(raw)
        if raw is None or isinstance(raw, str | int | float):
            return raw
        raise TypeError(f"{self.key} is not a report value")

    def readable(self, row: DailyUsage) -> Value:
        """`value` as people read it (workbook, HTML, PDF): coded text in words; the CSV keeps the code."""
        value = self.value(row)
        if self.key == "shown_source" and isinstance(value, str):
            return SHOWN_SOURCE_TEXT.get(value, value)
        return value


def counts_json(counts: Mapping[str, int]) -> str:
    """A breakdown as compact JSON with sorted keys (one cell, machine-readable)."""
    return json.dumps(dict(sorted(counts.items())), ensure_ascii=False, separators=(",", ":"))


_SPEC: Final[tuple[tuple[str, str, ValueKind], ...]] = (
    ("day", "Day", "text"),
    ("developer", "Developer", "text"),
    ("requests", "Requests", "count"),
    ("completions_requested", "Completions", "count"),
    ("completions_returned", "Suggestions", "count"),
    ("completions_shown", "Shown", "count"),
    ("shown_source", "Shown counted from", "text"),
    ("completions_accepted", "Accepted", "count"),
    ("acceptance_rate", "Acceptance rate", "ratio"),
    ("lines_suggested", "Lines suggested", "count"),
    ("lines_accepted", "Lines accepted", "count"),
    ("chat_acceptances", "Chat code used", "count"),
    ("nes_shown", "Next edit suggestions shown", "count"),
    ("nes_accepted", "Next edit suggestions accepted", "count"),
    ("user_interactions", "Interactions", "count"),
    ("agent_requests", "Agent requests", "count"),
    ("model_calls", "Model calls", "count"),
    ("prompt_tokens", "Prompt tokens", "count"),
    ("completion_tokens", "Output tokens", "count"),
    ("cached_tokens", "Cached tokens", "count"),
    ("reasoning_tokens", "Reasoning tokens", "count"),
    ("ai_credits", "AI credits", "credits"),
    ("errors", "Errors", "count"),
    ("latency_p50_ms", "Latency p50 (ms)", "millis"),
    ("latency_p95_ms", "Latency p95 (ms)", "millis"),
    ("interactions_by_mode", "Interactions by mode", "counts"),
    ("models", "Model calls by model", "counts"),
    ("languages", "Completions by language", "counts"),
    ("editors", "Requests by editor", "counts"),
)

DAILY_COLUMNS: Final = tuple(DailyColumn(key, title, kind) for key, title, kind in _SPEC)


FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
"""How a cell a spreadsheet would run as a formula starts (CSV/XLSX injection): such text is defused."""


def format_value(value: Value, kind: ValueKind) -> str:
    """A figure as people read it in HTML and PDF tables (empty when unknown)."""
    if value is None:
        return ""
    if kind == "ratio":
        return f"{float(value):.1%}"
    if kind == "credits":
        return f"{float(value):,.2f}"
    if kind == "millis":
        return f"{float(value):,.0f}"
    if kind == "count":
        return f"{int(value):,}"
    return str(value)

