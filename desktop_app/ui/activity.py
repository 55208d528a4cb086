"""Today's activity for the tray tooltip and the team dialog: who used Copilot, how much, what went wrong.

Counts come from the store, never from counting signals, so they are exact after a restart. A
refresh is a store query on a worker thread, at most once per `THROTTLE_MS` however much traffic
arrives; new developers of the day are announced once each.
"""

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.core.errors import StoreError
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.dayzone import resolve_zone
from desktop_app.core.store.engine import Connection, StoreUnavailableError, Target, as_database
from desktop_app.core.store.queries import (
    ConnectionSummary,
    DayActivity,
    activity_on,
    connection_summaries,
    developers_seen,
)
from desktop_app.core.store.spool import Backlog, spool_backlog
from desktop_app.ui.tasks import TaskRunner

logger = logging.getLogger(__name__)

THROTTLE_MS = 1000
DIAGNOSTIC_DAYS = 7


@dataclass(frozen=True)
class TodayActivity:
    """Today's requests and last request per developer, plus everyone's last request and recent diagnostics.

    `connections` holds the connection diagnostics of the last `DIAGNOSTIC_DAYS` days.
    """

    day: str
    developers: dict[str, DayActivity] = field(default_factory=dict)
    last_seen: dict[str, datetime] = field(default_factory=dict)
    connections: tuple[ConnectionSummary, ...] = ()
    backlog: Backlog | None = None  # with a shared database: what waits in the local spool
    database_problem: str = ""  # the shared database could not be read: why (the figures are then unknown)

    @property
    def requests(self) -> int:
        """All requests today."""
        return sum(a.requests for a in self.developers.values())


def read_today(database: Target, time_zone: str, now: Callable[[], float] = time.time,
               spool: Path | None = None) -> TodayActivity:
    """Query today's activity, and the spool's backlog when `spool` is given (blocking: run it on a worker)."""
    day = resolve_zone(time_zone).day_of(now())
    backlog = spool_backlog(spool) if spool is not None else None
    if not as_database(database).exists():
        return TodayActivity(day, backlog=backlog)
    try:
        with contextlib.closing(UsageStore.reader(database)) as conn:
            return TodayActivity(day, activity_on(conn, day), dict(developers_seen(conn)),
                                 _connections(conn, now()), backlog=backlog)
    except StoreUnavailableError as exc:
        if spool is None:
            raise
        return TodayActivity(day, backlog=backlog, database_problem=exc.user_message)


def _connections(conn: Connection, now: float) -> tuple[ConnectionSummary, ...]:
    since = datetime.fromtimestamp(now, UTC) - timedelta(days=DIAGNOSTIC_DAYS)
    try:
        return tuple(connection_summaries(conn, since))
    except StoreError:  # a database the running proxy has not upgraded yet
        return ()


class ActivityMonitor(QObject):
    """Keeps `today` current and says when it changed and who was seen for the first time today."""

    changed = Signal(object)  # TodayActivity
    first_request_today = Signal(str)  # a developer's name

    def __init__(self, database: Target, time_zone: str, tasks: TaskRunner, parent: QObject | None = None,
                 spool: Path | None = None) -> None:
        """Watch `database` (and the `spool` of a shared one), days in `time_zone`; idle until `refresh()`."""
        super().__init__(parent)
        self._database, self.time_zone, self._tasks = database, time_zone, tasks
        self._spool = spool
        self.today = TodayActivity("")
        self._timer = QTimer(self, singleShot=True, interval=THROTTLE_MS)
        self._timer.timeout.connect(self.refresh)
        self._in_flight = False
        self._again = False

    def schedule(self) -> None:
        """Ask for a refresh soon (called for every recorded batch; coalesced)."""
        if not self._timer.isActive():
            self._timer.start()

    def refresh(self) -> None:
        """Query now, on a worker (one query at a time; a request during one runs after it)."""
        if self._in_flight:
            self._again = True
            return
        self._in_flight = True
        database, zone, spool = self._database, self.time_zone, self._spool
        self._tasks.submit(lambda: read_today(database, zone, spool=spool), self._on_read, self._on_failed,
                           name="today")

    def _on_read(self, today: TodayActivity) -> None:
        self._in_flight = False
        known = set(self.today.developers) if today.day == self.today.day else None
        self.today = today
        self.changed.emit(today)
        if known is not None:
            for name in sorted(set(today.developers) - known):
                self.first_request_today.emit(name)
        if self._again:
            self._again = False
            self.schedule()

    def _on_failed(self, error: BaseException) -> None:
        # The tray keeps its last figures; the recorder itself reports storage problems.
        self._in_flight = False
        logger.warning("Could not read today's activity: %s", error)
