"""The per-developer per-day columns every tabular report shows, in one order, with one meaning.

`DAILY_COLUMNS` is `figures.FIGURES` as report cells: shared by the CSV, the workbook's Daily
sheet and the HTML/PDF tables, so the same range gives the same numbers in every format. `key` is
the machine name (CSV header, JSON field: the `DailyUsage` attribute), `title` the heading people
read; both, the unit and the help text come from the figure.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from desktop_app.core.figures import FIGURES, WORDS, Figure, Kind, machine_value
from desktop_app.core.store.queries import DailyUsage

ValueKind = Kind
Value = str | int | float | None


@dataclass(frozen=True)
class DailyColumn:
    """One figure of a developer's day, as a report cell."""

    figure: Figure

    @property
    def key(self) -> str:
        """The machine name (CSV header)."""
        return self.figure.key

    @property
    def title(self) -> str:
        """The heading people read."""
        return self.figure.title

    @property
    def kind(self) -> ValueKind:
        """How the figure is written."""
        return self.figure.kind

    def value(self, row: DailyUsage) -> Value:
        """The figure in `row` as a file holds it (None when unknown).

        A day is ISO text, a breakdown compact JSON (`{"gpt-5": 3}`), a fraction rounded (`figures.machine_value`).
        """
        if self.key == "day":
            return row.day.isoformat()
        raw: object = getattr(row, self.key)
        if isinstance(raw, Mapping):
            return counts_json(raw)
        if isinstance(raw, float):
            return machine_value(raw, self.kind)
        if raw is None or isinstance(raw, str | int):
            return raw
        raise TypeError(f"{self.key} is not a report value")

    def readable(self, row: DailyUsage) -> Value:
        """`value` as people read it (workbook, HTML, PDF): coded text in words; the CSV keeps the code."""
        value = self.value(row)
        words = WORDS.get(self.key)
        return words.get(value, value) if words is not None and isinstance(value, str) else value


_COUNTS_JSON: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)
"""Made once: `json.dumps` with options builds an encoder per call, and a year's report has 60,000 breakdowns."""


def counts_json(counts: Mapping[str, int]) -> str:
    """A breakdown as compact JSON with sorted keys (one cell, machine-readable)."""
    return _COUNTS_JSON.encode(counts if isinstance(counts, dict) else dict(counts)) if counts else "{}"


DAILY_COLUMNS: Final = tuple(DailyColumn(f) for f in FIGURES)


FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
"""How a cell a spreadsheet would run as a formula starts (CSV/XLSX injection): such text is defused."""

