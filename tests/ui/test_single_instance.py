"""One instance per user and data folder: a second launch wakes the first."""

from desktop_app.ui.single_instance import SingleInstance, instance_key


def test_key_depends_on_the_data_folder(tmp_path):
    assert instance_key(tmp_path / "a") != instance_key(tmp_path / "b")
    assert instance_key(tmp_path / "a") == instance_key(tmp_path / "a")
    assert len(instance_key(tmp_path / "a")) < 40


def test_second_claim_fails_and_wakes_the_first(qtbot, tmp_path):
    key = instance_key(tmp_path)
    first = SingleInstance(key)
    assert first.claim()
    try:
        second = SingleInstance(key)
        with qtbot.waitSignal(first.activated, timeout=3000):
            assert not second.claim()
    finally:
        first.release()


def test_after_release_the_next_launch_becomes_the_instance(qtbot, tmp_path):
    key = instance_key(tmp_path)
    first = SingleInstance(key)
    assert first.claim()
    first.release()
    again = SingleInstance(key)
    assert again.claim()
    again.release()


def test_stale_socket_of_a_crashed_instance_is_replaced(qtbot, tmp_path):
    from PySide6.QtNetwork import QLocalServer

    key = instance_key(tmp_path)
    crashed = QLocalServer()
    crashed.listen(key)
    crashed.close()  # on Unix the socket file may stay behind after a crash
    fresh = SingleInstance(key)
    assert fresh.claim()
    fresh.release()
