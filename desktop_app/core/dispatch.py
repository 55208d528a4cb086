"""Hands items from the proxy thread to slower consumers on a thread of their own.

`EventDispatcher.submit` never blocks: it puts the event on a bounded queue and, when the queue
is full because consumers fell behind, drops it and counts the drop, so memory stays bounded and
the proxy never waits. A consumer that raises is logged and counted; the others still run.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, cast

logger = logging.getLogger(__name__)

type Consumer[T] = Callable[[Sequence[T]], None]
_STOP: Final = object()


@dataclass
class DispatchStats:
    """Counters a person can read to see whether anything was lost."""

    submitted: int = 0
    delivered: int = 0
    dropped: int = 0
    consumer_failures: int = 0


class EventDispatcher[T]:
    """A bounded queue drained in batches by one worker thread."""

    def __init__(self, consumers: Sequence[Consumer[T]], capacity: int = 10_000, batch: int = 256,
                 on_stop: Callable[[], None] | None = None, linger: float = 0.1) -> None:
        """Deliver batches of up to `batch` items to each consumer, in order; `on_stop` runs last, on the worker.

        After the first item of a batch the worker waits up to `linger` seconds for more, so a busy
        proxy costs one wake-up and one transaction per batch rather than per request.
        """
        self._consumers = list(consumers)
        self._linger = linger
        self._on_stop = on_stop
        self._capacity = capacity
        self._queue: queue.Queue[object] = queue.Queue(maxsize=capacity)
        self._batch = batch
        self._thread: threading.Thread | None = None
        self.stats = DispatchStats()

    def start(self) -> None:
        """Start the worker thread."""
        self._thread = threading.Thread(target=self._run, name="usage-dispatch", daemon=True)
        self._thread.start()

    @property
    def backlog(self) -> float:
        """How full the queue is, from 0.0 (empty) to 1.0 (full: new items are dropped)."""
        return self._queue.qsize() / self._capacity

    def submit(self, item: T) -> None:
        """Queue `item` without blocking; count it as dropped if the queue is full."""
        self.stats.submitted += 1
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.stats.dropped += 1

    def stop(self, timeout: float = 10.0) -> None:
        """Deliver what is queued, then stop the worker."""
        if self._thread is None:
            return
        self._queue.put(_STOP, timeout=timeout)
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        try:
            self._drain()
        finally:
            if self._on_stop is not None:
                self._on_stop()

    def _drain(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            deadline = time.monotonic() + self._linger
            while len(batch) < self._batch:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is _STOP:
                    self._deliver(batch)
                    return
                batch.append(item)
            self._deliver(batch)

    def _deliver(self, items: list[object]) -> None:
        events = cast("list[T]", items)
        for consumer in self._consumers:
            try:
                consumer(events)
            except Exception:
                self.stats.consumer_failures += 1
                logger.exception("A usage consumer failed; the proxy keeps running.")
        self.stats.delivered += len(events)
