"""Benchmark: the tray application's cold start and idle memory.

Run it on its own (never part of the default run)::

    python -m pytest -p no:cacheprovider -m benchmark -s tests/benchmarks/test_tray_benchmark.py

Each of 5 runs launches `python -m desktop_app` (offscreen Qt, a prepared data folder with one
developer, a free port) and measures the time from spawning the process to the proxy accepting a
TCP connection; then, after 5 s idle with the proxy running, the process's resident memory (VmRSS).
Targets (issue 4): cold start to proxy listening <= 2 s, idle memory <= 200 MB (medians).
"""

import socket
import statistics
import subprocess
import sys
import time

import pytest

from tests.e2e.served import Lines, free_port
from tests.ui.launched import LaunchedTray, prepare_team, rss_mb

pytestmark = pytest.mark.benchmark
RUNS = 5
IDLE_SECONDS = 5.0


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _one_run(tmp_path) -> tuple[float, float]:
    port = free_port()
    env = {**prepare_team(tmp_path, port), "QT_QPA_PLATFORM": "offscreen"}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "desktop_app", "--no-error-dialogs"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    tray = LaunchedTray(process, Lines(process.stderr), port)
    try:
        deadline = started + 30
        while not _listening(port):
            assert time.perf_counter() < deadline and process.poll() is None, tray.log.drain()
            time.sleep(0.01)
        cold_start = time.perf_counter() - started
        time.sleep(IDLE_SECONDS)
        memory = rss_mb(process.pid)
    finally:
        assert tray.stop() == 0
    return cold_start, memory


def test_cold_start_and_idle_memory(tmp_path):
    results = [_one_run(tmp_path / f"run{i}") for i in range(RUNS)]
    starts = [s for s, _ in results]
    memory = [m for _, m in results]
    print(f"\ncold start to proxy listening: median {statistics.median(starts):.2f} s "
          f"(min {min(starts):.2f}, max {max(starts):.2f}) over {RUNS} runs")
    print(f"idle resident memory with the proxy running: median {statistics.median(memory):.0f} MB "
          f"(min {min(memory):.0f}, max {max(memory):.0f})")
    assert statistics.median(starts) <= 2.0
    assert statistics.median(memory) <= 200
