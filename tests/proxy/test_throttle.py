import pytest

from desktop_app.proxy.auth import FailureThrottle

SOURCE = "192.0.2.10"


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


def fail(throttle, source, times):
    """Attempt like the authenticator does: ask for the delay, then record the failure."""
    delays = []
    for _ in range(times):
        delays.append(throttle.delay_for(source))
        throttle.record_failure(source)
    return delays


def test_first_failures_are_free_then_delays_grow_to_the_cap(clock):
    throttle = FailureThrottle(free_attempts=5, window=60.0, max_delay=2.0, clock=clock)
    delays = fail(throttle, SOURCE, 12)
    assert delays[:5] == [0.0] * 5
    assert delays[5:] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0])


def test_delay_is_capped_even_after_many_failures(clock):
    throttle = FailureThrottle(max_delay=5.0, clock=clock)
    delays = fail(throttle, SOURCE, 200)
    assert max(delays) == 5.0
    assert delays[-1] == 5.0
    assert delays == sorted(delays)


def test_sources_are_counted_separately(clock):
    throttle = FailureThrottle(clock=clock)
    fail(throttle, SOURCE, 10)
    assert throttle.delay_for(SOURCE) > 0
    assert throttle.delay_for("192.0.2.11") == 0.0


def test_failures_expire_after_the_window(clock):
    throttle = FailureThrottle(window=60.0, clock=clock)
    fail(throttle, SOURCE, 8)
    clock.now += 59
    assert throttle.delay_for(SOURCE) > 0
    clock.now += 2
    assert throttle.delay_for(SOURCE) == 0.0
    assert fail(throttle, SOURCE, 5) == [0.0] * 5


def test_window_slides(clock):
    throttle = FailureThrottle(free_attempts=5, window=60.0, clock=clock)
    fail(throttle, SOURCE, 3)
    clock.now += 40
    fail(throttle, SOURCE, 3)
    assert throttle.delay_for(SOURCE) == pytest.approx(0.2)
    clock.now += 30  # the first three are older than the window now
    assert throttle.delay_for(SOURCE) == 0.0


def test_forget_clears_a_source(clock):
    throttle = FailureThrottle(clock=clock)
    fail(throttle, SOURCE, 10)
    fail(throttle, "192.0.2.11", 10)
    throttle.forget(SOURCE)
    assert throttle.delay_for(SOURCE) == 0.0
    assert throttle.delay_for("192.0.2.11") > 0
    throttle.forget("198.51.100.1")  # unknown: nothing happens


def test_tracked_sources_are_bounded(clock):
    throttle = FailureThrottle(max_sources=3, clock=clock)
    fail(throttle, "attacker", 10)
    for n in range(3):
        fail(throttle, f"10.0.0.{n}", 1)
    assert throttle.delay_for("attacker") == 0.0  # the oldest source was evicted
    for n in range(1000):
        throttle.record_failure(f"10.1.{n // 256}.{n % 256}")
    assert len(throttle._failures) == 3


def test_the_most_recently_failing_source_is_kept(clock):
    throttle = FailureThrottle(max_sources=3, clock=clock)
    for source in ("attacker", "10.0.0.1", "10.0.0.2", "attacker", "10.0.0.3"):
        fail(throttle, source, 6)
    assert throttle.delay_for("attacker") > 0
    assert throttle.delay_for("10.0.0.2") > 0
    assert throttle.delay_for("10.0.0.3") > 0
    assert throttle.delay_for("10.0.0.1") == 0.0  # least recently failing: evicted
