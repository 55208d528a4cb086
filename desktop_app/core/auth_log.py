"""The failed-login log, `logs/auth.log`: one line per refused attempt, for the lead and fail2ban.

Each line is UTF-8 text, in UTC, fields in this fixed order (`user` and `target` are JSON strings,
so a crafted name can neither break the line nor forge a field that comes before it)::

    2026-12-07T13:05:09Z refused source=192.0.2.7 reason=wrong_password user="alice" target="api.githubcopilot.com"

`reason` is one of `REASONS`: a login that was refused (`wrong_password`, `unknown_user`,
`disabled`, `malformed_credentials`) or a connection the proxy closed because it held the proxy
open without authenticating (`header_timeout`, `auth_timeout`, `too_many_connections`; those
lines have `user=""`). A password is never written. `resources/fail2ban/` holds a filter for
this format. The file is private to the user and rotated (1 MB, 5 old files).

Lines are written by a thread of their own: `AuthLog.refused` only queues (bounded; a flood costs
counted drops, never the proxy's time). `BurstDetector` tells when refusals come in a burst, so
the tray can say so once rather than once per line.
"""

import json
import logging
import logging.handlers
import queue
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from desktop_app.core.logging_setup import PrivateRotatingFileHandler

AUTH_LOG_NAME = "auth.log"
REASONS = ("wrong_password", "unknown_user", "disabled", "malformed_credentials",
           "header_timeout", "auth_timeout", "too_many_connections")
NAME_LIMIT = 64
TARGET_LIMIT = 255


def format_line(at: float, source: str, reason: str, user: str = "", target: str = "") -> str:
    """One line of the log (no newline); see the module docstring for the format."""
    moment = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    return (f"{moment} refused source={_token(source)} reason={reason} "
            f"user={json.dumps(user[:NAME_LIMIT])} target={json.dumps(target[:TARGET_LIMIT])}")


def _token(value: str) -> str:
    """An address as one token: nothing but what addresses are made of."""
    cleaned = "".join(c for c in value if c.isalnum() or c in ".:[]%-")
    return cleaned or "unknown"


@dataclass(frozen=True)
class Burst:
    """Many refusals in a short time: how many, over how long, from how many sources, and the busiest one."""

    count: int
    seconds: float
    sources: int
    top_source: str
    top_count: int


class BurstDetector:
    """Counts refusals in a sliding window; reports a burst once, then stays quiet for a while."""

    def __init__(self, threshold: int = 20, window: float = 60.0, quiet: float = 600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """A burst is `threshold` refusals within `window` seconds; after one, none for `quiet` seconds."""
        self._threshold, self._window, self._quiet, self._clock = threshold, window, quiet, clock
        self._recent: deque[tuple[float, str]] = deque(maxlen=threshold * 4)
        self._reported_at: float | None = None

    def add(self, source: str) -> Burst | None:
        """Count one refusal from `source`; return the burst when this one makes it one."""
        now = self._clock()
        self._recent.append((now, source))
        while self._recent and now - self._recent[0][0] > self._window:
            self._recent.popleft()
        if len(self._recent) < self._threshold:
            return None
        if self._reported_at is not None and now - self._reported_at < self._quiet:
            return None
        self._reported_at = now
        by_source = Counter(s for _, s in self._recent)
        top, top_count = by_source.most_common(1)[0]
        return Burst(len(self._recent), now - self._recent[0][0], len(by_source), top, top_count)


class _Dropping(logging.handlers.QueueHandler):
    """Queues records without ever blocking; a full queue drops and counts."""

    def __init__(self, q: "queue.Queue[logging.LogRecord]") -> None:
        super().__init__(q)
        self.dropped = 0

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1


class AuthLog:
    """The writer of `auth.log`; `refused` may be called from any thread and never blocks."""

    def __init__(self, log_dir: Path, *, max_bytes: int = 1_000_000, backups: int = 5, capacity: int = 10_000,
                 on_burst: Callable[[Burst], None] | None = None, bursts: BurstDetector | None = None) -> None:
        """Write to `log_dir/auth.log`; call `on_burst` (from the caller's thread) when refusals pile up."""
        self.path = log_dir / AUTH_LOG_NAME
        self._file = PrivateRotatingFileHandler(self.path, maxBytes=max_bytes, backupCount=backups,
                                                encoding="utf-8", delay=True)
        self._file.setFormatter(logging.Formatter("%(message)s"))
        self._queue: queue.Queue[logging.LogRecord] = queue.Queue(maxsize=capacity)
        self._enqueue = _Dropping(self._queue)
        self._listener = logging.handlers.QueueListener(self._queue, self._file)
        self._on_burst = on_burst
        self._bursts = bursts or BurstDetector()
        self._started = False

    @property
    def dropped(self) -> int:
        """Lines not written because the queue was full."""
        return self._enqueue.dropped

    def start(self) -> None:
        """Start the writing thread (creates the log folder, private)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._listener.start()
        self._started = True

    def close(self) -> None:
        """Write what is queued and stop."""
        if self._started:
            self._listener.stop()
            self._started = False
        self._file.close()

    def refused(self, source: str, reason: str, user: str = "", target: str = "", at: float | None = None) -> None:
        """Queue one line; never raises for a full queue or a failing burst listener."""
        line = format_line(time.time() if at is None else at, source, reason, user, target)
        self._enqueue.enqueue(logging.makeLogRecord({"msg": line, "levelno": logging.WARNING}))
        burst = self._bursts.add(source)
        if burst is not None and self._on_burst is not None:
            try:
                self._on_burst(burst)
            except Exception:
                logging.getLogger(__name__).exception("Could not announce a burst of refused logins.")
