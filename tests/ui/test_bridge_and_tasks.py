"""Crossing threads: engine events and worker results arrive on the GUI thread, in order."""

import threading

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.tasks import TaskRunner


def on_gui_thread() -> bool:
    return QThread.currentThread() is QApplication.instance().thread()


def test_events_from_a_plain_thread_reach_slots_on_the_gui_thread(qtbot):
    bridge = EngineBridge()
    received = []
    bridge.usage_recorded.connect(lambda events: received.append((events, on_gui_thread())))
    bridge.engine_error.connect(lambda message: received.append((message, on_gui_thread())))
    worker = threading.Thread(target=lambda: (bridge.on_usage(["e1", "e2"]), bridge.on_error("boom")))
    worker.start()
    worker.join()
    assert received == []  # queued: nothing ran on the emitting thread
    qtbot.waitUntil(lambda: len(received) == 2, timeout=2000)
    assert received == [(("e1", "e2"), True), ("boom", True)]


def test_task_result_and_failure_come_back_on_the_gui_thread(qtbot):
    tasks = TaskRunner()
    seen = []
    tasks.submit(lambda: (threading.current_thread() is threading.main_thread(), 42),
                 lambda result: seen.append(("done", result, on_gui_thread())))
    tasks.submit(lambda: 1 / 0, lambda _r: seen.append("unexpected"),
                 lambda error: seen.append(("failed", type(error).__name__, on_gui_thread())))
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=3000)
    assert ("done", (False, 42), True) in seen
    assert ("failed", "ZeroDivisionError", True) in seen
    assert not tasks.busy


def test_serial_runner_keeps_submission_order(qtbot):
    tasks = TaskRunner(serial=True)
    order = []
    for i in range(20):
        tasks.submit(lambda i=i: order.append(i) or i)
    qtbot.waitUntil(lambda: not tasks.busy, timeout=3000)
    assert order == list(range(20))


def test_a_failure_without_handler_is_logged(qtbot, caplog):
    tasks = TaskRunner()
    tasks.submit(lambda: (_ for _ in ()).throw(ValueError("nope")), name="doomed")
    qtbot.waitUntil(lambda: not tasks.busy, timeout=3000)
    assert "Background task doomed failed" in caplog.text


@pytest.mark.parametrize("count", [200])
def test_many_events_are_all_delivered(qtbot, count):
    bridge = EngineBridge()
    got = []
    bridge.usage_recorded.connect(got.append)
    threads = [threading.Thread(target=bridge.on_usage, args=([i],)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    qtbot.waitUntil(lambda: len(got) == count, timeout=3000)
    assert sorted(e[0] for e in got) == list(range(count))
