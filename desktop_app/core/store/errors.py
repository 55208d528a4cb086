"""The failed requests of a period, counted by status, host and developer: what the errors card opens.

An upstream outage (5xx for everyone), a quota exhaustion (429 for one or a few developers) and one
developer's broken set-up (401/407, TLS or connection errors for one name) look different here.
Read from the raw events through the partial index `usage_events_errors` (schema migration 4), so
a year is read as fast as a day.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from desktop_app.core.store.engine import Connection
from desktop_app.core.store.queries import reading_store
from desktop_app.core.store.rollup import restriction
from desktop_app.core.store.schema import FAILED

if TYPE_CHECKING:
    from desktop_app.core.store.dashboard import DayRange

MAX_GROUPS: Final = 500
"""At most this many (status, error, host, developer) groups are read, the largest first."""

_SQL: Final = (
    "SELECT status, COALESCE(error, ''), host, developer, COUNT(*), MAX(started_at) FROM usage_events"  # noqa: S608
    f" WHERE day >= ? AND day <= ? AND {FAILED}{{developers}}"
    " GROUP BY status, COALESCE(error, ''), host, developer ORDER BY COUNT(*) DESC, developer LIMIT ?"
)


@dataclass(frozen=True)
class ErrorCount:
    """How many requests to `host` by `developer` failed the same way in the period."""

    status: int | None  # None: no response arrived
    error: str  # the transport error, '' when the server answered
    host: str
    developer: str
    count: int
    last_at: datetime  # UTC

    @property
    def cause(self) -> str:
        """What this kind of failure usually means, in words."""
        if self.status is None:
            return "no answer: connection or TLS failed (network, proxy set-up, or the upstream is down)"
        if self.status == 429:
            return "rate limit or quota exhausted"
        if self.status in (401, 403, 407):
            return "refused: credentials, licence or set-up"
        if self.status >= 500:
            return "upstream failure (GitHub Copilot's side)"
        return "request refused by the upstream"

    @property
    def status_text(self) -> str:
        """'429', or 'no response' (with the error) when none arrived."""
        if self.status is None:
            return "no response"
        return str(self.status)


def error_counts(conn: Connection, days: "DayRange", developers: Sequence[str] | None = None,
                 instances: Sequence[str] | None = None) -> tuple[ErrorCount, ...]:
    """The period's failed requests (of `instances`' events; None: all) by status, error, host and developer.

    Largest first.

    Raises:
        StoreError: The database could not be read.
    """
    where, params = restriction(developers, instances)
    sql = _SQL.format(developers=where)
    with reading_store():
        rows = conn.execute(sql, (days.first.isoformat(), days.last.isoformat(), *params, MAX_GROUPS)).fetchall()
    return tuple(ErrorCount(status, error, host, developer, int(count), datetime.fromtimestamp(last, UTC))
                 for status, error, host, developer, count, last in rows)

