"""Per-day, per-developer, per-IDE figures, read from the daily summary's splits by IDE.

GitHub's per-user report (`users-1-day`, copilot-protocol.md §6.2) splits each day by IDE
(`totals_by_ide`), by feature, language and model. `read_ide_days` reads those splits
(`rollup.IDE_USAGE`, `IDE_INTERACTIONS`, `IDE_TELEMETRY`: their SQL, kept in the daily summary) with
the same definitions as `rollup.compute_day_totals` (what each figure counts: `core.figures`), so that,
for every developer and day, the IDEs' figures add up exactly to the day's `DailyUsage`. Where a
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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final, NamedTuple

from desktop_app.core.store.dashboard import DayRange
from desktop_app.core.store.engine import Connection
from desktop_app.core.store.queries import reading_store
from desktop_app.core.store.rollup import CLI_IDE, IDE_INTERACTIONS, IDE_TELEMETRY, IDE_USAGE, Split, read_split

__all__ = ["CELL_CHAT", "CELL_COMPLETION", "CLI_IDE", "UNKNOWN_IDE", "IdeCell", "IdeDay", "read_ide_days"]

UNKNOWN_IDE: Final = "unknown"
"""The `IdeDay.ide` of requests no IDE can be attributed to."""
CELL_COMPLETION: Final = "completion"
"""An `IdeCell` of inline code completions (ghost text)."""
CELL_CHAT: Final = "chat"
"""An `IdeCell` of chat: user-initiated interactions, or chat code blocks accepted (mode unknown)."""


class IdeCell(NamedTuple):
    """One IDE's figures for one kind of activity, mode, language and model (a developer's day).

    A named tuple, not a dataclass: a year's report builds a few hundred thousand of them.

    Attributes:
        kind: `CELL_COMPLETION` or `CELL_CHAT`.
        mode: The chat mode of the interactions (ask, edit, agent, inline, cli, ...); '' for
            completions and for chat acceptances (telemetry does not say the mode).
        language: The language of completions and chat acceptances; '' for interactions.
        model: The model of interactions and chat acceptances; '' for completions.
        user_initiated_interaction_count: User-initiated interactions.
        code_generation_activity_count: Suggestions shown (or returned, see the module docstring).
        code_acceptance_activity_count: Suggestions accepted, or chat code blocks inserted/copied/applied.
        loc_suggested_to_add_sum: Lines of the returned completions.
        loc_added_sum: Lines of the accepted suggestions.
    """

    kind: str
    mode: str
    language: str
    model: str
    user_initiated_interaction_count: int = 0
    code_generation_activity_count: int = 0
    code_acceptance_activity_count: int = 0
    loc_suggested_to_add_sum: int = 0
    loc_added_sum: int = 0


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
        cells: The figures by activity, mode, language and model (sorted).
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
    cells: tuple[IdeCell, ...] = ()

    @property
    def is_cli(self) -> bool:
        """True for Copilot CLI traffic (reported in `totals_by_cli`, not `totals_by_ide`)."""
        return self.ide == CLI_IDE

    def _sum(self, name: str, kind: str | None = None) -> int:
        return sum(getattr(c, name) for c in self.cells if kind is None or c.kind == kind)

    @property
    def user_initiated_interaction_count(self) -> int:
        """User-initiated interactions (sums to `DailyUsage.user_interactions` over a day's IDEs)."""
        return self._sum("user_initiated_interaction_count")

    @property
    def code_generation_activity_count(self) -> int:
        """Completions shown (sums to `DailyUsage.completions_shown`)."""
        return self._sum("code_generation_activity_count")

    @property
    def code_acceptance_activity_count(self) -> int:
        """Completions accepted plus chat acceptances."""
        return self._sum("code_acceptance_activity_count")

    @property
    def completions_accepted(self) -> int:
        """Distinct accepted suggestions (sums to `DailyUsage.completions_accepted`)."""
        return self._sum("code_acceptance_activity_count", CELL_COMPLETION)

    @property
    def chat_acceptances(self) -> int:
        """Chat code blocks inserted, copied or applied (sums to `DailyUsage.chat_acceptances`)."""
        return self._sum("code_acceptance_activity_count", CELL_CHAT)

    @property
    def loc_suggested_to_add_sum(self) -> int:
        """Lines of the returned completions (sums to `DailyUsage.lines_suggested`)."""
        return self._sum("loc_suggested_to_add_sum")

    @property
    def loc_added_sum(self) -> int:
        """Lines accepted (sums to `DailyUsage.lines_accepted`)."""
        return self._sum("loc_added_sum")


# --- reading -------------------------------------------------------------------------------------------

_Key = tuple[str, str]  # (day, developer)
_CellKey = tuple[str, str, str, str]  # (kind, mode, language, model)


@dataclass(slots=True)
class _CellTally:
    interactions: int = 0
    returned: int = 0
    shown: int = 0
    accepted: int = 0
    lines_suggested: int = 0
    lines_accepted: int = 0


@dataclass
class _IdeTally:
    versions: list[tuple[float, str, str, str]] = field(default_factory=list)  # (at, ide version, plugin, version)
    counts: list[int] = field(default_factory=lambda: [0] * 7)  # requests ... nano_aiu, in IdeDay order
    cells: dict[_CellKey, _CellTally] = field(default_factory=dict)

    def cell(self, key: _CellKey) -> _CellTally:
        cells = self.cells
        found = cells.get(key)
        if found is None:
            found = cells[key] = _CellTally()
        return found


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


def _read_usage(rows: Sequence[Sequence[Any]], reader: _Reader) -> None:
    learnt: set[tuple[str, str, str, str]] = set()
    for row in rows:  # (day, developer, IDE, language, IDE version, ...): an IDE's version once per day
        if (seen := (row[0], row[1], row[2], row[4])) not in learnt:
            learnt.add(seen)
            reader.learn(*seen)
    for day, developer, raw_ide, language, ide_version, plugin, plugin_version, at, *values in rows:
        tally = reader.usage_tally(day, developer, raw_ide)
        if raw_ide and (ide_version or plugin_version):
            tally.versions.append((float(at), ide_version, plugin, plugin_version))
        counts = tally.counts  # summed in place: a year holds a few hundred thousand rows
        for n, value in enumerate(values[:-2]):
            if value:
                counts[n] += int(value)
        returned, lines = int(values[-2] or 0), int(values[-1] or 0)
        if returned or lines:
            cell = tally.cell((CELL_COMPLETION, "", language, ""))
            cell.returned += returned
            cell.lines_suggested += lines


def _read_interactions(rows: Iterable[Sequence[Any]], reader: _Reader) -> None:
    known = reader.by_raw_ide
    for day, developer, raw_ide, mode, model, count in rows:
        tally = known.get((day, developer, raw_ide)) or reader.usage_tally(day, developer, raw_ide)
        tally.cell((CELL_CHAT, mode, "", model)).interactions += int(count)


def _read_telemetry(rows: Iterable[Sequence[Any]], reader: _Reader) -> None:
    for day, developer, raw_editor, language, model, shown, accepted, lines, chat in rows:
        tally = reader.tally(day, developer, reader.telemetry_ide(day, developer, raw_editor))
        if shown or accepted or lines:
            cell = tally.cell((CELL_COMPLETION, "", language, ""))
            cell.shown += int(shown)
            cell.accepted += int(accepted)
            cell.lines_accepted += int(lines or 0)
        if chat:
            tally.cell((CELL_CHAT, "", language, model)).accepted += int(chat)


def _latest(versions: Sequence[tuple[float, str, str, str]], index: int) -> tuple[float, str, str, str] | None:
    """The latest version row whose field `index` (1: IDE version, 3: plugin version) is known."""
    known = [v for v in versions if v[index]]
    return max(known) if known else None


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _cells(tally: _IdeTally, from_telemetry: bool) -> tuple[IdeCell, ...]:
    return tuple(
        IdeCell(kind, mode, language, model, c.interactions, c.shown if from_telemetry else c.returned,
                c.accepted, c.lines_suggested, c.lines_accepted)
        for (kind, mode, language, model), c in sorted(tally.cells.items())
    )


def _ide_day(key: tuple[str, str, str], tally: _IdeTally, from_telemetry: bool) -> IdeDay:
    day, developer, ide = key
    ide_version, plugin_version = _latest(tally.versions, 1), _latest(tally.versions, 3)
    requests, model_calls, user_model_calls, agent_requests, prompt, completion, nano_aiu = tally.counts
    return IdeDay(
        day=date.fromisoformat(day), developer=developer, ide=ide,
        ide_version=ide_version[1] if ide_version else "",
        ide_version_at=_moment(ide_version[0]) if ide_version else None,
        plugin=plugin_version[2] if plugin_version else "",
        plugin_version=plugin_version[3] if plugin_version else "",
        plugin_version_at=_moment(plugin_version[0]) if plugin_version else None,
        requests=requests, model_calls=model_calls, user_model_calls=user_model_calls,
        agent_requests=agent_requests, prompt_tokens=prompt, completion_tokens=completion, nano_aiu=nano_aiu,
        cells=_cells(tally, from_telemetry),
    )


def _shown_from_telemetry(ides: Mapping[tuple[str, str, str], _IdeTally]) -> set[_Key]:
    """The developer-days whose IDEs sent "shown" telemetry (the others fall back to returned completions)."""
    return {(day, developer) for (day, developer, _), tally in ides.items()
            if any(cell.shown for cell in tally.cells.values())}


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
    reader = _Reader()
    with reading_store():
        def split(which: Split) -> list[Any]:
            return read_split(conn, which, days.first, days.last, developers, instances=instances)

        _read_usage(split(IDE_USAGE), reader)
        _read_interactions(split(IDE_INTERACTIONS), reader)
        _read_telemetry(split(IDE_TELEMETRY), reader)
    from_telemetry = _shown_from_telemetry(reader.ides)
    return tuple(_ide_day(key, tally, key[:2] in from_telemetry) for key, tally in sorted(reader.ides.items()))
