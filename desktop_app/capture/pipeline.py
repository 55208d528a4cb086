"""The writer thread's work: analyse captured exchanges, store them, write content, notify.

Called by the dispatcher with batches of `Exchange`s, `ConnectionEvent`s (refused logins, failed
TLS handshakes, passed connection checks) and `RecordBatch`es already mapped elsewhere (the
OpenTelemetry receiver's). A failing analysis, a full disk or a locked
database costs a counted record, never the proxy: the store is retried with the next batch
(bounded), and what cannot be kept is counted as unrecorded.
"""

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from desktop_app.capture.analysis import analyze, unparsed_batch
from desktop_app.capture.exchange import Exchange
from desktop_app.core.models import ConnectionEvent, RecordBatch, UsageEvent
from desktop_app.core.store.content_log import ContentLog
from desktop_app.core.store.spool import RecordingStore

logger = logging.getLogger(__name__)

UsageListener = Callable[[Sequence[UsageEvent]], None]
MAX_PENDING = 5_000
PURGE_INTERVAL = 3600.0
ROLLUP_INTERVAL = 60.0


@dataclass
class PipelineStats:
    """What was analysed, stored, and lost."""

    analysed: int = 0
    unparsed: int = 0
    stored: int = 0
    unrecorded: int = 0
    content_files: int = 0


@dataclass(frozen=True)
class Retention:
    """How long content files and events are kept."""

    content_days: int
    event_days: int


def with_event_ids(batch: RecordBatch) -> RecordBatch:
    """Give each event without a source id a globally unique one, once, before the first attempt to store it.

    Writes are upserts by that id, so a batch retried after a lost connection, or replayed from the
    spool into a shared database, adds nothing it already added. A batch whose events all have one is
    returned as it is.
    """
    if all(e.source_id for e in batch.usage) and all(e.source_id for e in batch.telemetry):
        return batch
    usage = tuple(e if e.source_id else replace(e, source_id=uuid.uuid4().hex) for e in batch.usage)
    telemetry = tuple(e if e.source_id else replace(e, source_id=uuid.uuid4().hex) for e in batch.telemetry)
    return replace(batch, usage=usage, telemetry=telemetry)


class RecordingPipeline:
    """Consumer of exchange batches, running on the dispatcher's thread."""

    def __init__(self, open_store: Callable[[], RecordingStore] | None, content: ContentLog | None,
                 retention: Retention, listeners: Sequence[UsageListener] = (),
                 dropped: Callable[[], int] = lambda: 0, *,
                 on_problem: Callable[[str], None] | None = None) -> None:
        """Open the store lazily, on the writer thread that will own its connection.

        `dropped` reports how many exchanges the queue refused; like the unparsed and unrecorded
        counts it is added to the store's counters, so `copilot-insight status` can show it.
        """
        self._open_store = open_store
        self._dropped = dropped
        self._saved_counts = {"unparsed": 0, "unrecorded": 0, "dropped": 0}
        self._store: RecordingStore | None = None
        self._content = content
        self._retention = retention
        self._listeners = list(listeners)
        self._pending: list[RecordBatch] = []
        self._on_problem = on_problem
        self._failing = False
        self._purged_at = 0.0
        self._refreshed_at = time.monotonic()
        self.stats = PipelineStats()

    def __call__(self, items: Sequence[Exchange | ConnectionEvent | RecordBatch]) -> None:
        """Analyse, store and announce one batch of exchanges, connection events and record batches.

        Listeners hear about every stored batch, with the usage events it held (none when it held only
        connection events), so a GUI can refresh what it shows of either.
        """
        batches = [self._analyse(item) if isinstance(item, Exchange)
                   else item if isinstance(item, RecordBatch) else RecordBatch(connections=(item,))
                   for item in items]
        self._write(batches)
        self._write_content(batches)
        events = [usage for batch in batches for usage in batch.usage]
        for listener in self._listeners:
            listener(events)
        self._purge_if_due()

    def _analyse(self, exchange: Exchange) -> RecordBatch:
        self.stats.analysed += 1
        try:
            batch = analyze(exchange, record_content=self._content is not None, event_id=uuid.uuid4().hex)
        except Exception:  # a parser bug must not lose the request: keep what the capture says
            logger.exception("Could not analyse a %s request to %s.", exchange.method, exchange.host)
            batch = unparsed_batch(exchange)
        if not batch.usage or batch.usage[0].parse_status != "ok":
            self.stats.unparsed += 1
        return with_event_ids(batch)

    def _write(self, batches: list[RecordBatch]) -> None:
        if self._open_store is None:
            return
        pending = [*self._pending, *batches]
        counts = self._unsaved_counts()
        try:
            if self._store is None:
                self._store = self._open_store()
            self._store.write_many(pending, list(counts.items()))
        except Exception as exc:  # noqa: BLE001 - disk full, locked, damaged: keep for the next batch
            kept = pending[-MAX_PENDING:]
            lost = len(pending) - len(kept)
            self.stats.unrecorded += lost
            self._pending = kept
            logger.error("Could not store %d usage record(s) (%s); will retry.", len(kept), exc)  # noqa: TRY400
            self._report_problem(exc)
            return
        self.stats.stored += sum(len(b.usage) for b in pending)
        self._pending = []
        self._counted(counts)
        if self._failing:
            self._failing = False
            logger.warning("Usage is being recorded again.")
        try:
            self._refresh_today_if_due()
        except Exception as exc:  # noqa: BLE001 - retried after the next write
            logger.warning("Could not update today's summary (%s); will retry.", exc)

    def _report_problem(self, exc: Exception) -> None:
        first, self._failing = not self._failing, True
        if not first or self._on_problem is None:
            return
        reason = getattr(exc, "user_message", "") or str(exc)
        try:
            self._on_problem(f"Copilot requests are forwarded but not recorded: {reason} Recording resumes by "
                             "itself once the database can be written again.")
        except Exception:
            logger.exception("Could not report a recording problem.")

    def _refresh_today_if_due(self) -> None:
        """Summarise today now and then, so dashboards rarely compute it from raw events."""
        now = time.monotonic()
        if self._store is not None and now - self._refreshed_at >= ROLLUP_INTERVAL:
            self._refreshed_at = now
            self._store.refresh_rollups()

    def _unsaved_counts(self) -> dict[str, int]:
        """What was lost since the counts were last stored: {counter name: delta}, without zeros."""
        current = {"unparsed": self.stats.unparsed, "unrecorded": self.stats.unrecorded, "dropped": self._dropped()}
        return {name: value - self._saved_counts[name] for name, value in current.items()
                if value != self._saved_counts[name]}

    def _counted(self, counts: dict[str, int]) -> None:
        for name, delta in counts.items():
            self._saved_counts[name] += delta

    def _save_counts(self) -> None:
        """Add what was lost since the last save to the store's counters (at close: no batch carries them)."""
        if self._store is not None and (counts := self._unsaved_counts()):
            self._store.write_many((), list(counts.items()))
            self._counted(counts)

    def _write_content(self, batches: list[RecordBatch]) -> None:
        if self._content is None:
            return
        for record in (r for batch in batches for r in batch.content):
            try:
                self._content.write(record)
                self.stats.content_files += 1
            except OSError as exc:
                logger.error("Could not write a content file: %s.", exc.strerror)  # noqa: TRY400

    def _purge_if_due(self) -> None:
        now = time.monotonic()
        if self._store is None or (self._purged_at and now - self._purged_at < PURGE_INTERVAL):
            return  # no store yet: purge as soon as one is open
        self._purged_at = now
        today = datetime.now(UTC)
        try:
            if self._content is not None:
                self._content.purge(today - timedelta(days=self._retention.content_days))
            if self._store is not None:
                self._store.purge(today - timedelta(days=self._retention.event_days))
        except Exception:
            logger.exception("Retention purge failed; will try again later.")

    def close(self) -> None:
        """Save the loss counters and close the store (on the writer thread that owns it)."""
        if self._pending:  # the store never took them: say so, and count them as lost
            lost = sum(len(b.usage) for b in self._pending)
            self.stats.unrecorded += lost
            self._pending = []
            logger.error("%d usage record(s) could not be stored before the proxy stopped.", lost)
        if self._store is not None:
            try:
                self._save_counts()
            except Exception:  # noqa: BLE001 - closing must not fail on a full disk
                logger.warning("Could not save the recording counters.")
            self._store.close()
            self._store = None
