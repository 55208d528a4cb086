import threading
import time
from datetime import UTC, datetime

import pytest

from desktop_app.core.dispatch import EventDispatcher
from desktop_app.core.models import UsageEvent

WAIT = 5.0


def event(number):
    return UsageEvent(
        developer="alice", started_at=datetime(2026, 1, 31, 9, 0, tzinfo=UTC), method="POST",
        host="api.githubcopilot.com", path=f"/chat/completions/{number}", host_family="api", kind="chat",
        status=200, duration_ms=12.5, ttfb_ms=3.0, request_bytes=100, response_bytes=200,
        http_version="HTTP/2.0", streamed=True)


def numbers(events):
    return [int(e.path.rsplit("/", 1)[1]) for e in events]


class Recorder:
    def __init__(self):
        self.batches = []

    def __call__(self, events):
        self.batches.append(list(events))

    @property
    def received(self):
        return [n for batch in self.batches for n in numbers(batch)]


@pytest.fixture
def dispatchers():
    created = []
    yield created
    for dispatcher in created:
        dispatcher.stop(timeout=WAIT)


def test_delivers_in_order_in_batches(dispatchers):
    recorder = Recorder()
    dispatcher = EventDispatcher([recorder], capacity=100, batch=4)
    dispatchers.append(dispatcher)
    for n in range(10):
        dispatcher.submit(event(n))
    dispatcher.start()
    dispatcher.stop(timeout=WAIT)
    assert [len(b) for b in recorder.batches] == [4, 4, 2]
    assert recorder.received == list(range(10))
    assert (dispatcher.stats.submitted, dispatcher.stats.delivered, dispatcher.stats.dropped) == (10, 10, 0)


def test_drops_and_counts_when_consumers_fall_behind(dispatchers):
    entered, release = threading.Event(), threading.Event()
    recorder = Recorder()

    def blocked(events):
        entered.set()
        assert release.wait(WAIT)
        recorder(events)

    dispatcher = EventDispatcher([blocked], capacity=3, batch=10)
    dispatchers.append(dispatcher)
    dispatcher.start()
    try:
        dispatcher.submit(event(0))
        assert entered.wait(WAIT), "the consumer never received the first event"
        started = time.monotonic()
        for n in range(1, 7):
            dispatcher.submit(event(n))  # 1-3 fill the queue, 4-6 are dropped
        assert time.monotonic() - started < 1.0, "submit must never block"
        assert dispatcher.stats.dropped == 3
    finally:
        release.set()
    dispatcher.stop(timeout=WAIT)
    assert recorder.received == [0, 1, 2, 3]
    assert (dispatcher.stats.submitted, dispatcher.stats.delivered, dispatcher.stats.dropped) == (7, 4, 3)


def test_a_failing_consumer_does_not_stop_the_others(dispatchers, caplog):
    def failing(events):
        raise RuntimeError("consumer is broken")

    recorder = Recorder()
    dispatcher = EventDispatcher([failing, recorder], batch=2)
    dispatchers.append(dispatcher)
    for n in range(5):
        dispatcher.submit(event(n))
    dispatcher.start()
    dispatcher.stop(timeout=WAIT)
    assert recorder.received == list(range(5))
    assert dispatcher.stats.consumer_failures == 3
    assert dispatcher.stats.delivered == 5
    assert any(r.exc_info and str(r.exc_info[1]) == "consumer is broken" for r in caplog.records)


def test_stop_drains_the_queue(dispatchers):
    def slow(events):
        time.sleep(0.002)
        recorder(events)

    recorder = Recorder()
    dispatcher = EventDispatcher([slow], capacity=1000, batch=8)
    dispatchers.append(dispatcher)
    dispatcher.start()
    for n in range(200):
        dispatcher.submit(event(n))
    dispatcher.stop(timeout=WAIT)
    assert recorder.received == list(range(200))
    assert dispatcher.stats.delivered == 200
    assert not [t for t in threading.enumerate() if t.name == "usage-dispatch"]


def test_stop_without_start_is_harmless():
    dispatcher = EventDispatcher([Recorder()])
    dispatcher.stop(timeout=WAIT)
    dispatcher.stop(timeout=WAIT)
