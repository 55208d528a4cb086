"""One developer's requests, grouped by interaction: the dashboard's drill-down.

Reads `usage_events` for a developer and a range of days (newest first, at most a page), and groups
the requests that share an interaction id under the request that opened it: a user's prompt in
agent mode carries its tool-loop follow-ups (X-Initiator: agent) beneath it. Requests without an
interaction id (completions, telemetry, infrastructure) stand alone.
"""

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from desktop_app.core.store.dashboard import DayRange
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.dayzone import resolve_zone
from desktop_app.core.store.engine import Connection, Target, as_database
from desktop_app.core.store.queries import NANO_AIU_PER_CREDIT, reading_store, store_time_zone

PAGE_SIZE: Final = 5_000
"""The most requests one drill-down reads (the newest of the range)."""
INITIATOR_USER: Final = "user"
_MARGIN_SECONDS: Final = 2 * 3600.0  # a day boundary moved by a time-zone rule change stays inside

_COLUMNS: Final = (
    "started_at, kind, mode, model, initiator, interaction_id, prompt_tokens, completion_tokens, nano_aiu, "
    "duration_ms, status, error, method, host, path, language, cancelled"
)


@dataclass(frozen=True)
class RequestRecord:
    """One recorded request, as the drill-down lists it."""

    started_at: datetime  # UTC
    kind: str
    mode: str
    model: str
    initiator: str
    interaction_id: str
    prompt_tokens: int | None
    completion_tokens: int | None
    ai_credits: float | None
    duration_ms: float
    status: int | None
    error: str | None
    method: str
    host: str
    path: str
    language: str
    cancelled: bool

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens (0 when the response carried no usage)."""
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)


@dataclass(frozen=True)
class Interaction:
    """A request and, when it opened an interaction, the requests that followed it (oldest first)."""

    lead: RequestRecord
    follow_ups: tuple[RequestRecord, ...] = ()

    @property
    def requests(self) -> tuple[RequestRecord, ...]:
        """The lead and its follow-ups, in time order (an agent call may precede the user's prompt)."""
        return tuple(sorted((self.lead, *self.follow_ups), key=lambda r: r.started_at))

    @property
    def tokens(self) -> int:
        """Tokens over every request of the interaction."""
        return sum(r.tokens for r in self.requests)

    @property
    def ai_credits(self) -> float | None:
        """AI credits over every request of the interaction (None when none reported any)."""
        reported = [r.ai_credits for r in self.requests if r.ai_credits is not None]
        return sum(reported) if reported else None


@dataclass(frozen=True)
class RequestPage:
    """A developer's interactions in a range, newest first; `total` says how many requests the range holds."""

    developer: str
    days: DayRange
    interactions: tuple[Interaction, ...]
    shown: int  # requests read (at most PAGE_SIZE)
    total: int  # requests in the range

    @property
    def truncated(self) -> bool:
        """Whether older requests of the range were left out."""
        return self.shown < self.total


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def _record(row: Sequence[object]) -> RequestRecord:
    (started, kind, mode, model, initiator, interaction, prompt, completion, nano_aiu, duration, status, error,
     method, host, path, language, cancelled) = row
    nano = _optional_int(nano_aiu)
    return RequestRecord(
        started_at=datetime.fromtimestamp(float(str(started)), UTC), kind=str(kind), mode=str(mode),
        model=str(model), initiator=str(initiator), interaction_id=str(interaction),
        prompt_tokens=_optional_int(prompt), completion_tokens=_optional_int(completion),
        ai_credits=None if nano is None else nano / NANO_AIU_PER_CREDIT, duration_ms=float(str(duration)),
        status=_optional_int(status), error=None if error is None else str(error), method=str(method),
        host=str(host), path=str(path), language=str(language), cancelled=bool(cancelled),
    )


def group_interactions(records: Iterable[RequestRecord]) -> list[Interaction]:
    """Group requests by interaction id under the user's request that opened it; newest interaction first.

    The lead of a group is its earliest user-initiated request (its earliest request when none was
    user-initiated); every other request of the id follows it in time order.
    """
    groups: dict[str, list[RequestRecord]] = {}
    alone: list[Interaction] = []
    for record in sorted(records, key=lambda r: r.started_at):
        if record.interaction_id:
            groups.setdefault(record.interaction_id, []).append(record)
        else:
            alone.append(Interaction(record))
    grouped = []
    for members in groups.values():
        lead = next((r for r in members if r.initiator == INITIATOR_USER), members[0])
        grouped.append(Interaction(lead, tuple(r for r in members if r is not lead)))
    return sorted([*grouped, *alone], key=lambda i: i.lead.started_at, reverse=True)


def read_requests(conn: Connection, developer: str, days: DayRange,
                  limit: int = PAGE_SIZE) -> RequestPage:
    """Read `developer`'s newest `limit` requests in `days`, grouped by interaction (blocking).

    Raises:
        StoreError: The database could not be read.
    """
    with reading_store():
        zone = resolve_zone(store_time_zone(conn))
        # The time bounds let the (developer, started_at) index find the range; `day` stays the truth.
        where = "developer = ? AND started_at >= ? AND started_at < ? AND day >= ? AND day <= ?"
        params = (developer, zone.start_of(days.first) - _MARGIN_SECONDS,
                  zone.start_of(days.last + timedelta(days=1)) + _MARGIN_SECONDS,
                  days.first.isoformat(), days.last.isoformat())
        total = int(conn.execute(f"SELECT COUNT(*) FROM usage_events WHERE {where}", params).fetchone()[0])  # noqa: S608
        rows = conn.execute(f"SELECT {_COLUMNS} FROM usage_events WHERE {where} "  # noqa: S608 - constant SQL
                            "ORDER BY started_at DESC LIMIT ?", (*params, limit)).fetchall()
    records = [_record(row) for row in rows]
    return RequestPage(developer, days, tuple(group_interactions(records)), len(records), total)


def read_requests_file(database: Target, developer: str, days: DayRange) -> RequestPage:
    """`read_requests` on the store at `database` (an empty page when nothing was recorded yet).

    Raises:
        StoreError: The database exists but could not be read.
    """
    if not as_database(database).exists():
        return RequestPage(developer, days, (), 0, 0)
    with contextlib.closing(UsageStore.reader(database)) as conn:
        return read_requests(conn, developer, days)
