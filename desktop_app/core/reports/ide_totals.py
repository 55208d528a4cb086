"""Per-day, per-developer, per-IDE figures, read from the daily summary's splits by IDE.

GitHub's per-user report (`users-1-day`, copilot-protocol.md §6.2) splits each day by IDE
(`totals_by_ide`), by feature, language and model. `read_ide_days` (per IDE) and
`read_day_breakdowns` (per language and per model and mode, which the report maps to its features)
read those splits (`rollup.IDE_USAGE`, `IDE_INTERACTIONS`, `IDE_TELEMETRY`: their SQL, kept in the
daily summary) as they come (`rollup.iter_grouped`: per IDE summed by the database, by language and
model summed here in one pass over the rows as stored), with the same definitions as
`rollup.compute_day_totals` (what each figure counts: `core.figures`), so that, for every developer
and day, the IDEs', languages' and models' figures add up exactly to the day's `DailyUsage`. Where a
split needs a rule of its own: an interaction counts once, under one IDE, mode and model (the
smallest of its user calls' values, in the rare case they differ); a suggestion key counts under
one IDE and language; "shown" falls back to "returned" for the whole developer-day when its IDEs
sent no "shown" telemetry, as `completions_shown` does.

Where a request went is its `editor` (the id the proxy derived from `Editor-Version` /
`Editor-Plugin-Version`, §2.12). Copilot CLI traffic (`Copilot-Integration-Id:
copilot-developer-cli`) is its own "IDE", `CLI_IDE`: GitHub reports the CLI in `totals_by_cli`,
not in `totals_by_ide`, and the writer does the same; keeping it here keeps the sums exact.
Requests without editor headers (NES calls often carry none) and telemetry events (whose
`editor` is the raw `name/version` the IDE reported) are attributed to the developer's IDE that
day: by name, else by version, else, when the event names none and the developer used one IDE
that day, to that IDE; otherwise to `UNKNOWN_IDE` (or the telemetry's own lower-cased name).
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from desktop_app.core.store.dashboard import DayRange
from desktop_app.core.store.engine import Connection
from desktop_app.core.store.queries import reading_store
from desktop_app.core.store.rollup import (
    CLI_IDE,
    IDE_INTERACTIONS,
    IDE_TELEMETRY,
    IDE_USAGE,
    Split,
    iter_grouped,
)

__all__ = ["CLI_IDE", "UNKNOWN", "UNKNOWN_IDE", "DayBreakdown", "IdeDay", "LanguageFigures", "ModelFigures",
           "read_day_breakdowns", "read_ide_days"]

UNKNOWN_IDE: Final = "unknown"
"""The `IdeDay.ide` of requests no IDE can be attributed to."""
UNKNOWN: Final = "unknown"
"""The language or model of figures whose requests or telemetry named none."""


@dataclass(frozen=True)
class IdeDay:
    """One developer's Copilot usage in one IDE (or the CLI) on one local day.

    Attributes:
        day: The local day (the store's time zone).
        developer: Who.
        ide: The editor id (vscode, intellij, neovim, ...), `CLI_IDE` or `UNKNOWN_IDE`.
        ide_version: The IDE version of the day's latest request that carried one ('' if none).
        ide_version_at: When that request started (UTC), None without one.
        plugin: The Copilot plugin of the day's latest request that carried a plugin version.
        plugin_version: Its version ('' if none).
        plugin_version_at: When that request started (UTC), None without one.
        requests: Every recorded request.
        model_calls: Chat completions, responses and messages calls.
        user_model_calls: Model calls initiated by the user (any mode).
        agent_requests: Model calls initiated by the agent.
        prompt_tokens: Sum over all requests.
        completion_tokens: Sum over all requests.
        nano_aiu: Sum of `copilot_usage.total_nano_aiu`.
        user_initiated_interaction_count: User-initiated interactions (sums to `DailyUsage.user_interactions`
            over a day's IDEs).
        code_generation_activity_count: Completions shown, or returned (see the module docstring; sums
            to `DailyUsage.completions_shown`).
        completions_accepted: Distinct accepted suggestions (sums to `DailyUsage.completions_accepted`).
        chat_acceptances: Chat code blocks inserted, copied or applied (sums to `DailyUsage.chat_acceptances`).
        loc_suggested_to_add_sum: Lines of the returned completions (sums to `DailyUsage.lines_suggested`).
        loc_added_sum: Lines accepted (sums to `DailyUsage.lines_accepted`).
    """

    day: date
    developer: str
    ide: str
    ide_version: str = ""
    ide_version_at: datetime | None = None
    plugin: str = ""
    plugin_version: str = ""
    plugin_version_at: datetime | None = None
    requests: int = 0
    model_calls: int = 0
    user_model_calls: int = 0
    agent_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    nano_aiu: int = 0
    user_initiated_interaction_count: int = 0
    code_generation_activity_count: int = 0
    completions_accepted: int = 0
    chat_acceptances: int = 0
    loc_suggested_to_add_sum: int = 0
    loc_added_sum: int = 0

    @property
    def is_cli(self) -> bool:
        """True for Copilot CLI traffic (reported in `totals_by_cli`, not `totals_by_ide`)."""
        return self.ide == CLI_IDE

    @property
    def code_acceptance_activity_count(self) -> int:
        """Completions accepted plus chat acceptances."""
        return self.completions_accepted + self.chat_acceptances


LanguageFigures = tuple[str, int, int, int, int, int]
"""A developer-day's completions and chat acceptances in one language (`UNKNOWN` when none was named):
(language, code_generation_activity_count — completions shown, or returned (see the module docstring),
completions_accepted, loc_suggested_to_add_sum, loc_added_sum, chat_acceptances).

A plain tuple, not a named one: a year's report holds ~180,000 of these and `ModelFigures`. The
garbage collector stops tracking a tuple of strings and ints, but walks every named tuple (a tuple
subclass) on each full collection: ~0.4 s of CPU in a year's NDJSON export."""
ModelFigures = tuple[str, str, int, int]
"""A developer-day's chat with one model (`UNKNOWN` when none was named) in one mode: (model, mode,
user_initiated_interaction_count, chat_acceptances). Chat acceptances carry no mode (telemetry does
not say it): theirs is ''. A plain tuple, as `LanguageFigures`."""


@dataclass(frozen=True)
class DayBreakdown:
    """One developer's day by language and by model and mode (each sorted by its keys)."""

    day: date
    developer: str
    languages: tuple[LanguageFigures, ...] = ()
    models: tuple[ModelFigures, ...] = ()


# --- reading -------------------------------------------------------------------------------------------

_Key = tuple[str, str]  # (day, developer)
_RETURNED, _SHOWN, _ACCEPTED, _CHAT, _LINES_SUGGESTED, _LINES_ACCEPTED, _INTERACTIONS = range(7)


@dataclass
class _IdeTally:
    versions: list[tuple[float, str, str, str]] = field(default_factory=list)  # (at, ide version, plugin, version)
    counts: list[int] = field(default_factory=lambda: [0] * 7)  # requests ... nano_aiu, in IdeDay order
    sums: list[int] = field(default_factory=lambda: [0] * 7)  # returned ... interactions, in `_RETURNED` order


class _Reader:
    """The rows of one read, attributed to IDEs and summed per (day, developer, IDE)."""

    def __init__(self) -> None:
        self.ides: dict[tuple[str, str, str], _IdeTally] = {}
        self.candidates: dict[_Key, dict[str, set[str]]] = {}  # named IDEs used that day → their versions
        self.by_raw_ide: dict[tuple[str, str, str], _IdeTally] = {}  # once every IDE used that day is learnt

    def tally(self, day: str, developer: str, ide: str) -> _IdeTally:
        found = self.ides.get((day, developer, ide))
        if found is None:
            found = self.ides[day, developer, ide] = _IdeTally()
        return found

    def usage_tally(self, day: str, developer: str, raw_ide: str) -> _IdeTally:
        """The tally of the IDE a request with editor `raw_ide` is attributed to (`usage_ide`), remembered."""
        found = self.by_raw_ide.get((day, developer, raw_ide))
        if found is None:
            found = self.by_raw_ide[day, developer, raw_ide] = self.tally(
                day, developer, self.usage_ide(day, developer, raw_ide))
        return found

    def learn(self, day: str, developer: str, ide: str, version: str = "") -> None:
        """Note that the developer used the named IDE `ide` (at `version`) that day."""
        if ide and ide != CLI_IDE:
            versions = self.candidates.setdefault((day, developer), {}).setdefault(ide, set())
            if version:
                versions.add(version)

    def usage_ide(self, day: str, developer: str, ide: str) -> str:
        """The IDE of a request: its own, else the developer's only IDE that day, else unknown."""
        if ide:
            return ide
        named = self.candidates.get((day, developer), {})
        return next(iter(named)) if len(named) == 1 else UNKNOWN_IDE

    def telemetry_ide(self, day: str, developer: str, raw: str) -> str:
        """The IDE of a telemetry event whose editor is the raw 'name/version' the IDE reported."""
        name, _, version = raw.partition("/")
        name, version = name.strip().lower(), version.strip()
        named = self.candidates.get((day, developer), {})
        by_name = [ide for ide in named if ide.lower() == name]
        if by_name:
            return by_name[0]
        by_version = [ide for ide, versions in named.items() if version and version in versions]
        if len(by_version) == 1:
            return by_version[0]
        if not name and len(named) == 1:
            return next(iter(named))
        return name or UNKNOWN_IDE


def _int(value: object) -> int:
    """A sum as read: SQLite's int or None, PostgreSQL's Decimal."""
    return int(value) if value else 0  # type: ignore[call-overload]


# The splits summed by the database: per IDE and versions (not language), per IDE, per editor telemetry named.
_USAGE_BY_IDE: Final = (
    ("ide, editor_version, plugin, plugin_version, MAX(last_started_at), SUM(requests), SUM(model_calls),"
     " SUM(user_model_calls), SUM(agent_requests), SUM(prompt_tokens), SUM(completion_tokens), SUM(nano_aiu),"
     " SUM(completions_returned), SUM(lines_suggested)"),
    "day, developer, ide, editor_version, plugin, plugin_version")
_INTERACTIONS_BY_IDE: Final = ("ide, SUM(interactions)", "day, developer, ide")
_TELEMETRY_BY_EDITOR: Final = (
    "editor, SUM(shown), SUM(accepted), SUM(lines_accepted), SUM(chat_acceptances)", "day, developer, editor")
# The splits' rows as stored, for the breakdowns: summed here by language and by model and mode, which
# needs no sort (the database's GROUP BY over these keys sorts a year's ~200,000 rows first), and
# the telemetry split is read once for both.
_USAGE_ROWS: Final = ("language, completions_returned, lines_suggested", None)
_TELEMETRY_ROWS: Final = ("language, model, shown, accepted, lines_accepted, chat_acceptances", None)
_INTERACTION_ROWS: Final = ("model, mode, interactions", None)


def _read_usage(rows: Sequence[Sequence[Any]], reader: _Reader) -> None:
    for day, developer, raw_ide, ide_version, *_ in rows:  # learn every IDE (and version) used that day first
        reader.learn(day, developer, raw_ide, ide_version)
    for day, developer, raw_ide, ide_version, plugin, plugin_version, at, *values in rows:
        tally = reader.usage_tally(day, developer, raw_ide)
        if raw_ide and (ide_version or plugin_version):
            tally.versions.append((float(at), ide_version, plugin, plugin_version))
        counts = tally.counts
        for n, value in enumerate(values[:-2]):
            counts[n] += _int(value)
        tally.sums[_RETURNED] += _int(values[-2])
        tally.sums[_LINES_SUGGESTED] += _int(values[-1])


def _read_interactions(rows: Iterable[Sequence[Any]], reader: _Reader) -> None:
    for day, developer, raw_ide, count in rows:
        reader.usage_tally(day, developer, raw_ide).sums[_INTERACTIONS] += _int(count)


def _read_telemetry(rows: Iterable[Sequence[Any]], reader: _Reader) -> None:
    for day, developer, raw_editor, shown, accepted, lines, chat in rows:
        sums = reader.tally(day, developer, reader.telemetry_ide(day, developer, raw_editor)).sums
        sums[_SHOWN] += _int(shown)
        sums[_ACCEPTED] += _int(accepted)
        sums[_LINES_ACCEPTED] += _int(lines)
        sums[_CHAT] += _int(chat)


def _latest(versions: Sequence[tuple[float, str, str, str]], index: int) -> tuple[float, str, str, str] | None:
    """The latest version row whose field `index` (1: IDE version, 3: plugin version) is known."""
    known = [v for v in versions if v[index]]
    return max(known) if known else None


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _ide_day(key: tuple[str, str, str], tally: _IdeTally, from_telemetry: bool) -> IdeDay:
    day, developer, ide = key
    ide_version, plugin_version = _latest(tally.versions, 1), _latest(tally.versions, 3)
    requests, model_calls, user_model_calls, agent_requests, prompt, completion, nano_aiu = tally.counts
    sums = tally.sums
    return IdeDay(
        day=date.fromisoformat(day), developer=developer, ide=ide,
        ide_version=ide_version[1] if ide_version else "",
        ide_version_at=_moment(ide_version[0]) if ide_version else None,
        plugin=plugin_version[2] if plugin_version else "",
        plugin_version=plugin_version[3] if plugin_version else "",
        plugin_version_at=_moment(plugin_version[0]) if plugin_version else None,
        requests=requests, model_calls=model_calls, user_model_calls=user_model_calls,
        agent_requests=agent_requests, prompt_tokens=prompt, completion_tokens=completion, nano_aiu=nano_aiu,
        user_initiated_interaction_count=sums[_INTERACTIONS],
        code_generation_activity_count=sums[_SHOWN] if from_telemetry else sums[_RETURNED],
        completions_accepted=sums[_ACCEPTED], chat_acceptances=sums[_CHAT],
        loc_suggested_to_add_sum=sums[_LINES_SUGGESTED], loc_added_sum=sums[_LINES_ACCEPTED],
    )


def _shown_from_telemetry(ides: Mapping[tuple[str, str, str], _IdeTally]) -> set[_Key]:
    """The developer-days whose IDEs sent "shown" telemetry (the others fall back to returned completions)."""
    return {(day, developer) for (day, developer, _), tally in ides.items() if tally.sums[_SHOWN]}


class _Read:
    """`rollup.iter_grouped` of one period, developers and instances, inside the caller's `reading_store`."""

    def __init__(self, conn: Connection, days: DayRange, developers: Sequence[str] | None,
                 instances: Sequence[str] | None) -> None:
        self.conn, self.days, self.developers, self.instances = conn, days, developers, instances

    def __call__(self, split: Split, grouping: tuple[str, str | None]) -> Iterator[Any]:
        return iter_grouped(self.conn, split, grouping, first_day=self.days.first, last_day=self.days.last,
                            developers=self.developers, instances=self.instances,
                            order=grouping[1] or "day, developer")


def read_ide_days(conn: Connection, days: DayRange, developers: Sequence[str] | None = None,
                  instances: Sequence[str] | None = None) -> tuple[IdeDay, ...]:
    """Return each developer's figures per IDE (and CLI) for every day of `days`, sorted by (day, developer, ide).

    Only (day, developer, IDE) triples with recorded events appear.

    Args:
        conn: A read connection owned by the calling thread.
        days: The local days to read.
        developers: Only these developers; None means everyone.
        instances: Only the events these proxies recorded; None means every instance.

    Raises:
        StoreError: The database could not be read.
    """
    if developers is not None and not developers:
        return ()
    reader, read = _Reader(), _Read(conn, days, developers, instances)
    with reading_store():
        _read_usage(list(read(IDE_USAGE, _USAGE_BY_IDE)), reader)
        _read_interactions(read(IDE_INTERACTIONS, _INTERACTIONS_BY_IDE), reader)
        _read_telemetry(read(IDE_TELEMETRY, _TELEMETRY_BY_EDITOR), reader)
    from_telemetry = _shown_from_telemetry(reader.ides)
    return tuple(_ide_day(key, tally, key[:2] in from_telemetry) for key, tally in sorted(reader.ides.items()))


class _DayParts:
    """One developer-day's breakdown sums, filled in row by row."""

    __slots__ = ("chat", "interactions", "languages")

    def __init__(self) -> None:
        # language → [returned, shown, accepted, chat, lines suggested, lines accepted] (`_RETURNED` order)
        self.languages: dict[str, list[int]] = {}
        self.interactions: dict[tuple[str, str], int] = {}  # (model, mode) → user interactions
        self.chat: dict[str, int] = {}  # model → chat acceptances

    def language(self, language: str) -> list[int]:
        sums = self.languages.get(language)
        if sums is None:
            sums = self.languages[language] = [0] * 6
        return sums

    def models(self) -> tuple[ModelFigures, ...]:
        figures: list[ModelFigures] = [(model, mode, count, 0) for (model, mode), count in self.interactions.items()]
        figures.extend((model, "", 0, chat) for model, chat in self.chat.items() if chat)
        return tuple(sorted(figures))


def _day_parts(usage: Iterable[Sequence[Any]], telemetry: Iterable[Sequence[Any]],
               interactions: Iterable[Sequence[Any]]) -> dict[_Key, _DayParts]:
    """The split rows summed per (day, developer) by language, by model and mode, and by model."""
    per: dict[_Key, _DayParts] = {}
    # The rows come ordered by day and developer: look a developer-day up once per run of its rows.
    key: tuple[object, object] = (None, None)  # no row's: the first row looks its day up
    parts = _DayParts()
    for day, developer, language, count, lines in usage:
        if day != key[0] or developer != key[1]:
            key = (day, developer)
            parts = per.get((day, developer)) or per.setdefault((day, developer), _DayParts())
        sums = parts.language(language or UNKNOWN)
        sums[_RETURNED] += _int(count)
        sums[_LINES_SUGGESTED] += _int(lines)
    for day, developer, language, model, shown, accepted, lines, chat in telemetry:
        if day != key[0] or developer != key[1]:
            key = (day, developer)
            parts = per.get((day, developer)) or per.setdefault((day, developer), _DayParts())
        sums = parts.language(language or UNKNOWN)
        sums[_SHOWN] += _int(shown)
        sums[_ACCEPTED] += _int(accepted)
        sums[_LINES_ACCEPTED] += _int(lines)
        sums[_CHAT] += _int(chat)
        named = model or UNKNOWN
        parts.chat[named] = parts.chat.get(named, 0) + _int(chat)
    for day, developer, model, mode, count in interactions:
        if day != key[0] or developer != key[1]:
            key = (day, developer)
            parts = per.get((day, developer)) or per.setdefault((day, developer), _DayParts())
        by_model = parts.interactions
        model_mode = (model or UNKNOWN, mode)
        by_model[model_mode] = by_model.get(model_mode, 0) + _int(count)
    return per


def _language_figures(languages: Mapping[str, list[int]]) -> tuple[LanguageFigures, ...]:
    from_telemetry = any(sums[_SHOWN] for sums in languages.values())  # as for the day's IDEs
    return tuple((language, s[_SHOWN] if from_telemetry else s[_RETURNED], s[_ACCEPTED], s[_LINES_SUGGESTED],
                  s[_LINES_ACCEPTED], s[_CHAT])
                 for language, s in sorted(languages.items()))


def read_day_breakdowns(conn: Connection, days: DayRange, developers: Sequence[str] | None = None,
                        instances: Sequence[str] | None = None) -> tuple[DayBreakdown, ...]:
    """Return each developer's days by language and by model and mode, sorted by (day, developer).

    Only developer-days with recorded events appear; the arguments are `read_ide_days`'.

    Raises:
        StoreError: The database could not be read.
    """
    if developers is not None and not developers:
        return ()
    read = _Read(conn, days, developers, instances)
    with reading_store():
        per = _day_parts(read(IDE_USAGE, _USAGE_ROWS), read(IDE_TELEMETRY, _TELEMETRY_ROWS),
                         read(IDE_INTERACTIONS, _INTERACTION_ROWS))
    return tuple(DayBreakdown(date.fromisoformat(day), developer, _language_figures(parts.languages), parts.models())
                 for (day, developer), parts in sorted(per.items()))
