import io
import logging
import os
import stat
import sys

import pytest

from desktop_app.core.logging_setup import PrivateRotatingFileHandler, configure_logging, redact

PASSWORD = "k3p9-abcd-x7y8-q2w3"


@pytest.mark.parametrize(("text", "secret"), [
    ("Proxy-Authorization: Basic YWxpY2U6c2VjcmV0", "YWxpY2U6c2VjcmV0"),
    ("authorization: Bearer tid=abc;exp=1:deadbeef", "deadbeef"),
    ("token gho_abcdefghijklmnop used", "gho_abcdefghijklmnop"),
    ("via http://alice:pw-1234@host:8080/path", "pw-1234"),
    ("Cookie: a=b", "a=b"),
    ("headers={'Authorization': 'token ghu_0123456789abcdef'}", "0123456789abcdef"),
    ("Headers[(b'Proxy-Authorization', b'Basic YWxpY2U6c2VjcmV0')]", "YWxpY2U6c2VjcmV0"),
    (f"proxy url https://bob:{PASSWORD}@[::1]:8080", PASSWORD),
    ("set-cookie: session=abcdef; HttpOnly", "session=abcdef"),
], ids=["proxy-basic", "copilot-bearer", "github-token", "url-password", "cookie", "dict-token",
        "headers-repr", "https-ipv6", "set-cookie"])
def test_redact_removes_secrets(text, secret):
    redacted = redact(text)
    assert secret not in redacted
    assert "redacted" in redacted


def test_redact_keeps_ordinary_text():
    text = "POST https://api.githubcopilot.com/chat/completions 200 in 12 ms by alice"
    assert redact(text) == text
    assert redact("http://alice:[redacted]@host:8080") == "http://alice:[redacted]@host:8080"
    assert redact("via http://alice:pw-1234@host:8080/path") == "via http://alice:[redacted]@host:8080/path"


@pytest.fixture
def log_file(tmp_path):
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    mitm_level = logging.getLogger("mitmproxy").level
    configure_logging(tmp_path / "logs", stream=False)
    yield tmp_path / "logs" / "copilot-insight.log"
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.getLogger("mitmproxy").setLevel(mitm_level)


def read_log(path):
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_password_arguments_never_reach_the_log_file(log_file):
    logger = logging.getLogger("tests.logging")
    logger.info("url %s", f"http://alice:{PASSWORD}@127.0.0.1:8080")
    logger.warning("header %r", {"Proxy-Authorization": "Basic YWxpY2U6c2VjcmV0"})
    content = read_log(log_file)
    assert "url http://alice:[redacted]@127.0.0.1:8080" in content
    assert "tests.logging" in content
    assert PASSWORD not in content
    assert "YWxpY2U6c2VjcmV0" not in content


def our_handlers():
    return [h for h in logging.getLogger().handlers if getattr(h, "_copilot_insight", False)]


def fail_upstream():
    raise ValueError("upstream said Authorization: Bearer gho_abcdefghijklmnop")


def traceback_record():
    try:
        fail_upstream()
    except ValueError:
        return logging.getLogger("tests.logging").makeRecord(
            "tests.logging", logging.ERROR, __file__, 1, "request failed", None, sys.exc_info())


def test_tracebacks_are_redacted(log_file):
    for handler in our_handlers():
        handler.handle(traceback_record())
    content = read_log(log_file)
    assert "request failed" in content
    assert "Traceback" in content
    assert "gho_abcdefghijklmnop" not in content


def test_tracebacks_are_redacted_after_another_handler_formatted_them(log_file):
    earlier = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(earlier)  # e.g. a GUI log panel, installed before configure_logging
    configure_logging(log_file.parent, stream=False)
    logging.getLogger("tests.logging").handle(traceback_record())
    content = read_log(log_file)
    assert "Traceback" in content
    assert "gho_abcdefghijklmnop" not in content


def test_level_and_reconfiguration(log_file):
    logger = logging.getLogger("tests.logging")
    logger.debug("hidden debug line")
    configure_logging(log_file.parent, stream=False)  # again: replaces, never duplicates, handlers
    logger.info("visible once")
    content = read_log(log_file)
    assert "hidden debug line" not in content
    assert content.count("visible once") == 1
    assert logging.getLogger("mitmproxy").getEffectiveLevel() == logging.WARNING


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_log_file_and_folder_are_private(log_file):
    logging.getLogger("tests.logging").info("hello")
    read_log(log_file)
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_log_file_stays_private_after_rotation(log_file):
    logging.getLogger("tests.logging").info("before")
    for handler in our_handlers():
        handler.doRollover()
    logging.getLogger("tests.logging").info("after")
    read_log(log_file)
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600


def test_each_record_is_formatted_once_for_file_and_stderr(tmp_path, monkeypatch, capsys):
    calls = []
    original = logging.Formatter.formatTime
    monkeypatch.setattr(logging.Formatter, "formatTime", lambda self, *a: calls.append(1) or original(self, *a))
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    configure_logging(tmp_path / "logs")
    try:
        logging.getLogger("tests.logging").info("alice completion POST %s in %d ms", "host/path", 12)
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
    line = (tmp_path / "logs" / "copilot-insight.log").read_text(encoding="utf-8")
    assert line.endswith("tests.logging: alice completion POST host/path in 12 ms\n")
    assert capsys.readouterr().err == line
    assert len(calls) == 1


def test_rotation_by_size_keeps_every_line_in_order(tmp_path):
    path = tmp_path / "rotating.log"
    path.write_text("from before\n", encoding="utf-8")
    handler = PrivateRotatingFileHandler(path, maxBytes=200, backupCount=20, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("tests.rotation")
    logger.propagate, logger.level = False, logging.INFO
    logger.addHandler(handler)
    try:
        lines = [f"line {index:02d} {'é' * (index % 7)} {'x' * 30}" for index in range(40)]
        for line in lines:
            logger.info(line)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = [*sorted(tmp_path.glob("rotating.log.*"), key=lambda p: -int(p.suffix[1:])), path]
    assert all(len(f.read_bytes()) <= 200 for f in files)
    assert len(files) > 5
    written = "".join(f.read_text(encoding="utf-8") for f in files).splitlines()
    assert written == ["from before", *lines]
