"""A console-less (windowed, frozen) build has no stdout/stderr: messages must not crash it."""

import os
import sys

from desktop_app.app import main
from desktop_app.core.logging_setup import configure_logging


def test_an_error_without_standard_streams_is_an_exit_code_not_a_crash(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    code = main(["--data-dir", str(tmp_path), "report", "--from", "bad", "--to", "2026-11-02", "--format", "csv",
                 "-o", str(tmp_path / "r.csv")])
    assert code == 1
    assert sys.stderr.name == sys.stdout.name == os.devnull
    configure_logging(None, stream=False)  # main's handler writes to that stream: gone before it is closed
    sys.stdout.close()
    sys.stderr.close()
