"""Soak benchmarks: ten minutes of a team's traffic through `serve`, and through the tray with its dashboard open.

Run them on their own (never part of the default run; each takes `SOAK_SECONDS`, 600 unless set)::

    python -m pytest -p no:cacheprovider -m benchmark -s tests/benchmarks/test_soak_benchmark.py

The load: 20 developers, each on keep-alive tunnels of their own (raw TLS sockets in a spawned process, so
the load side stays cheap), each sending a request every 0.4 s (together about 50 req/s); every fifth is a
streamed chat answer (10 SSE events 50 ms apart), the rest small completions. The fake Copilot upstream is
a process of its own.

1. `serve`: 0 failed requests; the proxy's resident memory after warm-up stays within 10% of its value at
   the end of warm-up; the writer's backlog (requests answered but not yet in the database) stays bounded
   and every request ends up recorded, none dropped.
2. The tray (in this process, offscreen) with the dashboard open: 0 failed requests; this process's memory
   flat within 10% after warm-up; the GUI thread never blocked for more than 100 ms (a 10 ms precise
   heartbeat timer measures every gap; the time the kernel kept the runnable GUI thread waiting for a CPU,
   which on a loaded machine is not the application's doing, is taken off each gap and reported apart).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import queue
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.benchmarks.test_proxy_benchmark import (
    CHAT_BODY,
    CHAT_HEADERS,
    CHAT_HOST,
    COMPLETION_HOST,
    ROOT,
    Connection,
    Response,
    Target,
    _child_env,
    _completion,
    _free_port,
    running,
)

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
WARM_UP = min(120.0, SOAK_SECONDS / 5)
pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(int(SOAK_SECONDS) + 600)]

DEVELOPERS, PERIOD, STREAM_EVERY = 20, 0.4, 5
SOAK_CHAT_PATH = "/chat/completions?events=10&interval=0.05"
SAMPLE_EVERY = 10.0
RSS_GROWTH = 0.10
MAX_BACKLOG = 2_000
GUI_BLOCK_MS = 100.0
NAMES = tuple(f"dev{n:02d}" for n in range(1, DEVELOPERS + 1))


# --- the load: one spawned process, a thread per developer ---------------------------------------------------


@dataclass(frozen=True)
class LoadReport:
    sent: int
    failed: int
    errors: tuple[str, ...] = ()
    slowest: float = 0.0
    final: bool = False


@dataclass
class _Tally:
    sent: int = 0
    failed: int = 0
    slowest: float = 0.0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, error: str | None) -> None:
        with self.lock:
            self.sent += 1
            self.slowest = max(self.slowest, seconds)
            if error is not None:
                self.failed += 1
                if len(self.errors) < 20:
                    self.errors.append(error)


def _chat(connection: Connection) -> Response:
    response = connection.post(SOAK_CHAT_PATH, CHAT_BODY, CHAT_HEADERS)
    if response.status != 200 or not response.body.endswith(b"data: [DONE]\n\n"):
        raise AssertionError(f"stream failed: {response.status} {response.body[-200:]!r}")
    return response


def _developer(target: Target, phase: float, stop: threading.Event, deadline: float, tally: _Tally) -> None:
    """One developer's IDE: completions on one tunnel, chat on another, a request every PERIOD."""
    connections: dict[str, Connection] = {}
    n = 0
    next_at = time.monotonic() + phase
    while not stop.is_set() and time.monotonic() < deadline:
        stop.wait(max(0.0, next_at - time.monotonic()))
        next_at += PERIOD
        n += 1
        host = CHAT_HOST if n % STREAM_EVERY == 0 else COMPLETION_HOST
        started = time.monotonic()
        error = None
        try:
            connection = connections.get(host)
            if connection is None:
                connection = connections[host] = Connection(target, host)
            response = _chat(connection) if host == CHAT_HOST else _completion(connection)
            if not response.keep_alive:  # the upstream (hypercorn: after 1,000 requests) closes; so does the proxy
                connections.pop(host).close()
        except Exception as exc:  # counted: the benchmark's figure is the number of failures
            error = f"{type(exc).__name__}: {exc}"
            stale = connections.pop(host, None)
            if stale is not None:
                stale.close()
        tally.add(time.monotonic() - started, error)
    for connection in connections.values():
        connection.close()


def team_load(targets: list[Target], seconds: float, reports: Queue[LoadReport], stop: Event) -> None:
    """Run every developer for `seconds`; report the running totals every few seconds, then the final ones."""
    tally = _Tally()
    done = threading.Event()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=_developer, args=(t, i * PERIOD / len(targets), done, deadline, tally),
                                daemon=True) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        if stop.wait(5.0):
            done.set()
        reports.put(LoadReport(tally.sent, tally.failed, tuple(tally.errors), tally.slowest))
        for thread in threads:
            thread.join(0.01)
    reports.put(LoadReport(tally.sent, tally.failed, tuple(tally.errors), tally.slowest, final=True))


class Load:
    """The load process, its latest totals, and a clean stop."""

    def __init__(self, targets: list[Target], seconds: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._reports: Queue[LoadReport] = context.Queue()
        self._stop = context.Event()
        self.latest = LoadReport(0, 0)
        self.process = context.Process(target=team_load, args=(targets, seconds, self._reports, self._stop),
                                       name="team-load", daemon=True)
        self.process.start()

    def poll(self) -> LoadReport:
        with contextlib.suppress(queue.Empty):
            while True:
                self.latest = self._reports.get_nowait()
        return self.latest

    def finish(self, timeout: float = 60.0) -> LoadReport:
        deadline = time.monotonic() + timeout
        while not self.latest.final and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                self.latest = self._reports.get(timeout=1.0)
        self._stop.set()
        self.process.join(15)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        return self.latest


# --- figures ---------------------------------------------------------------------------------------------


def _growth(samples: list[float]) -> float:
    """How far the samples after warm-up rose above the first of them (0.05 = 5%)."""
    return max(samples) / samples[0] - 1 if samples else 0.0


def _rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
    assert match is not None
    return int(match[1]) / 1024


def _stored(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as conn:
        return int(conn.execute("SELECT count(*) FROM usage_events").fetchone()[0])


def _upstream(stack: contextlib.ExitStack, tmp_path: Path) -> tuple[int, Path]:
    pki = tmp_path / "pki"
    pki.mkdir()
    _process, ready = stack.enter_context(running(
        "upstream", [sys.executable, "-m", "tests.fakes.upstream", "--dir", str(pki), "--port", "0"],
        r"READY (\d+)", cpu=None))
    return int(ready[1]), pki / "ca.pem"


def _add_developers(env: dict[str, str]) -> dict[str, str]:
    passwords = {}
    for name in NAMES:
        added = subprocess.run([sys.executable, "-m", "desktop_app", "users", "add", name], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=60, check=False)
        assert added.returncode == 0, added.stderr
        shown = subprocess.run([sys.executable, "-m", "desktop_app", "users", "show", name, "--password-only"],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert shown.returncode == 0, shown.stderr
        passwords[name] = shown.stdout.strip()
    return passwords


# --- 1. serve ----------------------------------------------------------------------------------------------


def test_serve_soak(tmp_path: Path) -> None:
    with contextlib.ExitStack() as stack:
        upstream_port, upstream_ca = _upstream(stack, tmp_path)
        data, secret = tmp_path / "data", tmp_path / "secret"
        env = _child_env(COPILOT_INSIGHT_HOME=str(data), COPILOT_INSIGHT_SECRET_FILE=str(secret))
        passwords = _add_developers(env)
        port = _free_port()
        serve, _ = stack.enter_context(running(
            "serve", [sys.executable, "-m", "desktop_app", "serve", "--listen-host", "127.0.0.1",
                      "--listen-port", str(port), "-s", str(ROOT / "tests" / "fakes" / "redirect.py"),
                      "--set", f"fake_upstream=127.0.0.1:{upstream_port}",
                      "--set", f"ssl_verify_upstream_trusted_ca={upstream_ca}"],
            r"Proxy listening on 127\.0\.0\.1", cpu=None, env=env))
        cafile = str(data / "mitmproxy" / "mitmproxy-ca-cert.pem")
        targets = [Target(name, upstream_port, cafile, port, f"{name}:{passwords[name]}") for name in NAMES]
        database = data / "usage.sqlite3"
        load = Load(targets, SOAK_SECONDS)
        started = time.monotonic()
        rss: list[float] = []
        backlog: list[int] = []
        while load.process.is_alive() and time.monotonic() - started < SOAK_SECONDS + 30:
            time.sleep(SAMPLE_EVERY)
            report = load.poll()
            if time.monotonic() - started >= WARM_UP:
                rss.append(_rss_mb(serve.popen.pid))
            if database.exists():
                backlog.append(report.sent - _stored(database))
        final = load.finish()
        elapsed = time.monotonic() - started
        time.sleep(3)  # the writer's last batch
        stored = _stored(database)
        cpu = serve.cpu_seconds()
        code = serve.stop()
    summary = re.findall(r"Stopped\..*", serve.output())
    print(f"\nserve soak: {final.sent} requests in {elapsed:.0f} s (load {SOAK_SECONDS:.0f} s: "
          f"{final.sent / SOAK_SECONDS:.1f} req/s) from {DEVELOPERS} developers, {final.failed} failed, "
          f"slowest {final.slowest * 1000:.0f} ms")
    print(f"proxy RSS after warm-up ({WARM_UP:.0f} s): first {rss[0]:.1f} MB, max {max(rss):.1f} MB, "
          f"last {rss[-1]:.1f} MB, growth {_growth(rss) * 100:.1f}%; proxy CPU {cpu:.0f} s")
    print(f"writer backlog (answered, not yet stored): max {max(backlog)}, last {backlog[-1]}; stored {stored}; "
          f"{summary[-1] if summary else 'no summary'}")
    assert code == 0, serve.output()
    assert final.failed == 0, final.errors
    assert _growth(rss) <= RSS_GROWTH
    assert max(backlog) <= MAX_BACKLOG
    assert stored == final.sent
    assert summary and " 0 dropped" in summary[-1]


# --- 2. the tray with the dashboard open -------------------------------------------------------------------


def _schedstat() -> tuple[float, float]:
    """This thread's time on a CPU and time runnable but waiting for one, in ms (Linux `schedstat`)."""
    on_cpu, waiting, _slices = Path("/proc/thread-self/schedstat").read_text().split()
    return int(on_cpu) / 1e6, int(waiting) / 1e6


def _steal_ms() -> float:
    """The time this (virtual) machine's CPUs were taken by its host, summed over the CPUs, in ms (/proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) * 1000 / os.sysconf("SC_CLK_TCK")


class Collections:
    """The garbage collector's long collections (any thread's: a collection holds the GIL throughout)."""

    LONG_MS = 20.0

    def __init__(self) -> None:
        self.long: list[tuple[float, float, int, str]] = []  # start, end (perf_counter s), generation, thread
        self._started: dict[int, float] = {}

    def __enter__(self) -> Collections:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        now, thread = time.perf_counter(), threading.get_ident()
        if phase == "start":
            self._started[thread] = now
        elif (began := self._started.pop(thread, None)) is not None and (now - began) * 1000 > self.LONG_MS:
            self.long.append((began, now, info["generation"], threading.current_thread().name))

    def during(self, start: float, end: float) -> list[tuple[float, float, int, str]]:
        """The long collections overlapping the time from `start` to `end`."""
        return [c for c in self.long if c[0] < end and c[1] > start]

    def summary(self) -> str:
        if not self.long:
            return f"no collection over {self.LONG_MS:.0f} ms"
        longest = max(self.long, key=lambda c: c[1] - c[0])
        took = (longest[1] - longest[0]) * 1000
        return (f"{len(self.long)} collections over {self.LONG_MS:.0f} ms, longest {took:.0f}"
                f" ms (generation {longest[2]}, thread {longest[3]})")


@dataclass(frozen=True)
class Stall:
    """One late heartbeat: the gap, how much of it the GUI thread ran and waited for a CPU, the host's steal."""

    gap: float
    on_cpu: float
    runqueue: float
    steal: float = 0.0
    start: float = 0.0  # perf_counter seconds

    @property
    def blocked(self) -> float:
        """The gap without the kernel's wait for a CPU: what the application kept the GUI thread from."""
        return self.gap - self.runqueue


@dataclass
class Heartbeat:
    """A 10 ms precise timer on the GUI thread; the gaps between its ticks are the GUI thread's stalls.

    Each tick reads the GUI thread's scheduler figures, so a gap splits into the thread's own running (its
    work), its wait for a CPU (a loaded machine) and the rest (waiting for the GIL or a lock). A sampler
    thread looks every 10 ms; while a tick is overdue by more than the limit it notes where the GUI thread
    is (its innermost frame in this project and the innermost frame at all), so a stall has a culprit.
    """

    interval_ms: int = 10
    gaps: list[float] = field(default_factory=list)
    blocked: list[float] = field(default_factory=list)
    stalls: list[Stall] = field(default_factory=list)
    culprits: Counter[str] = field(default_factory=Counter)
    _last: float = 0.0
    _sched: tuple[float, float] = (0.0, 0.0)
    _steal: float = 0.0
    collections: Collections = field(default_factory=Collections)
    _gui: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> object:
        from PySide6.QtCore import Qt, QTimer

        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(self.interval_ms)
        timer.timeout.connect(self._tick)
        self._last, self._sched, self._steal = time.perf_counter(), _schedstat(), _steal_ms()
        self._gui = threading.get_ident()
        timer.start()
        threading.Thread(target=self._sample, name="stall-sampler", daemon=True).start()
        return timer

    def stop(self) -> None:
        self._stop.set()

    def _tick(self) -> None:
        now, sched, steal = time.perf_counter(), _schedstat(), _steal_ms()
        gap = (now - self._last) * 1000 - self.interval_ms
        stall = Stall(gap, sched[0] - self._sched[0], sched[1] - self._sched[1], steal - self._steal, self._last)
        self.gaps.append(gap)
        self.blocked.append(stall.blocked)
        if gap > GUI_BLOCK_MS:
            self.stalls.append(stall)
        self._last, self._sched, self._steal = now, sched, steal

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            if (time.perf_counter() - self._last) * 1000 - self.interval_ms > GUI_BLOCK_MS:
                self.culprits[_where(self._gui)] += 1

    def blocked_ms(self) -> tuple[float, float, int]:
        """The longest stall, the 99.9th percentile, and how many exceeded the limit (waits for a CPU taken off)."""
        ordered = sorted(self.blocked)
        return ordered[-1], ordered[int(len(ordered) * 0.999)], sum(g > GUI_BLOCK_MS for g in ordered)

    def report(self) -> str:
        """The raw gaps and, summed over the late ticks, where their time went."""
        raw = max(self.gaps)
        late = self.stalls
        on_cpu, runqueue = sum(s.on_cpu for s in late), sum(s.runqueue for s in late)
        other = sum(s.gap for s in late) - on_cpu - runqueue
        collected = sum(bool(self.collections.during(s.start, s.start + s.gap / 1000)) for s in late)
        each = "; ".join(f"{s.gap:.0f} ms: running {s.on_cpu:.0f}, CPU wait {s.runqueue:.0f}, host steal "
                         f"{s.steal:.0f}" for s in sorted(late, key=lambda s: -s.gap)[:5])
        return (f"raw gaps: longest {raw:.1f} ms, {len(late)} over {GUI_BLOCK_MS:.0f} ms; in those: GUI thread "
                f"running {on_cpu:.0f} ms, waiting for a CPU {runqueue:.0f} ms, waiting otherwise (GIL, locks) "
                f"{other:.0f} ms; {collected} overlap a long garbage collection ({self.collections.summary()}); "
                f"the longest: {each}")


def _where(thread: int) -> str:
    """The innermost frame of `thread` in this project and its innermost frame, as `file:line function`.

    Only code locations are read, with nothing in between that could let the other thread run (no linecache, no
    I/O), and the frame is dropped at once: were this thread to hold the last reference to a finished frame of the
    GUI thread, a Qt object in it would be freed here, which deadlocks PySide (seen in a run with `traceback`).
    """
    frame = sys._current_frames().get(thread)
    innermost: tuple[str, int, str] | None = None
    ours: tuple[str, int, str] | None = None
    while frame is not None and ours is None:
        code = frame.f_code
        here = (code.co_filename, frame.f_lineno, code.co_name)
        innermost = innermost or here
        ours = here if "desktop_app" in code.co_filename else None
        frame = frame.f_back
    del frame
    if innermost is None:
        return "?"
    sites = [ours, innermost] if ours is not None and ours != innermost else [innermost]
    return " in ".join(f"{Path(site[0]).name}:{site[1]} {site[2]}" for site in sites)


def test_tray_soak_with_the_dashboard_open(qtbot, isolated_home, tmp_path: Path) -> None:  # noqa: PLR0915
    from desktop_app.commands.tray import ServiceEngine
    from desktop_app.core.paths import resolve_paths
    from desktop_app.core.team.credentials import derive_password
    from desktop_app.core.team.directory import add_developer
    from desktop_app.core.team.secrets import CachedSecret, KeyringSecretStore
    from desktop_app.core.team.settings import ProxySettings, Settings, save_settings
    from desktop_app.proxy.certs import InstallationCa
    from desktop_app.ui.application import TrayApplication
    from desktop_app.ui.icons import TrayState
    from tests.ui.conftest import FakeOs

    paths = resolve_paths(isolated_home)
    port = _free_port()
    settings = Settings(proxy=ProxySettings("127.0.0.1", port))
    for name in NAMES:
        settings = add_developer(settings, name)
    save_settings(paths.settings_file, settings)
    secret = CachedSecret(KeyringSecretStore())
    with contextlib.ExitStack() as stack:
        upstream_port, upstream_ca = _upstream(stack, tmp_path)
        redirect = (ROOT / "tests" / "fakes" / "redirect.py",)
        extras = (f"fake_upstream=127.0.0.1:{upstream_port}", f"ssl_verify_upstream_trusted_ca={upstream_ca}")
        app = TrayApplication(paths, secret, lambda bridge: ServiceEngine(paths, secret, bridge, scripts=redirect,
                                                                          set_options=extras),
                              FakeOs().services(), ca=InstallationCa(paths.confdir, "test-pc"), error_dialogs=False)
        stack.callback(app.shutdown)
        app.launch()
        qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=30_000)
        window = app.controller.show_window("dashboard")
        qtbot.addWidget(window)
        targets = [Target(name, upstream_port, str(paths.ca_certificate), port,
                          f"{name}:{derive_password(secret(), name, 0)}") for name in NAMES]
        heartbeat = Heartbeat()
        stack.enter_context(heartbeat.collections)
        timer = heartbeat.start()
        load = Load(targets, SOAK_SECONDS)
        started = time.monotonic()
        rss: list[float] = []
        while load.process.is_alive() and time.monotonic() - started < SOAK_SECONDS + 30:
            qtbot.wait(int(SAMPLE_EVERY * 1000))
            load.poll()
            if time.monotonic() - started >= WARM_UP:
                rss.append(_rss_mb(os.getpid()))
        final = load.finish()
        elapsed = time.monotonic() - started
        qtbot.wait(2000)
        shown = window.data.summary.requests if window.data is not None else None
        timer.stop()  # type: ignore[attr-defined]
        heartbeat.stop()
    longest, p999, over = heartbeat.blocked_ms()
    print(f"\ntray soak: {final.sent} requests in {elapsed:.0f} s (load {SOAK_SECONDS:.0f} s: "
          f"{final.sent / SOAK_SECONDS:.1f} req/s), {final.failed} failed, slowest {final.slowest * 1000:.0f} ms; "
          f"dashboard shows {shown} requests today")
    print(f"tray process RSS after warm-up ({WARM_UP:.0f} s): first {rss[0]:.1f} MB, max {max(rss):.1f} MB, "
          f"last {rss[-1]:.1f} MB, growth {_growth(rss) * 100:.1f}%")
    print(f"GUI thread stalls: longest {longest:.1f} ms, 99.9th percentile {p999:.1f} ms, "
          f"{over} over {GUI_BLOCK_MS:.0f} ms, {len(heartbeat.gaps)} heartbeats (waits for a CPU taken off); "
          f"{heartbeat.report()}")
    print(f"where the GUI thread was while a heartbeat was late (10 ms samples): {heartbeat.culprits.most_common(8)}")
    assert final.failed == 0, final.errors
    assert _growth(rss) <= RSS_GROWTH
    assert over == 0
    assert shown == final.sent
