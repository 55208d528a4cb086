"""Every figure of Copilot use a lead reads: its name, title, unit, format, help text and how it adds up.

One `Figure` per figure, in `FIGURES`. `key` is the machine name (the `DailyUsage` attribute, the
CSV header, the JSON field), `title` the heading people read, `unit` what one of it is, `kind` how
it is written, `help` what it counts (the dashboard's tooltips, the reports' footnotes) and `total`
how a period adds it up. `DailyUsage` has one attribute per `DAILY_KEYS` entry, in that order
(checked when `store.queries` is imported); the dashboard's table and cards, every report's
columns, the CSV header and the workbook's sheets are built from these definitions, and so are the
period totals (`period_totals`). Adding a daily figure: its `Figure` here and its `DailyUsage`
attribute (and, when it is a new sum, its rollup column in `store.rollup`).

Unknown is not zero: a figure that needs IDE telemetry (`needs_telemetry`) is None on a
developer-day whose IDE sent none; people read it as `UNKNOWN` with `help_unknown`, CSV and XLSX
leave the cell empty, and a period's rates use only the developer-days telemetry covered.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Final, Literal

Kind = Literal["date", "text", "count", "ratio", "credits", "millis", "counts"]
Total = Literal["key", "sum", "known_sum", "rate", "source", "merge", "none"]
Value = str | int | float | date | dict[str, int] | None

UNKNOWN: Final = "\N{EM DASH}"
"""How people read a figure that cannot be known (with `Figure.help_unknown` beside it)."""
NO_TELEMETRY: Final = ("Unknown: the IDE sent no Copilot telemetry (it is turned off or blocked), so what was "
                       "accepted cannot be known. It is not zero.")


@dataclass(frozen=True)
class Figure:
    """One figure: what it is called, counts, is measured in, reads as and adds up to over a period.

    Attributes:
        key: The machine name (`DailyUsage` attribute, CSV header, JSON field).
        title: The heading people read.
        kind: How it is written: a date, text, a count, a ratio, AI credits, milliseconds, or counts by name.
        unit: What one of it is ("requests", "tokens"), for chart axes and tooltips.
        help: What it counts, in one sentence.
        total: How a period adds it up: `key` (it names the row), `sum`, `known_sum` (the sum over
            the developer-days where it is known; unknown when it is known on none), `rate` (see
            `RATES`), `source` (one value, or "mixed"), `merge` (counts by name added up), `none`
            (not additive: a percentile).
        needs_telemetry: Known only on developer-days whose IDE sent telemetry.
        compact: People read it rounded ("320 M") with the exact value on hover.
    """

    key: str
    title: str
    kind: Kind
    unit: str
    help: str
    total: Total = "sum"
    needs_telemetry: bool = False
    compact: bool = False

    @property
    def help_unknown(self) -> str:
        """Why the figure can be unknown ('' when it never is, only blank when it does not apply)."""
        return NO_TELEMETRY if self.needs_telemetry else ""

    @property
    def numeric(self) -> bool:
        """Whether it is a number (aligned right, summable)."""
        return self.kind in ("count", "ratio", "credits", "millis")


def _f(key: str, title: str, kind: Kind, unit: str, help_text: str, total: Total = "sum", *,  # noqa: PLR0917
       telemetry: bool = False, compact: bool = False) -> Figure:
    return Figure(key, title, kind, unit, help_text, total, telemetry, compact)


FIGURES: Final = (
    _f("day", "Day", "date", "", "The local day, in the store's time zone.", "key"),
    _f("developer", "Developer", "text", "", "Who: the name the developer's proxy credentials carry.", "key"),
    _f("requests", "Requests", "count", "requests", "Every recorded request to a Copilot host, of any kind."),
    _f("completions_requested", "Completions requested", "count", "completions",
       "Inline-completion requests answered with status 200 (speculative ones excluded)."),
    _f("completions_returned", "Suggestions returned", "count", "suggestions",
       "Completion requests whose answer held text: a suggestion the IDE could show."),
    _f("completions_shown", "Completions shown", "count", "suggestions",
       "Distinct suggestions the IDE showed (its telemetry); the proxy's suggestions returned when the IDE "
       "sent no telemetry."),
    _f("shown_source", "Shown counted from", "text", "",
       "Where 'Completions shown' comes from: the editor's telemetry, or the proxy's responses (suggestions "
       "returned) when the editor sent none.", "source"),
    _f("completions_accepted", "Completions accepted", "count", "suggestions",
       "Distinct suggestions accepted (partial accepts of one count once), from the IDE's telemetry.",
       "known_sum", telemetry=True),
    _f("acceptance_rate", "Acceptance rate", "ratio", "",
       "Completions accepted ÷ completions shown, over the days the IDE's telemetry covered.", "rate",
       telemetry=True),
    _f("lines_suggested", "Lines suggested", "count", "lines",
       "Lines of the suggestions returned (the proxy's count)."),
    _f("lines_accepted", "Lines accepted", "count", "lines",
       "Lines of the accepted suggestions: per suggestion, the most any accept event reported.", "known_sum",
       telemetry=True),
    _f("chat_acceptances", "Chat code used", "count", "code blocks", "Chat code blocks inserted, copied or applied.",
       "known_sum", telemetry=True),
    _f("nes_shown", "Next edit suggestions shown", "count", "suggestions", "Next edit suggestions shown.",
       "known_sum", telemetry=True),
    _f("nes_accepted", "Next edit suggestions accepted", "count", "suggestions", "Next edit suggestions accepted.",
       "known_sum", telemetry=True),
    _f("user_interactions", "Interactions", "count", "interactions",
       "Prompts a developer sent (chat, edit, agent, CLI): distinct interactions with a user-initiated model call."),
    _f("interactions_by_mode", "Interactions by mode", "counts", "interactions",
       "Interactions per chat mode (ask, edit, agent, inline, cli, ...).", "merge"),
    _f("agent_requests", "Agent requests", "count", "requests",
       "Model calls the agent made on its own: tool loops, helpers, retries."),
    _f("model_calls", "Model calls", "count", "calls", "Every model call: chat completions, responses, messages."),
    _f("models", "Model calls by model", "counts", "calls", "Model calls per model.", "merge"),
    _f("languages", "Completions requested by language", "counts", "completions",
       "Completions requested, per language of the file.", "merge"),
    _f("editors", "Requests by editor", "counts", "requests", "Requests per editor.", "merge"),
    _f("prompt_tokens", "Prompt tokens", "count", "tokens", "Tokens sent to the models.", compact=True),
    _f("completion_tokens", "Output tokens", "count", "tokens", "Tokens the models answered.", compact=True),
    _f("cached_tokens", "Cached tokens", "count", "tokens", "Prompt tokens served from the model's cache.",
       compact=True),
    _f("reasoning_tokens", "Reasoning tokens", "count", "tokens", "Output tokens spent on reasoning.", compact=True),
    _f("ai_credits", "AI credits", "credits", "AI credits",
       "What Copilot reported each request cost (1 credit = 1e9 nano AIU)."),
    _f("errors", "Errors", "count", "requests", "Requests that failed or got a status of 400 or more."),
    _f("latency_p50_ms", "Latency p50 (ms)", "millis", "ms",
       "Median duration of model calls and completions that got a response and were not cancelled.", "none"),
    _f("latency_p95_ms", "Latency p95 (ms)", "millis", "ms", "The 95th percentile of the same durations.", "none"),
    _f("model_call_sources", "Model calls by source", "counts", "calls",
       "Where each model call was seen: proxy, otel (Copilot's own OpenTelemetry, from developers without the CA) "
       "or proxy+otel (seen both ways, counted once).", "merge"),
    _f("tools", "Tool calls by tool", "counts", "calls",
       "The agent's tool calls per tool, from Copilot's own OpenTelemetry (not seen through the proxy).", "merge"),
    _f("mcp_servers", "Tool calls by MCP server", "counts", "calls",
       "The same per MCP server, named as the client sends it (hashed).", "merge"),
)
"""Every daily figure, in the order `DailyUsage`, the CSV and every daily table show them."""

DAILY_KEYS: Final = tuple(f.key for f in FIGURES)

TOKENS: Final = _f("tokens", "Tokens", "count", "tokens", "Prompt and output tokens together.", compact=True)
"""A period figure: prompt + output tokens (no daily column of its own)."""
ACTIVE_DEVELOPERS: Final = _f("active_developers", "Active developers", "count", "developers",
                              "Developers with any request in the period.")
ACTIVE_DAYS: Final = _f("active_days", "Active days", "count", "days", "Days with any request.")
LAST_ACTIVE: Final = _f("last_active", "Last active", "date", "", "The last day with any request in the period.")

_TOKEN_PARTS: Final = ("prompt_tokens", "completion_tokens")
BY_KEY: Final[Mapping[str, Figure]] = {f.key: f for f in (*FIGURES, TOKENS, ACTIVE_DEVELOPERS, ACTIVE_DAYS,
                                                          LAST_ACTIVE)}

SHOWN_SOURCE_WORDS: Final[Mapping[str, str]] = {
    "telemetry": "editor telemetry", "proxy": "proxy responses", "mixed": "editor telemetry and proxy responses"}
"""How a `shown_source` value reads for people (files keep the value itself)."""
WORDS: Final[Mapping[str, Mapping[str, str]]] = {"shown_source": SHOWN_SOURCE_WORDS}
"""Coded text figures and how their values read for people."""

RATES: Final[Mapping[str, tuple[str, str]]] = {"acceptance_rate": ("completions_accepted", "completions_shown")}
"""A rate's (numerator, denominator): over a period, both summed over the rows where the numerator is known."""

TREND_TITLE: Final = "Trend (requests)"
"""The per-developer table's last column: requests per day over the period, as small bars."""
TREND_HELP: Final = "Requests per day over the chosen days"

DEVELOPER_KEYS: Final = (
    "developer", "requests", "user_interactions", "agent_requests", "completions_shown", "completions_accepted",
    "acceptance_rate", "lines_accepted", "tokens", "ai_credits", "errors", "active_days", "last_active",
)
"""The per-developer table's columns (the dashboard's first table, every report's first table)."""

SUMMARY_KEYS: Final = (
    "active_developers", "requests", "user_interactions", "agent_requests", "completions_shown",
    "completions_accepted", "acceptance_rate", "tokens", "ai_credits", "errors",
)
"""The summary cards, in order."""


def figure(key: str) -> Figure:
    """The figure named `key`.

    Raises:
        KeyError: No figure has that name.
    """
    return BY_KEY[key]


# --- a period's totals -------------------------------------------------------------------------------


def _sum(values: Sequence[object]) -> int | float:
    try:  # a column of numbers only (the usual case) is summed in C: the same additions, in the same order
        return sum(values)  # type: ignore[arg-type]
    except TypeError:
        return sum(v for v in values if isinstance(v, int | float))


def _known_sum(values: Iterable[object]) -> int | float | None:
    known = [v for v in values if isinstance(v, int | float)]
    return sum(known) if known else None


def _merge(values: Iterable[object]) -> dict[str, int]:
    merged: dict[str, int] = {}
    get = merged.get
    for counts in values:
        if isinstance(counts, Mapping):
            for name, count in counts.items():
                merged[name] = get(name, 0) + count
    return merged


def _source(values: Iterable[object]) -> str:
    seen = {str(v) for v in values if v}
    return seen.pop() if len(seen) == 1 else ("mixed" if seen else "")


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _rate(numerators: Sequence[object], denominators: Sequence[object]) -> float | None:
    top = bottom = 0.0
    for known, of in zip(numerators, denominators, strict=True):
        if known is not None:
            top += _number(known)
            bottom += _number(of)
    return top / bottom if bottom else None


def _columns(rows: Sequence[object], keys: Sequence[str]) -> dict[str, Sequence[object]]:
    """Each of `keys`' values over `rows`, read in one pass in C (a year holds thousands of rows)."""
    if not rows or not keys:
        return dict.fromkeys(keys, ())
    read = attrgetter(*keys)
    if len(keys) == 1:
        return {keys[0]: [read(row) for row in rows]}
    return dict(zip(keys, zip(*map(read, rows), strict=True), strict=True))


def _added_up(keys: Sequence[str] | None) -> tuple[Figure, ...]:
    """The figures a period adds up for `keys` (None: all), the parts of `tokens` among them."""
    wanted = set(keys) if keys is not None else None
    return tuple(fig for fig in FIGURES if fig.total not in ("key", "none") and (
        wanted is None or fig.key in wanted or (fig.key in _TOKEN_PARTS and TOKENS.key in wanted)))


def period_totals(rows: Sequence[object], keys: Iterable[str] | None = None) -> dict[str, Value]:
    """Add up daily rows (each with one attribute per `DAILY_KEYS` entry) by every figure's `total` rule.

    Only `keys` are added up when given (else every figure); keys (`day`, `developer`) and
    non-additive figures (`none`) are left out; `tokens` is the prompt and output tokens together.
    """
    asked = tuple(keys) if keys is not None else None
    figures = _added_up(asked)
    read = {key for fig in figures for key in (RATES[fig.key] if fig.total == "rate" else (fig.key,))}
    columns = _columns(rows, sorted(read))
    totals: dict[str, Value] = {}
    for fig in figures:
        values = columns.get(fig.key, ())
        match fig.total:
            case "sum":
                totals[fig.key] = _sum(values)
            case "known_sum":
                totals[fig.key] = _known_sum(values)
            case "merge":
                totals[fig.key] = _merge(values)
            case "source":
                totals[fig.key] = _source(values)
            case "rate":
                numerator, denominator = RATES[fig.key]
                totals[fig.key] = _rate(columns[numerator], columns[denominator])
            case "key" | "none":  # pragma: no cover - left out by _added_up
                pass
    if asked is None or TOKENS.key in asked:
        totals[TOKENS.key] = int(sum(_number(totals.get(part)) for part in _TOKEN_PARTS))
    return totals


def daily_rate(numerator: int | None, denominator: int) -> float | None:
    """A rate on one developer-day: unknown when the numerator is, or when nothing was counted."""
    return numerator / denominator if numerator is not None and denominator else None


# --- how people read a figure ---------------------------------------------------------------------------

_COMPACT_STEPS: Final = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))
COMPACT_FROM: Final = 100_000
"""Compact figures below this are written out whole (a five-digit number reads fine)."""


def compact_number(value: float) -> str:
    """'320 M' for 320,093,395, '1.23 M', '45.6 k'; three significant digits, whole below `COMPACT_FROM`."""
    if abs(value) < COMPACT_FROM:
        return f"{value:,.0f}"
    for size, suffix in _COMPACT_STEPS:
        if abs(value) >= size:
            scaled = value / size
            digits = max(0, 2 - math.floor(math.log10(abs(scaled))))
            return f"{scaled:.{digits}f} {suffix}"
    return f"{value:,.0f}"  # pragma: no cover - COMPACT_FROM is above every step's size


def exact_text(value: Value, kind: Kind) -> str:
    """A figure written out in full ('' when unknown or not applicable)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return counts_text(value)
    if isinstance(value, str):
        return value
    match kind:
        case "ratio":
            return f"{float(value):.1%}"
        case "credits":
            return f"{float(value):,.2f}"
        case "millis" | "count":
            return f"{float(value):,.0f}"
        case _:
            return str(value)


def display_text(value: Value, fig: Figure, *, compact: bool = True) -> str:
    """A figure as people read it: rounded when `fig.compact` (and `compact`), `UNKNOWN` when it cannot be known."""
    if value is None:
        return UNKNOWN if fig.needs_telemetry else ""
    if isinstance(value, str) and fig.key in WORDS:
        return WORDS[fig.key].get(value, value)
    if compact and fig.compact and isinstance(value, int | float) and not isinstance(value, bool):
        return compact_number(float(value))
    return exact_text(value, fig.kind)


def counts_text(counts: Mapping[str, int]) -> str:
    """'agent 5, ask 3' (largest first; an empty name reads '?')."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{name or '?'} {count:,}" for name, count in ordered)


MACHINE_DECIMALS: Final[Mapping[Kind, int]] = {"ratio": 4, "credits": 4, "millis": 1}
"""How many decimals a fraction keeps in machine-readable files (CSV, NDJSON, JSON)."""


def machine_value(value: float, kind: Kind) -> float:
    """A fraction rounded for a file (0.6234, 3287.6956, 812.4): no float noise like 3287.6956123350574."""
    return round(value, MACHINE_DECIMALS.get(kind, 6))
