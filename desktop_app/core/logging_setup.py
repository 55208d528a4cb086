"""Diagnostic logging: a private rotating file in the log dir, stderr, and redaction of secrets.

Every handler carries `RedactingFilter`, so even a library that logs a header or a URL with
credentials cannot write a bearer token, a Basic credential or a proxy password to a log.
"""

import io
import logging
import logging.handlers
import os
import stat
import sys
from pathlib import Path

from desktop_app.core.paths import ensure_private_dir
from desktop_app.core.redaction import redact

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_TEXT = "_copilot_insight_text"


class RedactingFilter(logging.Filter):
    """Rewrites each record's message so that no secret reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redact it, and drop the arguments."""
        if getattr(record, "_redacted", False):  # the first handler's filter already did it
            return True
        record._redacted = True
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
        if record.exc_text:  # also when an earlier handler already rendered it, unredacted
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class OnceFormatter(logging.Formatter):
    """Formats each record once, however many handlers (and rollover checks) share this formatter."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as text, rendered by the first handler that asks."""
        cached: tuple[OnceFormatter, str] | None = record.__dict__.get(_TEXT)
        if cached is not None and cached[0] is self:
            return cached[1]
        text = super().format(record)
        setattr(record, _TEXT, (self, text))
        return text


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that stays readable by its owner only, also after a rollover.

    It counts the bytes it writes instead of asking the file (the standard handler's rollover check
    calls `tell()` on the text stream and formats the record an extra time, for every record).
    """

    _size = 0  # bytes in the open file
    _regular = True  # only a regular file is ever rotated (bpo-45401), checked when it is opened

    def _open(self) -> io.TextIOWrapper:
        """Open (or create) the file, private (also the new file after a rollover, now or on first write)."""
        stream = super()._open()
        if os.name == "posix":
            Path(self.baseFilename).chmod(0o600)
        status = os.fstat(stream.fileno())
        self._size, self._regular = status.st_size, stat.S_ISREG(status.st_mode)
        return stream

    def _overflows(self, size: int) -> bool:
        """Whether `size` more bytes would take a non-empty file past `maxBytes` (opening a delayed file)."""
        if self.stream is None:  # delay was set
            self.stream = self._open()
        return 0 < self.maxBytes <= self._size + size and self._size > 0 and self._regular

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record (rotating first if it would not fit) and count its bytes."""
        try:
            size = _encoded_size(self.format(record) + self.terminator)
            if self._overflows(size):
                self.doRollover()
            logging.FileHandler.emit(self, record)
            self._size += size
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 - logging's contract: report, never raise
            self.handleError(record)


def _encoded_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "backslashreplace"))


def configure_logging(log_dir: Path | None, level: int = logging.INFO, stream: bool = True) -> None:
    """Route all logging to a private rotating file in `log_dir` and/or stderr, redacted."""
    # The format uses none of these; skipping them makes every record (one per request) cheaper.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None  # no caller lookup (a stack walk per record): the format names no file or line
    logging.logAsyncioTasks = False  # type: ignore[attr-defined]  # 3.12+, missing from typeshed here
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_copilot_insight", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    if log_dir is not None:
        ensure_private_dir(log_dir)
        log_file = log_dir / "copilot-insight.log"
        handlers.append(PrivateRotatingFileHandler(
            log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8"))
        if os.name == "posix":
            log_file.chmod(0o600)
    if stream:
        handlers.append(logging.StreamHandler(sys.stderr))
    formatter = OnceFormatter(LOG_FORMAT)  # shared, so that each record is formatted once for all handlers
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RedactingFilter())
        handler._copilot_insight = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    # mitmproxy is chatty at INFO (every connection); keep its warnings and errors.
    logging.getLogger("mitmproxy").setLevel(max(level, logging.WARNING))
    # fontTools tells every PDF export about each font it subsets, at INFO.
    logging.getLogger("fontTools").setLevel(max(level, logging.WARNING))
